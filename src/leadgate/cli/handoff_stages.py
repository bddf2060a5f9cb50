"""``leadgate move`` and ``leadgate history``: a lead's stage, moved by sales, and its record.

The actor of a move from the command line is ``user:NAME``: ``--as NAME``, else the
``LEADGATE_USER`` or ``USER`` environment variable.
"""

from __future__ import annotations

import os

import click

from ..handoff.transitions import History
from .app import JSON, listing_options, open_project
from .output import Column, console, echo_json, emit, esc, pick_columns

HISTORY_COLUMNS = [
    Column("moved_at", 1),
    Column("from_stage", 1),
    Column("to_stage", 1),
    Column("reason", 1),
    Column("actor", 2),
    Column("score", 3, numeric=True),
    Column("tier", 3),
    Column("amount", 4, numeric=True),
]

#: Not a stage: ``leadgate move LEAD contacted`` records the first sales touch.
CONTACTED = "contacted"


@click.command()
@click.argument("lead")
@click.argument("stage")
@click.option("--reason", help="Why (required to reject, i.e. recycle or disqualify, or lose).")
@click.option("--amount", type=float, help="The deal's amount (won or opportunity).")
@click.option("--as", "user", help="Who moves it (default: $LEADGATE_USER, else $USER).")
@JSON
@click.pass_context
def move(
    ctx: click.Context,
    lead: str,
    stage: str,
    reason: str | None,
    amount: float | None,
    user: str | None,
    as_json: bool,
) -> None:
    """Move LEAD (id, alias or email) to STAGE, or mark it 'contacted' (the SLA stops).

    Stages: lead, mql, sal (accepted), sql, opportunity, won, lost, recycled, disqualified.
    An illegal move is refused with the legal next stages.
    """
    project = open_project(ctx)
    if stage == CONTACTED:
        touched = project.contacted(lead)
        if as_json:
            echo_json(touched.as_dict())
            return
        at = touched.first_touch_at
        console.print(f"{esc(touched.lead_id)} first contacted {at:%Y-%m-%d %H:%M} UTC")
        return
    actor = f"user:{user or os.environ.get('LEADGATE_USER') or os.environ.get('USER') or 'cli'}"
    done = project.move(lead, stage, actor=actor, reason=reason, amount=amount)
    if as_json:
        echo_json(done.as_dict())
        return
    t = done.transition
    why = f" ({t.reason})" if t.reason else ""
    console.print(esc(f"{t.lead_id}: {t.from_stage} → {t.to_stage}{why}"), highlight=False)
    following = ", ".join(done.legal_next) or "none (final)"
    console.print(esc(f"next: {following}"), highlight=False)


@click.command()
@click.argument("lead")
@listing_options(HISTORY_COLUMNS)
@click.pass_context
def history(ctx: click.Context, lead: str, fmt: str, columns: str | None, as_json: bool) -> None:
    """Show LEAD's stage, MQL entry, first touch and every stage transition."""
    shown = pick_columns(HISTORY_COLUMNS, columns)
    found = open_project(ctx).history(lead)
    if as_json or fmt == "json":
        echo_json(found.as_dict())
        return
    if fmt == "csv":
        emit([t.as_dict() for t in found.transitions], fmt, "transitions", shown)
        return
    _print_history(found, shown)


def _print_history(found: History, shown: list[Column]) -> None:
    head = f"{found.lead_id}: {found.stage}"
    if found.mql_at:
        head += f", MQL since {found.mql_at:%Y-%m-%d %H:%M} UTC"
    if found.first_touch_at:
        head += f", first contacted {found.first_touch_at:%Y-%m-%d %H:%M} UTC"
    console.print(esc(head), highlight=False)
    if not found.transitions:
        console.print("No stage transitions yet.")
        return
    rows = [t.as_dict() | {"moved_at": t.moved_at} for t in found.transitions]
    emit(rows, "table", f"{len(rows)} transition(s)", shown)
