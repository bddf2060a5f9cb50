"""``leadgate forget``, ``leadgate schemas`` and ``leadgate export``: a person erased, the
webhook bodies' JSON Schemas, and the new MQLs as a file for a CRM import.

The actor of an erasure from the command line is ``user:NAME``: ``--actor NAME``, else the
``LEADGATE_USER`` or ``USER`` environment variable (``key:ID`` or ``system`` as given).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile

import click

from ..handoff.export import FORMATS
from ..handoff.stages import ACTOR
from .app import JSON, as_of_option, open_project
from .output import console, echo_json, esc


def _actor(name: str | None) -> str:
    given = name or os.environ.get("LEADGATE_USER") or os.environ.get("USER") or "cli"
    return given if ACTOR.match(given) else f"user:{given}"


@click.command()
@click.argument("email")
@click.option("--actor", help="Who erases (default: $LEADGATE_USER, else $USER).")
@JSON
@click.pass_context
def forget(ctx: click.Context, email: str, actor: str | None, as_json: bool) -> None:
    """Erase the person EMAIL from every table; keep only that it happened, when, by whom."""
    done = open_project(ctx).forget(email, actor=_actor(actor))
    if as_json:
        echo_json(done.as_dict())
        return
    removed = ", ".join(f"{n:,} {t}" for t, n in done.rows_removed.items())
    console.print(esc(f"Erased {done.leads} lead(s): removed {removed}."), highlight=False)
    kept = ", ".join(f"{n:,} {t}" for t, n in done.rows_pseudonymised.items())
    if kept:
        console.print(esc(f"Kept under a pseudonym: {kept}."), highlight=False)
    named = ", ".join(f"{n:,} {t}" for t, n in done.rows_redacted.items())
    if named:
        console.print(esc(f"Other rows that named them, kept with [erased]: {named}."),
                      highlight=False)  # fmt: skip
    console.print(
        esc(f"Outbox: {done.messages_deleted} undelivered deleted, "
            f"{done.messages_rewritten} delivered blanked. Erasure {done.erasure_id} "
            f"by {done.actor} at {done.erased_at:%Y-%m-%d %H:%M} UTC."),
        highlight=False,
    )  # fmt: skip


@click.command()
@click.argument("event_type", required=False)
@JSON
@click.pass_context
def schemas(ctx: click.Context, event_type: str | None, as_json: bool) -> None:
    """The JSON Schema of each webhook event type's body; with EVENT_TYPE, that one."""
    found = open_project(ctx).schemas(event_type).as_dict()
    if as_json or event_type:
        click.echo(json.dumps(found[event_type] if event_type else found, indent=2,
                              ensure_ascii=False))  # fmt: skip
        return
    for name, schema in found.items():
        console.print(esc(f"{name}: {schema.get('description', '')}"), highlight=False)
    console.print(esc("Print one with 'leadgate schemas TYPE' (all: --json)."), highlight=False)


@click.group()
def export() -> None:
    """Write leadgate's data to a file for another system."""


@export.command("mqls")
@click.option("--since", help="Entries at or after this date/time (naive: the project's zone).")
@click.option("--until", help="Entries before this date/time (default: no end).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, allow_dash=True),
    help="The file to write; - for standard output (the summary then goes to standard error).",
)  # fmt: skip
@JSON
@click.pass_context
def mqls(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    fmt: str,
    out: str,
    as_json: bool,
) -> None:
    """Every entry into MQL since --since, as CSV or JSON for a CRM import (exact values)."""
    project = open_project(ctx)
    zone = project.timezone
    window = {
        "since": as_of_option(since, zone, "--since"),
        "until": as_of_option(until, zone, "--until"),
    }
    if out == "-":  # written whole to a file first: a failed export prints nothing
        with tempfile.TemporaryDirectory(prefix="leadgate-export-") as tmp:
            done = project.export_mqls(os.path.join(tmp, f"mqls.{fmt}"), fmt=fmt, **window)
            with open(done.path, "rb") as written:
                shutil.copyfileobj(written, sys.stdout.buffer)
            sys.stdout.flush()
        summary = {**done.as_dict(), "path": "-"}
        if as_json:
            click.echo(json.dumps(summary), err=True)
        else:
            click.echo(f"Wrote {done.rows:,} MQL(s) to standard output ({done.fmt}).", err=True)
        return
    done = project.export_mqls(out, fmt=fmt, **window)
    if as_json:
        echo_json(done.as_dict())
        return
    console.print(esc(f"Wrote {done.rows:,} MQL(s) to {done.path} ({done.fmt})."), highlight=False)
