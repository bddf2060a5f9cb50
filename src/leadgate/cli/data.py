"""``leadgate import``: files into the project store, with a progress bar and a report;
``leadgate imports``: the imports on record, finished or interrupted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.table import Table

from ..ingest import BATCH_ROWS, FORMATS, KINDS, PRESETS, ImportReport, parse_pairs
from ..ingest.dates import parse_date_formats
from ..ingest.values import parse_value_pairs
from ..project import Project
from .app import JSON, listing_options, open_project
from .output import Column, console, echo_json, emit, err_console, esc, pick_columns

if TYPE_CHECKING:
    from rich.progress import Progress, Task
    from rich.text import Text


@click.command("import")
@click.argument("kind", type=click.Choice([*KINDS, "scores"]))
@click.argument("file", type=click.Path())
@click.option("--preset", type=click.Choice(list(PRESETS)), help="A CRM export layout.")
@click.option(
    "--map", "pairs", multiple=True, metavar="FIELD=COLUMN",
    help="Map a field to a file column; repeat for more.",
)  # fmt: skip
@click.option("--mapping", "mapping_name", help="A [mappings.NAME] table of leadgate.toml.")
@click.option(
    "--value",
    "value_pairs",
    multiple=True,
    metavar="FIELD:VALUE=WORD",
    help="Translate a file value to leadgate's (any case and spacing), e.g. "
    "'stage:Marketing Qualified Lead=mql'; repeat for more.",
)
@click.option(
    "--outcome-time",
    metavar="TIME",
    help="Outcomes: the time of every outcome in a file that has none, e.g. 2025-06-30.",
)
@click.option(
    "--outcome",
    metavar="WORD",
    help="Outcomes: the outcome of every row of a file that has no outcome column, e.g. won "
    "(a file of closed deals).",
)
@click.option(
    "--id-from-row", is_flag=False, flag_value="", default=None, metavar="[PREFIX]",
    help="Leads/outcomes of a file with no id or email: lead_id is PREFIX-N, N the record's "
    "number (PREFIX: the file's name). Re-import the file in the same order.",
)  # fmt: skip
@click.option("--timezone", help="Zone of naive timestamps (default: the project's).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Override the extension.")
@click.option(
    "--date-format", "date_formats", multiple=True, metavar="[FIELD=]FORMAT",
    help="How the file writes dates, e.g. '%m/%d/%Y %I:%M %p'; FIELD= for one column.",
)  # fmt: skip
@click.option(
    "--date-order", type=click.Choice(["mdy", "dmy"]),
    help="Month or day first in 01/05/2024 (default: the project's date_order).",
)  # fmt: skip
@click.option("--batch-rows", default=BATCH_ROWS, show_default=True, help="Rows per commit.")
@JSON
@click.pass_context
def import_(
    ctx: click.Context,
    kind: str,
    file: str,
    preset: str | None,
    pairs: tuple[str, ...],
    mapping_name: str | None,
    value_pairs: tuple[str, ...],
    outcome_time: str | None,
    outcome: str | None,
    id_from_row: str | None,
    timezone: str | None,
    fmt: str | None,
    date_formats: tuple[str, ...],
    date_order: str | None,
    batch_rows: int,
    as_json: bool,
) -> None:
    """Import FILE (CSV, JSON Lines, Parquet) as KIND; exit 1 if any row was rejected.

    'import scores DIR' loads the scores a `leadgate score --engine spark` run wrote."""
    project = open_project(ctx)
    if kind == "scores":
        _import_scores(project, file, as_json)
        return
    if Path(file).is_dir():
        raise click.BadParameter(f"{file} is a folder; give a file.", param_hint="FILE")
    date_format, by_field = parse_date_formats(date_formats)
    dates: dict[str, Any] = {"date_order": date_order} if date_order else {}
    if date_format is not None:
        dates["date_format"] = date_format
    if by_field:
        dates["date_formats"] = by_field
    with _progress(disable=as_json) as bar:
        task = bar.add_task(Path(file).name, total=None, unit="rows")

        def tick(done: int, total: int, unit: str = "rows") -> None:
            bar.update(task, completed=done, total=total, unit=unit)

        report = project.import_file(
            file,
            kind,
            mapping=parse_pairs(pairs),
            mapping_name=mapping_name,
            timezone=timezone,
            preset=preset,
            fmt=fmt,
            batch_rows=batch_rows,
            progress=tick,
            values=parse_value_pairs(value_pairs),
            outcome_time=outcome_time,
            outcome=outcome,
            id_from_row=id_from_row if id_from_row is None else id_from_row or True,
            **dates,
        )
    if as_json:
        echo_json(report.as_dict())
    else:
        _print_report(report)
    ctx.exit(0 if report.ok else 1)


def _amount(task: Task) -> Text:
    """``1,234,567/50,000,000 rows``, or ``0.8/4.2 GB`` for a text file read by bytes."""
    from rich.filesize import decimal
    from rich.text import Text

    total = task.total
    if task.fields.get("unit") == "bytes":
        shown = f"{decimal(int(task.completed))}/{decimal(int(total)) if total else '?'}"
    else:
        shown = f"{int(task.completed):,}/{f'{int(total):,}' if total else '?'} rows"
    return Text(shown, style="progress.download")


def _progress(disable: bool) -> Progress:
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class Amount(ProgressColumn):
        def render(self, task: Task) -> Text:
            return _amount(task)

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        Amount(),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),
        TimeRemainingColumn(),
        TextColumn("left"),
        console=err_console,
        disable=disable,
        transient=True,
    )


def _print_report(report: ImportReport) -> None:
    for notice in report.notices:
        err_console.print(f"[yellow]note[/yellow] {esc(notice)}", highlight=False, soft_wrap=True)
    console.print(f"[bold]import {report.kind}[/bold] {esc(report.file)}", highlight=False)
    counts = Table(show_header=False, box=box.SIMPLE, pad_edge=False)
    rows: list[tuple[str, Any]] = [
        ("read", report.rows_read),
        ("loaded", report.rows_loaded),
        ("unchanged", report.rows_unchanged),
        ("rejected", report.rows_rejected),
        ("rows/second", f"{report.rows_per_second:,.0f}"),
    ]
    if report.outcomes or report.kind == "outcomes":
        loaded = ", ".join(f"{o}: {n:,}" for o, n in report.outcomes.items())
        rows.append(("outcomes", loaded or "none"))
    if report.columns_added:
        rows.append(("new columns", ", ".join(report.columns_added)))
    if report.columns_ignored:
        rows.append(("ignored columns", ", ".join(report.columns_ignored)))
    if report.aliases_added:
        rows.append(("joined by email", f"{report.aliases_added} ids of leads already stored"))
    if report.shared_emails:
        rows.append(("shared emails", f"{report.shared_emails} (see 'leadgate merge')"))
    if report.enrichment is not None and hasattr(report.enrichment, "summary"):
        rows.append(("enrichment", report.enrichment.summary()))
    for name, value in rows:
        counts.add_row(name, esc(value))
    console.print(counts)
    if report.rejects:
        rejects = Table(
            title=f"first {len(report.rejects)} of {report.rows_rejected} rejects",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for col in ("line", "column", "reason", "value"):
            rejects.add_column(col, overflow="fold")
        for r in report.rejects:
            rejects.add_row(*(esc(v or "") for v in (r.line, r.column, r.reason, r.raw)))
        console.print(rejects)
        console.print(
            f"All rejects: SELECT * FROM rejects WHERE import_id = '{report.import_id}'",
            soft_wrap=True,
        )


IMPORT_COLUMNS = [
    Column("state", 1),
    Column("kind", 2),
    Column("file", 2),  # the file's name; ``path`` is where it was
    Column("started", 3),
    Column("loaded", 3, numeric=True),
    Column("rejected", 3, numeric=True),
    Column("read", 5, numeric=True),
    Column("finished", 6),
    Column("import_id", 6),
    Column("path", 7),
    Column("error", 8),
]


def _import_scores(project: Project, folder: str, as_json: bool) -> None:
    report = project.import_scores(folder)
    if as_json:
        echo_json(report.as_dict())
        return
    console.print(
        f"Loaded [bold]{report.leads:,}[/bold] scores of definition {report.definition_hash[:12]}"
        f" as of {report.as_of:%Y-%m-%d %H:%M} UTC; {report.entered_mql:,} leads entered MQL",
        highlight=False,
    )


@click.command()
@click.option("--limit", default=20, show_default=True, help="The latest this many (0: all).")
@listing_options(IMPORT_COLUMNS)
@click.pass_context
def imports(ctx: click.Context, limit: int, fmt: str, columns: str | None, as_json: bool) -> None:
    """List the imports on record, the latest first: finished, failed or interrupted."""
    shown = pick_columns(IMPORT_COLUMNS, columns)
    found = open_project(ctx).imports(limit=limit or None)
    rows = [
        {
            "state": i.state,
            "kind": i.kind,
            "file": Path(i.file).name,
            "started": i.started_at,
            "loaded": i.rows_loaded,
            "rejected": i.rows_rejected,
            "read": i.rows_read,
            "finished": i.finished_at,
            "import_id": i.import_id,
            "path": i.file,
            "error": i.error,
        }
        for i in found.imports
    ]
    title = f"{len(rows)} imports, latest first (times in UTC)"
    emit(rows, "json" if as_json else fmt, title, shown, document=found.as_dict())
    if found.interrupted and not as_json and fmt == "table":
        err_console.print(
            f"[yellow]{len(found.interrupted)} interrupted[/yellow]: their whole batches are "
            "stored; import the same file again to complete one.",
            highlight=False,
            soft_wrap=True,
        )
