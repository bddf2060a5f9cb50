"""``leadgate queue`` and ``leadgate definitions``: the MQL queue sales works, and the
definition versions (list, show, add, activate).

The actor of an activation from the command line is ``user:NAME``: ``--as NAME``, else the
``LEADGATE_USER`` or ``USER`` environment variable (as ``leadgate move``).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..definition.versions import DefinitionList
from ..handoff.queue import MAX_LIMIT, QUEUE_STAGES
from .app import JSON, as_of_option, listing_options, open_project
from .output import Column, console, echo_json, emit, esc, pick_columns

QUEUE_COLUMNS = [
    Column("lead_id", 1),
    Column("tier", 1),
    Column("sla_due", 1),
    Column("sla_state", 1),
    Column("owner", 2),
    Column("email", 2),
    Column("company", 3),
    Column("score", 3, numeric=True),
    Column("stage", 4),
    Column("reasons", 5),
    Column("mql_at", 6),
]
VERSION_COLUMNS = [
    Column("hash", 1),
    Column("active", 1),
    Column("name", 2),
    Column("version", 2),
    Column("activated_by", 3),
    Column("activated_at", 3),
    Column("created_at", 4),
]


@click.command()
@click.option("--tier", help="Only leads that entered MQL in this tier.")
@click.option("--owner", help="Only this rep's leads (name or email).")
@click.option("--stage", type=click.Choice(QUEUE_STAGES), help="Only mql or only sal.")
@click.option("--source", help="Only leads from this source.")
@click.option("--since", help="MQL entry at or after (date or time, project zone).")
@click.option("--until", help="MQL entry before (date or time, project zone).")
@click.option("-q", "--search", "q", help="A piece of the email or company name.")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=50, show_default=True)
@click.option("--cursor", help="The next_cursor of the previous page.")
@listing_options(QUEUE_COLUMNS)
@click.pass_context
def queue(
    ctx: click.Context,
    tier: str | None,
    owner: str | None,
    stage: str | None,
    source: str | None,
    since: str | None,
    until: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
    fmt: str,
    columns: str | None,
    as_json: bool,
) -> None:
    """The MQL queue (stages mql and sal): hot first, then by MQL entry, with SLA due
    times and the three strongest reasons each lead qualified."""
    project = open_project(ctx)
    zone = project.timezone
    page = project.queue(
        tier=tier, owner=owner, stage=stage, source=source, q=q, limit=limit, cursor=cursor,
        since=as_of_option(since, zone, "--since"), until=as_of_option(until, zone, "--until"),
    )  # fmt: skip
    rows = [r.as_dict() for r in page.rows]
    for row, found in zip(rows, page.rows, strict=True):
        row.update(sla_due=found.sla_due, mql_at=found.mql_at)  # a table shows the minute
        row["reasons"] = "; ".join(f"{r.label} {r.points:+g}" for r in found.reasons)
    title = f"MQL queue: {len(rows)} lead(s)"
    if page.next_cursor and fmt != "json" and not as_json:
        title += f" (more: --cursor {page.next_cursor})"
    fmt = "json" if as_json else fmt
    emit(rows, fmt, title, pick_columns(QUEUE_COLUMNS, columns), document=page.as_dict())


@click.group(invoke_without_command=True)
@listing_options(VERSION_COLUMNS)
@click.pass_context
def definitions(ctx: click.Context, fmt: str, columns: str | None, as_json: bool) -> None:
    """Definition versions: which is active, who activated what and when (see its
    commands: show, add, activate)."""
    if ctx.invoked_subcommand is not None:
        return
    shown = pick_columns(VERSION_COLUMNS, columns)
    listing = open_project(ctx).definitions()
    if as_json or fmt == "json":
        echo_json(listing.as_dict())
        return
    _print_versions(listing, fmt, shown)


def _print_versions(listing: DefinitionList, fmt: str, shown: list[Column]) -> None:
    if listing.active_hash is None and fmt == "table":
        console.print(esc(f"{listing.file} is not valid: no version is active."))
    rows = [v.as_dict() | {"hash": v.hash[:12], "active": v.active} for v in listing.versions]
    emit(rows, fmt, f"definition versions ({listing.file})", shown)


@definitions.command()
@click.argument("version")
@JSON
@click.pass_context
def show(ctx: click.Context, version: str, as_json: bool) -> None:
    """One version (its hash or first 6+ characters): its text and validation."""
    detail = open_project(ctx).definition_version(version)
    if as_json:
        echo_json(detail.as_dict())
        return
    v = detail.version
    state = "active" if v.active else "not active"
    console.print(esc(f"{v.hash} {v.name} {v.version} ({state})"), highlight=False)
    console.print(esc(detail.source), highlight=False, soft_wrap=True)


@definitions.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@JSON
@click.pass_context
def add(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Keep FILE as a new version (not active until activated)."""
    detail = open_project(ctx).add_definition(file.read_text(encoding="utf-8"))
    if as_json:
        echo_json(detail.as_dict())
        return
    console.print(esc(f"kept {detail.version.hash[:12]}: `leadgate definitions activate` it."))


@definitions.command()
@click.argument("version")
@click.option("--as", "user", help="Who activates it (default: $LEADGATE_USER, else $USER).")
@JSON
@click.pass_context
def activate(ctx: click.Context, version: str, user: str | None, as_json: bool) -> None:
    """Make VERSION the project's definition (the file's text before is kept)."""
    actor = f"user:{user or os.environ.get('LEADGATE_USER') or os.environ.get('USER') or 'cli'}"
    done = open_project(ctx).activate(version, actor=actor)
    if as_json:
        echo_json(done.as_dict())
        return
    console.print(
        esc(f"{done.definition_hash[:12]} is active ({done.actor}); `leadgate score` uses it.")
    )
