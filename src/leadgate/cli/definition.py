"""``leadgate validate`` and ``leadgate publish``: the definition as both teams read it."""

from __future__ import annotations

from pathlib import Path

import click

from ..clock import SystemClock
from ..errors import ProjectNotFound
from ..project import Project
from .app import JSON, open_project
from .output import console, echo_json, esc


def _project_for(ctx: click.Context, file: str | None) -> Project:
    """The project around us; a definition FILE named outside any project needs none."""
    try:
        return open_project(ctx)
    except ProjectNotFound:
        if file is None:
            raise click.UsageError(
                "Name a definition file, or run this inside a project (leadgate init)."
            ) from None
        return Project(Path(file).resolve().parent, clock=SystemClock())


@click.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@JSON
@click.pass_context
def validate(ctx: click.Context, file: str | None, as_json: bool) -> None:
    """Check a definition; report every problem at once. Exit 1 when invalid."""
    result = _project_for(ctx, file).validate(file)
    if as_json:
        echo_json(result.as_dict())
        ctx.exit(0 if result.ok else 1)
    for problem in result.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        console.print(f"[{colour}]{esc(problem.format(result.source))}[/{colour}]", highlight=False)
    summary = result.as_dict()
    if result.ok and result.definition is not None:
        d = result.definition
        console.print(
            f"[green]valid[/green] {esc(result.source)}: {esc(d.name)} version {esc(d.version)}, "
            f"hash {summary['hash'][:12]}",
            highlight=False,
        )
    else:
        console.print(f"[red]invalid[/red] {esc(result.source)}: {len(result.errors)} error(s)")
    ctx.exit(0 if result.ok else 1)


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown",
    show_default=True, help="Output format.",
)  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@click.pass_context
def publish(ctx: click.Context, file: str | None, fmt: str, output: str | None) -> None:
    """Render the definition as a readable page (Markdown or HTML) for both teams."""
    page = _project_for(ctx, file).publish(fmt, file)
    if output:
        Path(output).write_text(page.text, encoding="utf-8")
        console.print(f"Wrote {esc(output)}")
    else:
        click.echo(page.text)
