"""The ``leadgate`` commands around the definition and scores.

validate · publish · score · leads · explain · coverage · demo. Like :mod:`leadgate.cli`,
each parses its input, calls one library function and prints the result (``--json`` for
scripts). The clock is read here, at the edge, and nowhere in the library.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.table import Table

from .cli import console, err_console, main, open_project
from .definition import CompiledDefinition, compile_definition, validate
from .errors import DefinitionError, ProjectNotFound


def _as_of(value: str | None, zone: str) -> dt.datetime:
    """``--as-of``: an ISO date or time; naive ones are in the project's zone. Default: now."""
    if value is None:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date or time; write 2026-11-01 or 2026-11-01T09:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(dt.timezone.utc)


def _definition_path(ctx: click.Context, given: str | None) -> Path:
    if given:
        return Path(given)
    try:
        return open_project(ctx).definition_path
    except ProjectNotFound:
        raise click.UsageError(
            "Name a definition file, or run this inside a project (leadgate init)."
        ) from None


def _compiled(path: Path) -> CompiledDefinition:
    result = validate(path)
    for problem in result.warnings:
        err_console.print(f"[yellow]{problem.format(str(path))}[/yellow]", highlight=False)
    if not result.ok or result.definition is None:
        raise DefinitionError(result.problems, str(path))
    return compile_definition(result.definition)


def _emit(rows: list[dict[str, Any]], fmt: str, title: str, columns: list[str]) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
        return
    table = Table(title=title)
    for col in columns:
        table.add_column(col, justify="right" if col in NUMERIC else "left")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else _cell(row.get(c)) for c in columns))
    console.print(table)


NUMERIC = {
    "total",
    "fit",
    "engagement",
    "leads",
    "accepted",
    "won",
    "pct_before",
    "pct_after",
    "won_pct",
}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output format.",
)
JSON = click.option("--json", "as_json", is_flag=True, help="Same as --format json.")


@main.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@click.pass_context
def validate_cmd(ctx: click.Context, file: str | None, as_json: bool) -> None:
    """Check a definition; report every problem at once. Exit 1 when invalid."""
    path = _definition_path(ctx, file)
    result = validate(path)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": str(path),
                    "valid": result.ok,
                    "hash": compile_definition(result.definition).hash
                    if result.ok and result.definition
                    else None,
                    "problems": [vars(p) for p in result.problems],
                },
                indent=2,
                default=str,
            )
        )
    else:
        for problem in result.problems:
            colour = "red" if problem.severity == "error" else "yellow"
            console.print(f"[{colour}]{problem.format(str(path))}[/{colour}]", highlight=False)
        if result.ok and result.definition is not None:
            compiled = compile_definition(result.definition)
            console.print(
                f"[green]valid[/green] {path}: {result.definition.name} "
                f"version {result.definition.version}, hash {compiled.short_hash}"
            )
        else:
            console.print(f"[red]invalid[/red] {path}: {len(result.errors)} error(s)")
    ctx.exit(0 if result.ok else 1)


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@click.pass_context
def publish(ctx: click.Context, file: str | None, fmt: str, output: str | None) -> None:
    """Render the definition as a readable page (Markdown or HTML) for both teams."""
    from .publish import to_html, to_markdown

    compiled = _compiled(_definition_path(ctx, file))
    today = dt.datetime.now(dt.timezone.utc).date()
    page = to_html(compiled, today) if fmt == "html" else to_markdown(compiled, today)
    if output:
        Path(output).write_text(page, encoding="utf-8")
        console.print(f"Wrote {output}")
    else:
        click.echo(page)


@main.command()
@click.option("--as-of", help="Score as of this date/time (default: now).")
@click.option(
    "--definition",
    "definition_file",
    type=click.Path(dir_okay=False),
    help="Another definition file (default: the project's).",
)
@click.option(
    "--details",
    is_flag=True,
    help="Keep every rule's points with each score (explain rebuilds them anyway).",
)
@JSON
@click.pass_context
def score(
    ctx: click.Context,
    as_of: str | None,
    definition_file: str | None,
    details: bool,
    as_json: bool,
) -> None:
    """Score every lead with the definition's plan and store the scores with its hash."""
    from .scoring import score_store

    project = open_project(ctx)
    path = Path(definition_file) if definition_file else project.definition_path
    compiled = _compiled(path)
    when = _as_of(as_of, project.timezone)
    with project.store() as store:
        report = score_store(
            store, compiled, when, source=path.read_text(encoding="utf-8"), details=details
        )
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    console.print(
        f"Scored [bold]{report.leads:,}[/bold] leads as of {when:%Y-%m-%d %H:%M} UTC "
        f"with {compiled.definition.name} {compiled.definition.version} "
        f"({compiled.short_hash}) in {report.seconds:.2f}s"
    )
    rows = [{"tier": t, "leads": n} for t, n in report.tiers.items()]
    rows.append({"tier": "(disqualified)", "leads": report.disqualified})
    _emit(rows, "table", "leads by tier", ["tier", "leads"])


LEAD_COLUMNS = [
    "lead_id",
    "email",
    "title",
    "company",
    "tier",
    "total",
    "fit",
    "engagement",
    "grade",
    "route",
    "sla_due",
    "dq_reason",
]


