"""``leadgate plan``: the scoring query for a warehouse, to schedule in its own tooling."""

from __future__ import annotations

import click

from ..scoring.dialects import DIALECTS
from .app import JSON, as_of_option, open_project
from .output import echo_json


@click.command()
@click.option(
    "--dialect", type=click.Choice(DIALECTS), default="duckdb", show_default=True,
    help="The SQL dialect to write the plan in.",
)  # fmt: skip
@click.option("--as-of", help="Score as of this date/time (default: now).")
@click.option(
    "--definition", "definition_file", type=click.Path(dir_okay=False),
    help="Another definition file (default: the project's).",
)  # fmt: skip
@click.option(
    "--table", "tables", multiple=True, metavar="NAME=RELATION",
    help="Read NAME (leads, accounts, events, intent) from RELATION, e.g. leads=crm.leads.",
)  # fmt: skip
@JSON
@click.pass_context
def plan(
    ctx: click.Context,
    dialect: str,
    as_of: str | None,
    definition_file: str | None,
    tables: tuple[str, ...],
    as_json: bool,
) -> None:
    """Print the scoring query in a warehouse's dialect; its rows are the scores."""
    project = open_project(ctx)
    named = {}
    for pair in tables:
        name, sep, relation = pair.partition("=")
        if not sep or not relation:
            raise click.BadParameter(f"{pair!r}: write NAME=RELATION", param_hint="--table")
        named[name.strip()] = relation.strip()
    result = project.plan(
        dialect,
        as_of_option(as_of, project.timezone),
        definition=definition_file,
        tables=named,
    )
    if as_json:
        echo_json(result.as_dict())
        return
    click.echo(f"-- leadgate plan: definition {result.definition_hash[:12]}, {dialect}, as of "
               f"{result.as_of:%Y-%m-%d %H:%M:%S} UTC")  # fmt: skip
    click.echo(result.sql + ";")
