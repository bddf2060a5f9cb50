"""The ``leadgate`` group: global options, the project, the clock, and exit codes.

Exit codes: 0 ok; 1 a handled problem (any :class:`~leadgate.errors.LeadgateError`, or an
import that rejected rows); 2 a usage error (a bad option, as Click reports it) or an
unexpected error. With ``--json`` every error is printed to stderr as
``{"error": {"code": ..., "message": ...}}`` with the same exit code.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from typing import Any, cast
from zoneinfo import ZoneInfo

import click
from click.decorators import FC

from .. import __version__
from ..clock import SystemClock
from ..errors import UNEXPECTED_ERROR, USAGE_ERROR, LeadgateError
from ..project import Project
from .output import Column, err_console, esc, print_error, wants_json


class LeadgateGroup(click.Group):
    """Maps errors to exit codes and to the output format the command line asked for."""

    as_json = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order of the workflow, as registered

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; in standalone mode, print errors as asked and exit."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        self.as_json = wants_json(argv)
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:  # a usage error: Click's message, exit 2
            if self.as_json:
                print_error(USAGE_ERROR, exc.format_message(), True)
            else:
                exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            err_console.print("Aborted.")
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except LeadgateError as exc:
            print_error(exc.code, str(exc), self.as_json)
            ctx.exit(1)
        except Exception as exc:  # the promise of exit code 2 for the unexpected
            if ctx.obj and ctx.obj.get("trace"):
                err_console.print_exception()
            print_error(UNEXPECTED_ERROR, f"{type(exc).__name__}: {exc}", self.as_json)
            ctx.exit(2)


def _tracer(sql: str, params: Sequence[Any] | None) -> None:
    text = sql.strip() + (f"  {list(params)}" if params else "")
    err_console.print(f"[dim]{esc(text)}[/dim]", highlight=False)


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
    """The project the global options point at, with the system clock (read only here).

    While ``leadgate serve`` holds the project's store, the project's calls go to that
    server (:mod:`leadgate.api.local`): the same calls, answered by the one writer.
    """
    project = Project.open(
        ctx.obj["project_dir"],
        tracer=_tracer if ctx.obj["trace"] else None,
        clock=SystemClock(),
    )
    from ..api.local import RemoteProject, running_server

    note = running_server(project.root)
    if note is None:
        return project
    return cast(Project, RemoteProject(project, note))


def as_of_option(value: str | None, zone: str, option: str = "--as-of") -> dt.datetime | None:
    """``--as-of`` (or the ``option`` named): an ISO date or time; naive ones are in the
    project's zone. An error names the option the user typed, not always ``--as-of``."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date or time; write 2026-11-01 or 2026-11-01T09:00",
            param_hint=option,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(dt.timezone.utc)


# Options several commands share.
JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


def format_option(*choices: str) -> Callable[[FC], FC]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def columns_option(names: Sequence[str]) -> Callable[[FC], FC]:
    return click.option(
        "--columns",
        metavar="A,B,...",
        help=f"Only these table columns, in this order ({', '.join(names)}).",
    )


def listing_options(columns: Sequence[Column]) -> Callable[[FC], FC]:
    """What every command that prints one listing takes: ``--format table|json|csv``,
    ``--columns`` (of ``columns``) and ``--json`` (the same as ``--format json``)."""
    options = (
        format_option("table", "json", "csv"),
        columns_option([c.name for c in columns]),
        click.option("--json", "as_json", is_flag=True, help="Same as --format json."),
    )

    def apply(f: FC) -> FC:
        for option in reversed(options):
            f = option(f)
        return f

    return apply
