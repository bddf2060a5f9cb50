"""``leadgate serve`` and ``leadgate keys``: the HTTP API and the keys that may use it."""

from __future__ import annotations

import click

from ..project import Project
from .app import JSON, listing_options, open_project
from .output import Column, console, echo_json, emit, esc, pick_columns

KEY_COLUMNS = [
    Column("key_id", 1),
    Column("name", 1),
    Column("role", 1),
    Column("created_at", 2),
    Column("revoked_at", 2),
]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8400, show_default=True, help="Port (0: any free one).")
@click.option("--log-level", default="info", show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, log_level: str) -> None:
    """Serve the HTTP API (and hold the store: other shells' commands go through it)."""
    from ..api.server import serve as run

    # Opened directly, never through a running server: this process becomes the writer.
    project = Project.open(ctx.obj["project_dir"])
    run(project, host, port, log_level)


@click.group(invoke_without_command=True)
@listing_options(KEY_COLUMNS)
@click.pass_context
def keys(ctx: click.Context, fmt: str, columns: str | None, as_json: bool) -> None:
    """The HTTP API's keys: 'keys create NAME --role R', 'keys revoke ID'."""
    if ctx.invoked_subcommand is not None:
        return
    shown = pick_columns(KEY_COLUMNS, columns)
    result = open_project(ctx).keys()
    if as_json or fmt == "json":
        echo_json(result.as_dict())
        return
    if not result.keys and fmt == "table":
        console.print(esc("No API keys yet: `leadgate keys create NAME --role ROLE`."))
        return
    emit([k.as_dict() for k in result.keys], fmt, "API keys", shown)


@keys.command("create")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "marketing", "sales", "ingest", "read"]),
    help="What the key may do (see the README's API section).",
)
@JSON
@click.pass_context
def create(ctx: click.Context, name: str, role: str, as_json: bool) -> None:
    """Create a key; it is printed once and only its hash is kept."""
    result = open_project(ctx).create_key(name, role)
    if as_json:
        echo_json(result.as_dict())
        return
    console.print(esc(f"{result.key}"))
    console.print(
        esc(f"key {result.info.key_id} ({role}) for {name}: copy it now, it is shown once.")
    )


@keys.command("revoke")
@click.argument("key_id")
@JSON
@click.pass_context
def revoke(ctx: click.Context, key_id: str, as_json: bool) -> None:
    """Revoke a key by its id: requests with it are refused from now on."""
    result = open_project(ctx).revoke_key(key_id)
    if as_json:
        echo_json(result.as_dict())
        return
    console.print(esc(f"key {result.key_id} ({result.name}) revoked."))
