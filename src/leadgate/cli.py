"""The ``leadgate`` command: thin adapters over the library.

Each command parses its input, calls one library function and prints the result with rich
(``--json`` for machines). Exit codes: 0 ok, 1 a handled failure (any
:class:`~leadgate.errors.LeadgateError`, or an import that rejected rows), 2 unexpected.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from . import __version__
from .errors import LeadgateError
from .ingest import FORMATS, KINDS, PRESETS, ImportReport, parse_pairs
from .project import Project, init_project

if TYPE_CHECKING:
    from rich.progress import Progress

console = Console()
err_console = Console(stderr=True)


class LeadgateGroup(click.Group):
    """Maps errors to exit codes: LeadgateError → message + 1, anything else → 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except LeadgateError as exc:
            err_console.print(f"[red]error[/red] {getattr(exc, 'code', '')}: {exc}", markup=True)
            ctx.exit(1)
        except Exception as exc:  # the promise of exit code 2 for the unexpected
            if ctx.obj and ctx.obj.get("trace"):
                err_console.print_exception()
            err_console.print(f"[red]unexpected error[/red]: {type(exc).__name__}: {exc}")
            ctx.exit(2)


def _tracer(sql: str, params: Sequence[Any] | None) -> None:
    err_console.print(f"[dim]{sql.strip()}[/dim]" + (f"  {list(params)}" if params else ""))


@click.group(cls=LeadgateGroup)
@click.option(
    "-C",
    "--project",
    "project_dir",
    type=click.Path(file_okay=False),
    help="The project folder (default: this folder or a parent).",
)
@click.option("--trace", is_flag=True, help="Print every SQL statement to stderr.")
@click.version_option(__version__, message="leadgate %(version)s")
@click.pass_context
def main(ctx: click.Context, project_dir: str | None, trace: bool) -> None:
    """leadgate: one agreed MQL definition, scored on every lead."""
    ctx.ensure_object(dict)
    ctx.obj.update(project_dir=project_dir, trace=trace)


def open_project(ctx: click.Context) -> Project:
    """The project the global options point at (for every command that needs one)."""
    return Project.open(ctx.obj["project_dir"], tracer=_tracer if ctx.obj["trace"] else None)


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.pass_context
def init(ctx: click.Context, directory: str) -> None:
    """Create a project (leadgate.toml, definition.yaml, leadgate.duckdb) in DIRECTORY."""
    project = init_project(ctx.obj["project_dir"] or directory)
    console.print(f"Project ready in [bold]{project.root}[/bold]")
    console.print("Next: leadgate import leads FILE, then edit definition.yaml")


@main.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--preset", type=click.Choice(list(PRESETS)), help="A CRM export layout.")
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Map a field to a file column; repeat for more.",
)
@click.option("--mapping", "mapping_name", help="A [mappings.NAME] table of leadgate.toml.")
@click.option("--timezone", help="Zone of naive timestamps (default: the project's).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Override the extension.")
@click.option("--batch-rows", default=500_000, show_default=True, help="Rows per commit.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def import_(
    ctx: click.Context,
    kind: str,
    file: str,
    preset: str | None,
    pairs: tuple[str, ...],
    mapping_name: str | None,
    timezone: str | None,
    fmt: str | None,
    batch_rows: int,
    as_json: bool,
) -> None:
    """Import FILE (CSV, JSON Lines, Parquet) as KIND; exit 1 if any row was rejected."""
    project = open_project(ctx)
    with _progress(disable=as_json) as bar:
        task = bar.add_task(Path(file).name, total=None, rate="")
        started = time.perf_counter()

        def tick(done: int, total: int, unit: str = "rows") -> None:
            rate = done / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total, rate=f"{rate:,.0f} rows/s")

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
        )
    if as_json:
        click.echo(json.dumps(report.to_dict(), default=str, indent=2))
    else:
        _print_report(report)
    ctx.exit(0 if report.ok else 1)


def _progress(disable: bool) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=disable,
        transient=True,
    )


def _print_report(report: ImportReport) -> None:
    counts = Table(title=f"import {report.kind} {report.file}", show_header=False)
    for name, value in (
        ("read", report.rows_read),
        ("loaded", report.rows_loaded),
        ("unchanged", report.rows_unchanged),
        ("rejected", report.rows_rejected),
        ("rows/second", f"{report.rows_per_second:,.0f}"),
    ):
        counts.add_row(name, str(value))
    if report.columns_added:
        counts.add_row("new columns", ", ".join(report.columns_added))
    if report.columns_ignored:
        counts.add_row("ignored columns", ", ".join(report.columns_ignored))
    if report.enrichment is not None and hasattr(report.enrichment, "summary"):
        counts.add_row("enrichment", report.enrichment.summary())
    console.print(counts)
    if report.rejects:
        rejects = Table(title=f"first {len(report.rejects)} of {report.rows_rejected} rejects")
        for col in ("line", "column", "reason", "value"):
            rejects.add_column(col)
        for r in report.rejects:
            rejects.add_row(str(r.line or ""), r.column or "", r.reason, r.raw or "")
        console.print(rejects)
        console.print(f"All rejects: SELECT * FROM rejects WHERE import_id = '{report.import_id}'")


# The scoring commands live in their own module; importing it registers them on ``main``.
from . import cli_scoring  # noqa: E402, F401

if __name__ == "__main__":  # python -m leadgate.cli
    # Run the imported module's group: that is the one the scoring commands registered on.
    from leadgate.cli import main as registered

    sys.exit(registered())
