"""How the CLI prints: tables that fit the screen, JSON and CSV, errors, a progress bar.

Tables are for people. A table never cuts a value short (no ``lea… ema…``): when its columns
do not fit the terminal (80 characters in a pipe), the least important ones are left out
and a note on stderr names them and how to see them (``--columns``, ``--format csv``).
JSON (``--json``) and CSV always carry every column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from ..errors import error_body
from ..results import plain

console = Console()
err_console = Console(stderr=True)


@dataclass(frozen=True)
class Column:
    """A column of a listing; ``keep`` ranks it (1 is left out last) when space runs out."""

    name: str
    keep: int = 5
    numeric: bool = False


def cell(value: Any) -> str:
    """A value as a table shows it.

    >>> cell(1234.5), cell(dt.datetime(2026, 1, 2, 9, 30)), cell(None), cell(True)
    ('1,234.50', '2026-01-02 09:30', '', 'yes')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (float, Decimal)):
        return f"{value:,.2f}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def esc(value: object) -> str:
    r"""Text from data, shown as it is: brackets in it are not rich markup.

    >>> esc("seniority in [vp, cxo]")
    'seniority in \\[vp, cxo]'
    """
    return escape(str(value))


def pick_columns(columns: Sequence[Column], wanted: str | None) -> list[Column]:
    """The columns named in ``--columns a,b`` (in that order), or all of them."""
    if not wanted:
        return list(columns)
    by_name = {c.name: c for c in columns}
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise click.BadParameter(
            f"No column {', '.join(map(repr, unknown))}; choose from {', '.join(by_name)}.",
            param_hint="--columns",
        )
    return [by_name[n] for n in names]


def _table(title: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    for col in columns:
        table.add_column(col.name, justify="right" if col.numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(esc(cell(row.get(col.name))) for col in columns))
    return table


def fitting(
    columns: Sequence[Column], rows: Sequence[dict[str, Any]], title: str, width: int
) -> tuple[Table, list[Column]]:
    """The table of the most important columns that fit in ``width``, and those left out.

    Columns are left out from the least important (highest ``keep``, rightmost first)
    until the table's natural width fits; the first column always stays.
    """
    shown = list(columns)
    while True:
        table = _table(title, shown, rows)
        natural = Measurement.get(console, console.options.update(width=10_000), table).maximum
        if natural <= width or len(shown) == 1:
            return table, [c for c in columns if c not in shown]
        drop = max(range(1, len(shown)), key=lambda i: (shown[i].keep, i))
        del shown[drop]


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    title: str,
    columns: Sequence[Column],
    *,
    document: Any = None,
    see_all: str | None = None,
) -> None:
    """Print ``rows`` as a table, CSV, or JSON (``document``, when given, is what JSON prints).

    A table that leaves columns out says so on stderr, and how to see them: ``see_all``, or
    this command's ``--columns`` and ``--format csv``.
    """
    if fmt == "json":
        echo_json(document if document is not None else list(rows))
        return
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.name for c in columns])
        writer.writerows([_csv_value(row.get(c.name)) for c in columns] for row in rows)
        click.echo(out.getvalue(), nl=False)
        return
    table, hidden = fitting(columns, rows, title, console.width)
    console.print(table)
    if hidden:
        names = ", ".join(c.name for c in hidden)
        every = ",".join(c.name for c in columns)
        see_all = see_all or f"--columns {every} (and a wider terminal), or --format csv"
        err_console.print(
            f"[dim]{len(hidden)} column(s) left out to fit {console.width} characters: {names}. "
            f"See them with {esc(see_all)}.[/dim]",
            highlight=False,
            soft_wrap=True,
        )


def _csv_value(value: Any) -> Any:
    plain_value = plain(value)
    return "" if plain_value is None else plain_value


def echo_json(document: Any) -> None:
    click.echo(json.dumps(plain(document), indent=2, default=str))


def print_error(code: str, message: str, as_json: bool) -> None:
    """An error on stderr: as ``{"error": ...}`` with ``--json``, else as a line for people."""
    if as_json:
        click.echo(json.dumps(error_body(code, message)), err=True)
    else:
        err_console.print(
            f"[red]error[/red] {code}: {esc(message)}", highlight=False, soft_wrap=True
        )


def wants_json(args: Sequence[str]) -> bool:
    """Whether a command line asks for JSON (``--json`` or ``--format json``).

    >>> wants_json(["leads", "--format", "json"]), wants_json(["score"])
    (True, False)
    """
    pairs = list(zip(args[:-1], args[1:], strict=True))
    return "--json" in args or "--format=json" in args or ("--format", "json") in pairs


__all__ = [
    "Column",
    "cell",
    "console",
    "echo_json",
    "esc",
    "emit",
    "err_console",
    "fitting",
    "pick_columns",
    "print_error",
    "wants_json",
]
