"""``leadgate users``: the people who sign in to the dashboard (``leadgate serve``)."""

from __future__ import annotations

import sys

import click

from .app import JSON, listing_options, open_project
from .output import Column, console, echo_json, emit, esc, pick_columns

USER_COLUMNS = [
    Column("name", 1),
    Column("role", 1),
    Column("has_password", 2),
    Column("created_at", 2),
    Column("disabled_at", 2),
]
PASSWORD_STDIN = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)


@click.group(invoke_without_command=True)
@listing_options(USER_COLUMNS)
@click.pass_context
def users(ctx: click.Context, fmt: str, columns: str | None, as_json: bool) -> None:
    """The dashboard's people: 'users add NAME --role R', 'users disable NAME',
    'users password NAME'."""
    if ctx.invoked_subcommand is not None:
        return
    shown = pick_columns(USER_COLUMNS, columns)
    result = open_project(ctx).users()
    if as_json or fmt == "json":
        echo_json(result.as_dict())
        return
    if not result.users and fmt == "table":
        console.print(esc("No users yet: `leadgate users add NAME --role admin`."))
        return
    emit([u.as_dict() for u in result.users], fmt, "Dashboard users", shown)


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "marketing", "sales", "read"]),
    help="What they may do (see the README's Dashboard section).",
)
@PASSWORD_STDIN
@JSON
@click.pass_context
def add(ctx: click.Context, name: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Add a person; asks for their password (at least 10 characters)."""
    password = _password(password_stdin)
    result = open_project(ctx).add_user(name, role, password)
    if as_json:
        echo_json(result.as_dict())
        return
    console.print(esc(f"user {result.name} ({result.role}) added: they can sign in now."))


@users.command("disable")
@click.argument("name")
@JSON
@click.pass_context
def disable(ctx: click.Context, name: str, as_json: bool) -> None:
    """Disable a person: they cannot sign in, and their sessions end now."""
    result = open_project(ctx).disable_user(name)
    if as_json:
        echo_json(result.as_dict())
        return
    console.print(esc(f"user {result.name} disabled; their sessions ended."))


@users.command("password")
@click.argument("name")
@PASSWORD_STDIN
@JSON
@click.pass_context
def password(ctx: click.Context, name: str, password_stdin: bool, as_json: bool) -> None:
    """Set a person's password; their open sessions end."""
    result = open_project(ctx).set_password(name, _password(password_stdin))
    if as_json:
        echo_json(result.as_dict())
        return
    console.print(esc(f"password of {result.name} set; their open sessions ended."))


def _password(from_stdin: bool) -> str:
    """The password typed twice (hidden), or the first line of standard input."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value