@main.command()
@click.option("--tier", help="Only leads in this tier.")
@click.option("--where", "where", help="A condition in the definition's language.")
@click.option("--segment", help="A segment named in leadgate.toml [segments].")
@click.option("--limit", default=50, show_default=True, help="At most this many (0: all).")
@FORMAT
@JSON
@click.pass_context
def leads(
    ctx: click.Context,
    tier: str | None,
    where: str | None,
    segment: str | None,
    limit: int,
    fmt: str,
    as_json: bool,
) -> None:
    """List scored leads, best first, by tier or by a condition (a segment)."""
    from .scoring.lookup import list_leads

    project = open_project(ctx)
    if segment:
        segments = project.segments
        if segment not in segments:
            known = ", ".join(segments) or "none yet"
            raise click.BadParameter(f"No segment {segment!r} in leadgate.toml (known: {known})")
        where = f"({segments[segment]}) and ({where})" if where else segments[segment]
    compiled = _compiled(project.definition_path)
    with project.store() as store:
        rows = list_leads(store, compiled, tier=tier, where=where, limit=limit or None)
    _emit(rows, "json" if as_json else fmt, f"{len(rows)} leads", LEAD_COLUMNS)


@main.command()
@click.argument("lead")
@click.option("--as-of", help="Explain as of this time (default: the latest scoring run).")
@JSON
@click.pass_context
def explain(ctx: click.Context, lead: str, as_of: str | None, as_json: bool) -> None:
    """Show every contribution to LEAD's score (by id or email); they add up to the total."""
    from .scoring.lookup import explain_lead

    project = open_project(ctx)
    compiled = _compiled(project.definition_path)
    when = _as_of(as_of, project.timezone) if as_of else None
    with project.store() as store:
        result = explain_lead(store, compiled, lead, when)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    head = (
        f"[bold]{result.lead_id}[/bold]  total [bold]{result.total}[/bold] = fit "
        f"{result.fit} + engagement {result.engagement}"
    )
    if result.grade:
        head += f"  grade {result.grade}{result.band or ''}"
    console.print(head)
    if result.disqualified:
        console.print(f"[red]disqualified[/red]: {result.dq_reason}")
    elif result.tier:
        due = f", follow up by {result.sla_due:%Y-%m-%d %H:%M} UTC" if result.sla_due else ""
        console.print(f"tier [bold]{result.tier}[/bold] → route {result.route}{due}")
    else:
        console.print("no tier")
    table = Table(show_header=True)
    for col in ("group", "rule", "points", "status", "detail"):
        table.add_column(col, justify="right" if col == "points" else "left")
    for c in result.contributions:
        table.add_row(c.group, c.label, f"{c.points:+.2f}", c.status, c.detail)
    table.add_row("", "[bold]total[/bold]", f"[bold]{result.total:.2f}[/bold]", "", "")
    console.print(table)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning[/yellow]: {warning}")


@main.command()
@click.option("--as-of", help="Judge as of this time (default: now).")
@FORMAT
@JSON
@click.pass_context
def coverage(ctx: click.Context, as_of: str | None, fmt: str, as_json: bool) -> None:
    """Per rule: how many leads it could not judge, before and after enrichment."""
    from .scoring.coverage import rule_coverage

    project = open_project(ctx)
    compiled = _compiled(project.definition_path)
    with project.store() as store:
        rows = rule_coverage(store, compiled, _as_of(as_of, project.timezone))
    data = [r.as_dict() | {"fields": ", ".join(r.fields)} for r in rows]
    _emit(
        data,
        "json" if as_json else fmt,
        "leads each rule could not judge (missing data)",
        ["rule", "kind", "fields", "leads", "pct_before", "pct_after"],
    )


@main.command()
@click.argument("directory", default="demo-project", type=click.Path(file_okay=False))
@click.option("--leads", "n_leads", default=5_000, show_default=True)
@click.option("--accounts", default=600, show_default=True)
@click.option("--seed", default=7, show_default=True)
@JSON
def demo(directory: str, n_leads: int, accounts: int, seed: int, as_json: bool) -> None:
    """Generate a realistic B2B dataset, import it, score it, hand off, and show the result."""
    from .demo import run_demo

    with console.status("generating, importing and scoring a B2B dataset..."):
        result = run_demo(directory, seed=seed, leads=n_leads, accounts=accounts)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, default=str))
        return
    imported = ", ".join(f"{r.rows_loaded:,} {k}" for k, r in result.imports.items())
    console.print(f"[bold]leadgate demo[/bold] in {result.directory}: imported {imported}")
    console.print(
        f"Scored {result.scoring.leads:,} leads as of {result.scoring.as_of:%Y-%m-%d} "
        f"(definition {result.scoring.definition_hash[:12]}) in "
        f"{result.scoring.seconds:.2f}s"
    )
    _emit(
        result.tiers,
        "table",
        "leads by tier, and what sales made of them later",
        ["tier", "leads", "accepted", "won", "won_pct"],
    )
    _emit(
        result.queue,
        "table",
        "handed to sales: the top of each queue",
        ["lead_id", "title", "company", "tier", "total", "route", "sla_due"],
    )
    for explained in result.explained:
        console.print(
            f"\n[bold]why {explained.lead_id} is {explained.tier}[/bold] (total {explained.total})"
        )
        for c in explained.contributions:
            if c.cents or c.status == "not judged":
                detail = c.detail if c.group != "fit" or c.status == "not judged" else ""
                console.print(
                    f"  {c.points:+8.2f}  {c.group:10} {c.label} [dim]{detail}[/dim]",
                    highlight=False,
                )
    _emit(
        [r.as_dict() for r in result.coverage],
        "table",
        "% of leads each rule could not judge, before → after enrichment",
        ["rule", "kind", "pct_before", "pct_after"],
    )
    console.print(
        f"\nDone in {result.seconds:.1f}s. Explore: leadgate -C {directory} leads "
        "--tier hot | explain LEAD | publish"
    )
