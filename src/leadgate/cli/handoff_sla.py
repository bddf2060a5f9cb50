"""``leadgate sla`` and ``leadgate sweep``: the running SLA clocks, speed to lead, and the
sweep that recycles, records breaches and acts on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ..handoff.sla import SlaReport, Speed
from ..handoff.sweep import SweepReport
from .app import JSON, as_of_option, listing_options, open_project
from .output import Column, console, echo_json, emit, esc, pick_columns

AS_OF = click.option(
    "--as-of", "as_of", help="As of this date/time (default: now); naive in the project's zone."
)
CLOCK_COLUMNS = [
    Column("lead_id", 1),
    Column("tier", 1),
    Column("owner", 1),
    Column("status", 1),
    Column("left", 1, numeric=True),
    Column("due_at", 2),
    Column("hours", 3),
]
SPEED_COLUMNS = [
    Column("key", 1),
    Column("leads", 1, numeric=True),
    Column("system_p50", 2),
    Column("system_p90", 3),
    Column("rep_p50", 1),
    Column("rep_p90", 2),
    Column("total_p50", 2),
]


def duration(seconds: float | None) -> str:
    """``1h05m``, ``-2d03h`` (overdue), ``45s``: a countdown a person reads at a glance.

    >>> duration(3900), duration(-183600), duration(45), duration(None)
    ('1h05m', '-2d03h', '45s', '')
    """
    if seconds is None:
        return ""
    sign, left = ("-" if seconds < 0 else ""), int(abs(seconds))
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d{hours:02d}h"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    return f"{sign}{minutes}m{secs:02d}s" if minutes else f"{sign}{secs}s"


def clock_rows(report: SlaReport) -> list[dict[str, Any]]:
    return [
        c.as_dict()
        | {"left": duration(c.remaining_seconds), "due_at": f"{c.due_at:%Y-%m-%d %H:%M}"}
        for c in report.clocks
    ]


def _speed_rows(rows: list[Speed]) -> list[dict[str, Any]]:
    return [
        s.as_dict() | {k: duration(v) for k, v in s.as_dict().items() if k.endswith(("50", "90"))}
        for s in rows
    ]


@click.command()
@AS_OF
@click.option("--tier", help="Only this tier's clocks.")
@click.option("--owner", help="Only this rep's clocks (name or email).")
@click.option("--speed", is_flag=True, help="Show only speed to lead, per rep and per tier.")
@listing_options(CLOCK_COLUMNS)
@click.pass_context
def sla(
    ctx: click.Context,
    as_of: str | None,
    tier: str | None,
    owner: str | None,
    speed: bool,
    fmt: str,
    columns: str | None,
    as_json: bool,
) -> None:
    """MQLs whose SLA clock runs: breached, due soon, due; and speed to lead.

    --format csv and --columns list the clocks; with --speed, speed to lead (per rep, then
    per tier, a 'by' column telling which; columns: by, key, leads, system_p50, ...)."""
    project = open_project(ctx)
    report = project.sla(at=as_of_option(as_of, project.timezone), tier=tier, owner=owner)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        echo_json(report.as_dict())
        return
    if speed:
        _print_speed(report, fmt, columns)
        return
    counts = ", ".join(f"{n:,} {s.replace('_', ' ')}" for s, n in report.counts.items())
    title = f"SLA clocks at {report.at:%Y-%m-%d %H:%M} UTC ({counts})"
    shown = pick_columns(CLOCK_COLUMNS, columns)
    if report.clocks or fmt == "csv":
        emit(clock_rows(report), fmt, title, shown)
    else:
        console.print(esc(f"{title}: no clock running."))
    if fmt == "table":
        _print_speed(report, fmt, None)


def _print_speed(report: SlaReport, fmt: str, columns: str | None) -> None:
    """Speed to lead per rep and per tier: two tables, or one CSV with a ``by`` column."""
    every = [Column("by", 1), *SPEED_COLUMNS]
    groups = (("rep", report.speed_by_rep), ("tier", report.speed_by_tier))
    if fmt == "csv":
        rows = [{"by": by, **row} for by, found in groups for row in _speed_rows(found)]
        emit(rows, fmt, "speed to lead", pick_columns(every, columns))
        return
    shown = pick_columns(every, columns) if columns else SPEED_COLUMNS
    for by, found in groups:
        if found:
            title = f"speed to lead per {by}: system (entry → assignment) + rep (→ first touch)"
            emit([{"by": by, **row} for row in _speed_rows(found)], fmt, title, shown)


@click.command()
@AS_OF
@click.option(
    "--apply", is_flag=True,
    help="Make the moves, record the breaches and act on them (default: only show them).",
)  # fmt: skip
@JSON
@click.pass_context
def sweep(ctx: click.Context, as_of: str | None, apply: bool, as_json: bool) -> None:
    """Apply the lifecycle rules and record SLA breaches (escalate, reassign) as of a time."""
    project = open_project(ctx)
    report = project.sweep(at=as_of_option(as_of, project.timezone), apply=apply)
    if as_json:
        echo_json(report.as_dict())
        return
    print_sweep(report)


def print_sweep(report: SweepReport) -> None:
    done = "" if report.applied else "would be "
    when = f"{report.at:%Y-%m-%d %H:%M} UTC"
    if report.recycled:
        rows = [r.as_dict() | {"moved_at": _short(r.moved_at)} for r in report.recycled]
        columns = [Column("lead_id", 1), Column("moved_at", 2), Column("reason", 1)]
        emit(rows, "table", f"{len(rows):,} MQL(s) {done}recycled as of {when}", columns)
    if report.breaches:
        rows = [
            b.as_dict()
            | {"due_at": _short(b.due_at), "action": _action(b.escalated_to, b.reassigned_to)}
            for b in report.breaches
        ]
        columns = [Column(n, 1) for n in ("lead_id", "tier", "owner", "due_at", "action")]
        emit(rows, "table", f"{len(rows):,} SLA breach(es) {done}recorded as of {when}", columns)
    if not report.recycled and not report.breaches:
        console.print(esc(f"Nothing to do as of {when}: no lifecycle move, no new breach."))
    elif not report.applied:
        console.print(esc("Nothing stored yet: run 'leadgate sweep --apply' to do it."))


def _short(value: dt.datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}"


def _action(escalated: str | None, reassigned: str | None) -> str:
    parts = [f"escalated to {escalated}"] if escalated else []
    parts += [f"reassigned to {reassigned}"] if reassigned else []
    return ", ".join(parts) or "recorded"
