"""``leadgate funnel``, ``leadgate diagnose`` and ``leadgate lift``: what converts, in numbers
and in plain words. Thin adapters over :meth:`Project.funnel`, :meth:`Project.diagnose` and
:meth:`Project.lift`."""

from __future__ import annotations

from typing import Any

import click

from ..analytics.diagnostics import Diagnosis
from ..analytics.funnel import DEFAULT_WINDOW, GROUPINGS, Funnel, FunnelRow
from ..analytics.intervals import pct
from ..analytics.journeys import STAGES_AFTER_MQL
from ..analytics.lift import CriterionLift, LiftReport
from .app import JSON, as_of_option, listing_options, open_project
from .output import Column, console, echo_json, emit, esc, pick_columns

FUNNEL_COLUMNS = [
    Column("group", 1),
    Column("leads", 3, numeric=True),
    Column("mqls", 1, numeric=True),
    Column("censored", 2, numeric=True),
    Column("eligible", 4, numeric=True),
    Column("sal", 3, numeric=True),
    Column("sql", 2, numeric=True),
    Column("opportunity", 3, numeric=True),
    Column("won", 1, numeric=True),
    Column("mql→sql", 3, numeric=True),
    Column("mql→won", 1, numeric=True),
    Column("won any time", 2, numeric=True),
    Column("days mql→won", 2, numeric=True),
]

WINDOW = click.option(
    "--window",
    default=DEFAULT_WINDOW,
    show_default=True,
    help="Count conversions within this time after MQL (90d, 12w); 'none': whenever.",
)
AS_OF = click.option("--as-of", help="Count what happened up to this date (default: now).")


def funnel_table_row(row: FunnelRow) -> dict[str, Any]:
    """One group as the table shows it (rates as percentages)."""
    rates = row.conversion()
    return {
        "group": row.group, "leads": row.leads, "mqls": row.mqls, "censored": row.censored,
        "eligible": row.eligible, "sal": row.sal, "sql": row.sql,
        "opportunity": row.opportunity, "won": row.won,
        "mql→sql": pct(rates["mql→sql"]), "mql→won": pct(rates["mql→won"]),
        "won any time": pct(rates["mql→won (any time)"]),
        "days mql→won": row.median_days.get("mql→won"),
    }  # fmt: skip


def print_funnel(found: Funnel, fmt: str = "table", columns: str | None = None) -> None:
    window = f"within {found.window} of MQL" if found.window else "with no window"
    title = f"Funnel as of {found.as_of:%Y-%m-%d %H:%M} UTC, conversion {window}"
    rows = [funnel_table_row(r) for r in found.rows] + [funnel_table_row(found.total)]
    emit(rows, fmt, title, pick_columns(FUNNEL_COLUMNS, columns))
    if fmt != "table":
        return
    implied = [s for s, n in found.recorded.items() if n == 0 and s != "mql"]
    notes = [f"Basis: {found.basis}. Days: median from MQL to won."]
    if found.total.censored:
        notes.append(f"{found.total.censored:,} MQL(s) censored: their window is still open.")
    if implied:
        notes.append(f"No {', '.join(implied)} on record: counted from the later stages reached.")
    console.print(esc(" ".join(notes)), highlight=False)


@click.command()
@click.option("--by", type=click.Choice(list(GROUPINGS)), help="Group the funnel.")
@WINDOW
@AS_OF
@click.option("--diagnose", "with_diagnosis", is_flag=True, help="Add the diagnostics.")
@listing_options(FUNNEL_COLUMNS)
@click.pass_context
def funnel(
    ctx: click.Context,
    by: str | None,
    window: str,
    as_of: str | None,
    with_diagnosis: bool,
    fmt: str,
    columns: str | None,
    as_json: bool,
) -> None:
    """Counts and conversion lead → MQL → SAL → SQL → opportunity → won.

    Conversion after MQL counts what happened within --window of the MQL entry, among MQLs
    whose window has closed; the others are censored (shown, not failures).
    """
    if with_diagnosis and fmt == "csv":
        raise click.BadParameter(
            "the diagnostics are sentences, not rows: use --json, or no --format csv.",
            param_hint="--diagnose",
        )
    project = open_project(ctx)
    when = as_of_option(as_of, project.timezone)
    found = project.funnel(by=by, window=window, as_of=when)
    diagnosis = project.diagnose(window=window, as_of=when) if with_diagnosis else None
    if as_json or fmt == "json":
        document = found.as_dict()
        if diagnosis is not None:
            document["diagnostics"] = diagnosis.as_dict()["diagnostics"]
        echo_json(document)
        return
    print_funnel(found, fmt, columns)
    if diagnosis is not None:
        print_diagnosis(diagnosis)


