"""``leadgate backtest`` and ``leadgate compare``: a definition replayed over history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import click

from ..analytics.backtest import BacktestResult
from ..analytics.compare import CompareResult
from .app import JSON, open_project
from .output import Column, console, echo_json, emit, esc

F = Callable[..., Any]
SEE_ALL = "--json"


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD.", param_hint=name
        ) from exc


def span_options(f: F) -> F:
    """The options backtest and compare share: the days, the step, the outcome, the window."""
    options = [
        click.option("--from", "start", help="First day replayed (YYYY-MM-DD; default: a year "
                     "before --to)."),
        click.option("--to", "end", help="Last day replayed (default: the last day with data)."),
        click.option("--step", type=click.Choice(["day", "week"]), default="day",
                     show_default=True, help="Replay every day or every week."),
        click.option("--outcome", "outcomes", multiple=True, default=("won",), show_default=True,
                     help="An outcome that counts as converted (repeatable)."),
        click.option("--window", "window_days", type=click.IntRange(min=1), default=90,
                     show_default=True, help="Days after the MQL day a conversion counts."),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


@click.command()
@click.argument("definition", required=False, type=click.Path(dir_okay=False))
@span_options
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]),
    help="Where to replay (default: [engine] name, else duckdb). Spark reads the inputs of "
    "[engine.tables]; the outcomes are the store's.",
)  # fmt: skip
@JSON
@click.pass_context
def backtest(
    ctx: click.Context,
    definition: str | None,
    start: str | None,
    end: str | None,
    step: str,
    outcomes: tuple[str, ...],
    window_days: int,
    engine: str | None,
    as_json: bool,
) -> None:
    """Replay a definition as of each day, without the future: MQLs, precision, recall."""
    result = open_project(ctx).backtest(
        definition,
        start=_date(start, "--from"),
        end=_date(end, "--to"),
        step=step,
        outcomes=outcomes,
        window_days=window_days,
        engine=engine,
    )
    if as_json:
        echo_json(result.as_dict())
        return
    _print_backtest(result)


MONTH_COLUMNS = [
    Column("month", 1),
    Column("mqls", 1, numeric=True),
    Column("complete", 2, numeric=True),
    Column("converted", 1, numeric=True),
    Column("censored", 2, numeric=True),
    Column("precision", 1, numeric=True),
    Column("converted_before_mql", 3, numeric=True),
]


def _print_backtest(r: BacktestResult) -> None:
    console.print(
        f"Backtest of [bold]{esc(r.definition_name)}[/bold] {esc(r.definition_version)} "
        f"({r.definition_hash[:12]}): {r.days} {r.step}s from {r.start} to {r.end}, "
        f"{r.leads:,} leads, {r.pairs:,} (lead, day) pairs evaluated in {r.seconds:.2f}s"
        f" (replay: {esc(r.replay)})",
        highlight=False,
    )
    rows = [
        {**m.__dict__, "precision": _pct(m.precision)}  # noqa: C408
        for m in r.months
    ]
    emit(rows, "table", f"MQLs by month (converted: {'/'.join(r.outcomes)} within "
         f"{r.window_days} days)", MONTH_COLUMNS, see_all=SEE_ALL)  # fmt: skip
    for line in _summary(r):
        console.print(line, highlight=False)


def _summary(r: BacktestResult) -> list[str]:
    missed = r.missed
    lines = [
        f"MQLs: {r.mqls:,} ({r.mqls_on_first_day:,} already on the first day); "
        f"precision {_pct(r.precision)} of {r.complete:,} with a closed window "
        f"({r.censored:,} censored, observed until {r.observed_until or '-'})",
        f"Recall: {r.caught:,} of {r.converters:,} converters caught before converting "
        f"({_pct(r.recall)}); median {_days(r.median_days_to_mql)} days from first touch to MQL",
        f"Missed: {missed.count:,} ({missed.never_mql:,} never an MQL, "
        f"{missed.mql_after_converting:,} only after converting)"
        + (f": {', '.join(esc(s) for s in missed.sample)}" if missed.sample else ""),
    ]
    return lines


@click.command()
@click.argument("current", type=click.Path(dir_okay=False))
@click.argument("proposed", type=click.Path(dir_okay=False))
@span_options
@JSON
@click.pass_context
def compare(
    ctx: click.Context,
    current: str,
    proposed: str,
    start: str | None,
    end: str | None,
    step: str,
    outcomes: tuple[str, ...],
    window_days: int,
    as_json: bool,
) -> None:
    """Backtest two definitions side by side, the leads that change tier, and why."""
    result = open_project(ctx).compare(
        current,
        proposed,
        start=_date(start, "--from"),
        end=_date(end, "--to"),
        step=step,
        outcomes=outcomes,
        window_days=window_days,
    )
    if as_json:
        echo_json(result.as_dict())
        return
    _print_compare(result)


def _print_compare(r: CompareResult) -> None:
    a, b = r.a, r.b
    console.print(
        f"Compare {esc(a.definition_name)} {esc(a.definition_version)} (A) with "
        f"{esc(b.definition_name)} {esc(b.definition_version)} (B): {a.days} {a.step}s from "
        f"{a.start} to {a.end}, {r.seconds:.2f}s",
        highlight=False,
    )
    metrics = [
        ("MQLs", a.mqls, b.mqls),
        ("precision", _pct(a.precision), _pct(b.precision)),
        ("censored", a.censored, b.censored),
        ("recall", _pct(a.recall), _pct(b.recall)),
        ("median days to MQL", a.median_days_to_mql, b.median_days_to_mql),
        ("missed converters", a.missed.count, b.missed.count),
        ("MQL under one only", r.mql_only_a, r.mql_only_b),
    ]
    sides = [Column("metric", 1), Column("A", 1, numeric=True), Column("B", 1, numeric=True)]
    rows = [{"metric": m, "A": x, "B": y} for m, x, y in metrics]
    emit(rows, "table", "side by side", sides, see_all=SEE_ALL)
    by_month: dict[str, dict[str, Any]] = {}
    for side, result in (("A", a), ("B", b)):
        for m in result.months:
            row = by_month.setdefault(m.month, {"month": m.month})
            row[f"mqls {side}"], row[f"precision {side}"] = m.mqls, _pct(m.precision)
    columns = [Column("month", 1)] + [
        Column(f"{k} {s}", 1, numeric=True) for k in ("mqls", "precision") for s in "AB"
    ]
    emit(
        [by_month[k] for k in sorted(by_month)], "table", "MQLs by month", columns, see_all=SEE_ALL
    )
    changes = [
        {"from (A)": c.from_tier, "to (B)": c.to_tier, "leads": c.leads,
         "sample": ", ".join(c.sample[:3])}
        for c in r.changes
    ]  # fmt: skip
    change_columns = [Column("from (A)", 1), Column("to (B)", 1), Column("leads", 1, True)]
    change_columns.append(Column("sample", 3))
    title = f"{r.changed:,} leads change tier (on the last day)"
    emit(changes, "table", title, change_columns, see_all=SEE_ALL)
    rules = [{"rule": m.rule, "leads": m.leads, "in": _sides(m.in_a, m.in_b)} for m in r.rules]
    rule_columns = [Column("rule", 1), Column("leads", 1, numeric=True), Column("in", 2)]
    title = "rules that scored the changed leads differently"
    emit(rules, "table", title, rule_columns, see_all=SEE_ALL)


def _sides(in_a: bool, in_b: bool) -> str:
    return " ".join(side for side, present in (("A", in_a), ("B", in_b)) if present)
