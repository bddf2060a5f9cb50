"""``leadgate score``, ``leads``, ``explain``, ``coverage``: scores and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich import box
from rich.table import Table

from ..scoring import BatchReport, Score
from .app import JSON, as_of_option, listing_options, open_project
from .handoff_sla import duration
from .output import Column, console, echo_json, emit, err_console, esc, pick_columns

if TYPE_CHECKING:
    from ..handoff.sla import SlaClock


@click.command()
@click.option("--as-of", help="Score as of this date/time (default: now).")
@click.option(
    "--definition", "definition_file", type=click.Path(dir_okay=False),
    help="Another definition file (default: the project's).",
)  # fmt: skip
@click.option(
    "--details", is_flag=True,
    help="Keep every rule's points with each score (explain rebuilds them anyway).",
)  # fmt: skip
@click.option(
    "--buckets", type=click.IntRange(min=1),
    help="Score in this many passes, each over whole accounts (default: as many as the "
    "store's size needs in its memory_limit; the scores are the same).",
)  # fmt: skip
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]),
    help="Where to run the plan (default: [engine] name, else duckdb). Spark reads the inputs "
    "of [engine.tables] and writes Parquet to [engine] output.",
)  # fmt: skip
@JSON
@click.pass_context
def score(
    ctx: click.Context,
    as_of: str | None,
    definition_file: str | None,
    details: bool,
    buckets: int | None,
    engine: str | None,
    as_json: bool,
) -> None:
    """Score every lead with the definition's plan and store the scores with its hash."""
    project = open_project(ctx)
    when = as_of_option(as_of, project.timezone)
    if (engine or project.config.engine.get("name", "duckdb")) == "spark":
        run = project.score_spark(when, definition=definition_file)
        if as_json:
            echo_json(run.as_dict())
            return
        console.print(
            f"Scored [bold]{run.leads:,}[/bold] leads on Spark as of {run.as_of:%Y-%m-%d %H:%M} "
            f"UTC in {run.seconds:.2f}s; wrote {esc(run.output)} (load it into the store with "
            f"`leadgate import scores {esc(run.output)}`)",
            highlight=False,
        )
        return
    report = project.score(when, details=details, definition=definition_file, buckets=buckets)
    for warning in report.warnings:
        err_console.print(f"[yellow]{esc(warning)}[/yellow]", highlight=False)
    if as_json:
        echo_json(report.as_dict())
        return
    _print_run(report)


def _print_run(report: BatchReport) -> None:
    console.print(
        f"Scored [bold]{report.leads:,}[/bold] leads as of {report.as_of:%Y-%m-%d %H:%M} UTC "
        f"with definition {report.definition_hash[:12]} in {report.seconds:.2f}s",
        highlight=False,
    )
    # A disqualified lead has no tier: "(none)" counts it too, so it is shown once, apart.
    rows = [
        {"tier": t, "leads": n - report.disqualified if t == "(none)" else n}
        for t, n in report.tiers.items()
    ]
    rows = [r for r in rows if r["tier"] != "(none)" or r["leads"]]
    rows.append({"tier": "(disqualified)", "leads": report.disqualified})
    emit(rows, "table", "leads by tier", [Column("tier", 1), Column("leads", 1, numeric=True)])
    if report.entered_mql or report.routed or report.unrouted:
        unrouted = f", {report.unrouted:,} unrouted (see `leadgate routes test LEAD`)"
        console.print(
            f"{report.entered_mql:,} entered MQL; {report.routed:,} routed"
            + (unrouted if report.unrouted else ""),
            highlight=False,
        )


LEAD_COLUMNS = [
    Column("lead_id", 1),
    Column("tier", 1),
    Column("total", 1, numeric=True),
    Column("fit", 3, numeric=True),
    Column("engagement", 3, numeric=True),
    Column("email", 2),
    Column("title", 4),
    Column("company", 4),
    Column("grade", 5),
    Column("route", 5),
    Column("sla_due", 5),
    Column("sla_status", 5),
    Column("dq_reason", 6),
]