def print_diagnosis(found: Diagnosis) -> None:
    if not found.diagnostics:
        console.print("Diagnostics: nothing found.")
        return
    for d in found.diagnostics:
        console.print(f"[bold]{d.severity}[/bold] {d.code}: {esc(d.message)}", highlight=False)
        console.print(f"  → {esc(d.action)}", highlight=False)


@click.command()
@WINDOW
@AS_OF
@JSON
@click.pass_context
def diagnose(ctx: click.Context, window: str, as_of: str | None, as_json: bool) -> None:
    """What the funnel's numbers say about the definition, in plain words.

    Criteria too loose or too strict, lead quality, a dominant rejection reason and the
    rules behind it, a tier no better than the one below, SLA breaches and slow speed to
    lead, a definition past its review_by. Each with a code, the numbers and an action.
    """
    project = open_project(ctx)
    found = project.diagnose(window=window, as_of=as_of_option(as_of, project.timezone))
    if as_json:
        echo_json(found.as_dict())
        return
    print_diagnosis(found)


LIFT_COLUMNS = [
    Column("criterion", 1),
    Column("kind", 4),
    Column("met", 2, numeric=True),
    Column("rate met", 1, numeric=True),
    Column("not met", 2, numeric=True),
    Column("rate not", 1, numeric=True),
    Column("not judged", 3, numeric=True),
    Column("difference (95 % CI)", 3),
    Column("verdict", 1),
]


def _points(value: float) -> str:
    return f"{100 * value:+.1f}"


def lift_table_row(k: CriterionLift) -> dict[str, Any]:
    interval = k.difference
    ci = "" if interval is None else f"{_points(interval[0])} to {_points(interval[1])} pts"
    return {
        "criterion": k.name, "kind": k.kind, "met": k.met.n, "rate met": pct(k.met.rate),
        "not met": k.not_met.n, "rate not": pct(k.not_met.rate),
        "not judged": k.not_judged.n, "difference (95 % CI)": ci, "verdict": k.verdict,
    }  # fmt: skip


def print_lift(found: LiftReport, fmt: str = "table", columns: str | None = None) -> None:
    title = (
        f"Lift per criterion: {found.outcome} as of {found.as_of:%Y-%m-%d %H:%M} UTC, "
        f"{found.converted:,} of {found.leads:,} leads"
    )
    rows = [lift_table_row(k) for k in found.criteria]
    emit(rows, fmt, title, pick_columns(LIFT_COLUMNS, columns))


@click.command()
@click.option(
    "--outcome",
    type=click.Choice(list(STAGES_AFTER_MQL)),
    default="won",
    show_default=True,
    help="The stage that counts as converted.",
)
@AS_OF
@listing_options(LIFT_COLUMNS)
@click.pass_context
def lift(
    ctx: click.Context, outcome: str, as_of: str | None, fmt: str, columns: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Conversion of the leads that met each criterion vs those that did not.

    Every fit and engagement rule, event type, disqualifier and tier, with 95 % intervals;
    leads a rule could not judge (missing data) are counted apart, not as "did not meet".
    """
    project = open_project(ctx)
    found = project.lift(outcome=outcome, as_of=as_of_option(as_of, project.timezone))
    if as_json or fmt == "json":
        echo_json(found.as_dict())
        return
    print_lift(found, fmt, columns)
