"""``leadgate init``: create a project folder."""

from __future__ import annotations

import click

from ..project import init_project
from .output import console, esc


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.pass_context
def init(ctx: click.Context, directory: str) -> None:
    """Create a project (leadgate.toml, definition.yaml, leadgate.duckdb) in DIRECTORY."""
    project = init_project(ctx.obj["project_dir"] or directory)
    console.print(f"Project ready in [bold]{esc(project.root)}[/bold]")
    console.print("Next: leadgate import leads FILE, then edit definition.yaml")