@click.command()
@click.option("--tier", help="Only leads in this tier.")
@click.option("--where", "where", help="A condition in the definition's language.")
@click.option("--segment", help="A segment named in leadgate.toml [segments].")
@click.option("--limit", default=50, show_default=True, help="At most this many (0: all).")
@listing_options(LEAD_COLUMNS)
@click.pass_context
def leads(
    ctx: click.Context,
    tier: str | None,
    where: str | None,
    segment: str | None,
    limit: int,
    fmt: str,
    columns: str | None,
    as_json: bool,
) -> None:
    """List scored leads, best first, by tier or by a condition (a segment)."""
    shown = pick_columns(LEAD_COLUMNS, columns)
    project = open_project(ctx)
    found = project.leads(tier=tier, where=where, segment=segment, limit=limit or None)
    title = f"{len(found.rows)} leads" + (f" in tier {tier}" if tier else "")
    emit(found.rows, "json" if as_json else fmt, title, shown, document=found.as_dict())


@click.command()
@click.argument("lead")
@click.option("--as-of", help="Explain as of this time (default: the latest scoring run).")
@JSON
@click.pass_context
def explain(ctx: click.Context, lead: str, as_of: str | None, as_json: bool) -> None:
    """Show every contribution to LEAD's score (by id or email); they add up to the total."""
    project = open_project(ctx)
    when = as_of_option(as_of, project.timezone)
    result = project.explain(lead, as_of=when)
    lead_id = result.lead_id or lead
    clock = project.sla_clocks([lead_id], at=when).get(lead_id)
    if as_json:
        echo_json(result.as_dict() | {"sla_clock": None if clock is None else clock.as_dict()})
        return
    _print_explanation(result, clock)


def _print_explanation(result: Score, clock: SlaClock | None) -> None:
    head = (
        f"[bold]{esc(result.lead_id)}[/bold]  total [bold]{result.total}[/bold] = fit "
        f"{result.fit} + engagement {result.engagement}"
    )
    if result.grade:
        head += f"  grade {result.grade}{result.band or ''}"
    console.print(head, highlight=False)
    if result.disqualified:
        console.print(f"[red]disqualified[/red]: {esc(result.dq_reason)}")
    elif result.tier:
        console.print(f"tier [bold]{esc(result.tier)}[/bold] → route {esc(result.route)}")
    else:
        console.print("no tier")
    _print_clock(result, clock)
    for judged in result.conditions:
        if judged.status in ("matched", "not judged"):
            console.print(
                f"  {judged.group} {esc(judged.name)}: {judged.status}, {esc(judged.detail)}",
                highlight=False,
            )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("points", "rule", "why"):
        table.add_column(col, justify="right" if col == "points" else "left", overflow="fold")
    for c in result.contributions:
        why = f"{c.status}: {c.detail}" if c.detail else c.status
        table.add_row(f"{c.points:+.2f}", esc(f"{c.group}: {c.label}"), esc(why))
    table.add_row(f"[bold]{result.total:.2f}[/bold]", "[bold]total[/bold]", "")
    console.print(table)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning[/yellow]: {esc(warning)}")


def _print_clock(result: Score, clock: SlaClock | None) -> None:
    """The lead's SLA clock as ``leadgate sla`` counts it, or that none runs (a score's own
    ``sla_due``, scoring time plus the SLA, is not shown: it moves on every run)."""
    if clock is not None:
        left = ""
        if clock.running:
            left = duration(abs(clock.remaining_seconds))
            left = f", overdue by {left}" if clock.remaining_seconds < 0 else f", {left} left"
        console.print(
            f"SLA {clock.status}: due {clock.due_at:%Y-%m-%d %H:%M} UTC ({clock.hours} hours "
            f"from MQL entry {clock.mql_at:%Y-%m-%d %H:%M}){left}",
            highlight=False,
        )
    elif result.sla_due is not None:
        console.print("no SLA clock runs: the lead is in no MQL period", highlight=False)


COVERAGE_COLUMNS = [
    Column("rule", 1),
    Column("kind", 3),
    Column("fields", 4),
    Column("leads", 3, numeric=True),
    Column("pct_before", 2, numeric=True),
    Column("pct_after", 1, numeric=True),
]


@click.command()
@click.option("--as-of", help="Judge as of this time (default: now).")
@listing_options(COVERAGE_COLUMNS)
@click.pass_context
def coverage(
    ctx: click.Context, as_of: str | None, fmt: str, columns: str | None, as_json: bool
) -> None:
    """Per rule: how many leads it could not judge, before and after enrichment."""
    shown = pick_columns(COVERAGE_COLUMNS, columns)
    project = open_project(ctx)
    report = project.coverage(as_of=as_of_option(as_of, project.timezone))
    rows = [r.as_dict() | {"fields": ", ".join(r.fields)} for r in report.rules]
    title = "leads each rule could not judge (missing data), % before → after enrichment"
    emit(rows, "json" if as_json else fmt, title, shown, document=report.as_dict())
