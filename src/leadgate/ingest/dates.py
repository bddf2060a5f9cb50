"""Dates as CRM exports write them: the shapes read without help, a column's day/month
order, and the formats an import is told.

ISO 8601 (``2024-01-05``, ``2024-01-05 14:30``, ``2024-01-05T14:30:00+02:00``) is read by the
cast in :func:`.normalise.typed_expr`, first, as it always was. Where that cast fails, a text
column of a date field tries the formats of its :class:`DateRead`, in one ``try_strptime``
over a list of formats: set-based SQL, no Python per row, and nothing more for a value the
cast read.

Without a format for the column (``--date-format``, a mapping's ``date_format`` or
``date_formats``) the formats are the unambiguous shapes (``5 Jan 2024``, ``Jan 5, 2024``,
``January 5 2024``, ``2024/01/05``, each with or without a time such as ``14:30`` or
``2:00 PM``) and, once the column's order is known, the day/month shapes (``01/05/2024``,
``1.5.2024``, ``01-05-2024``). A whole column is read in ONE order, decided from its own
values (:func:`plan_dates`): a first number above 12 means day first, a second one above 12
month first, both at once is an error naming the rows; when no value decides, the project's
``date_order`` does, else month first, and the import report says so.

A two-digit year is never read as a four-digit one: DuckDB's ``%Y`` reads ``24`` as the
year 24, so a value whose year comes out before 1000 is a reject.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import BAD_DATE_FORMAT, BAD_OPTION, DATE_ORDER_CONFLICT, ImportFailed
from ..store import Store
from .readers import Source, quote_literal

DATE_ORDERS = {"mdy": "month first", "dmy": "day first"}
DEFAULT_ORDER = "mdy"
# The rows looked at first: a column none of whose first rows is a day/month date (the
# usual ISO column of a large event file) is not read a second time to decide an order.
SAMPLE_ROWS = 2048
# A day/month date: two numbers of one or two digits, then a four-digit year.
DAY_MONTH_RE = r"^\s*([0-9]{1,2})[/.-]([0-9]{1,2})[/.-][0-9]{4}"
# What may follow a date: nothing, or a time of day, 24-hour or with AM/PM (Salesforce's
# report export writes "10/1/2025, 2:00 PM").
TIMES = (
    "",
    " %H:%M",
    " %H:%M:%S",
    " %I:%M %p",
    " %I:%M:%S %p",
    " %I:%M%p",
    ", %H:%M",
    ", %H:%M:%S",
    ", %I:%M %p",
    ", %I:%M:%S %p",
)
# Month names can be told from days and years; %b is "Jan", %B "January".
NAMED = (
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
)
YEAR_FIRST = ("%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d")
NUMERIC = {
    "mdy": ("%m/%d/%Y", "%m.%d.%Y", "%m-%d-%Y"),
    "dmy": ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"),
}
_TIME_START = re.compile(r"[ ,T]*%-?[HIMSpfzZ]")


@dataclass(frozen=True)
class DateRead:
    """How one column's dates are read where the ISO cast fails: the ``formats`` tried,
    and what a reject says it expected."""

    formats: tuple[str, ...] = ()
    expected: str = ""  # "" for the shapes without an order (see reason)
    order: str | None = None

    def sql(self, text: str, timezone: str) -> str | None:
        """SQL: ``text`` read by the formats, as naive UTC (a value without an offset is
        in ``timezone``: the session zone the import sets), NULL where none fits."""
        naive = [f for f in self.formats if not _aware(f)]
        aware = [f for f in self.formats if _aware(f)]
        parts = []
        if aware:
            parts.append(f"timezone('UTC', try_strptime({text}, {_list(aware)}))")
        if naive:
            parsed = f"try_strptime({text}, {_list(naive)})"
            local = (
                parsed if timezone == "UTC" else f"timezone('UTC', CAST({parsed} AS TIMESTAMPTZ))"
            )
            parts.append(f"CASE WHEN year({parsed}) >= 1000 THEN {local} END")
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"

    def reason(self) -> tuple[str, bool]:
        """A reject's reason, and whether it is SQL (over ``s._raw``, the value)."""
        if self.expected:
            return f"not a date or time {self.expected}", False
        # No order is known: a day/month date is refused for that, not for its shape.
        unknown = (
            "not a date or time: the day/month order of this column is not known (its "
            f"first {SAMPLE_ROWS:,} rows hold no such date); set date_order in leadgate.toml "
            "or give the format with --date-format"
        )
        sql = (
            f"CASE WHEN regexp_matches(s._raw, {quote_literal(DAY_MONTH_RE)}) "
            f"THEN {quote_literal(unknown)} ELSE 'not a date or time' END"
        )
        return sql, True


def _aware(fmt: str) -> bool:
    return "%z" in fmt or "%Z" in fmt


def _list(formats: Sequence[str]) -> str:
    return "[" + ", ".join(quote_literal(f) for f in formats) + "]"


def shapes(order: str | None) -> tuple[str, ...]:
    """The formats read without help, with the day/month ones of ``order`` when known."""
    dates = [*NAMED, *YEAR_FIRST, *(NUMERIC[order] if order else ())]
    return tuple(d + t for d in dates for t in TIMES)


def explicit(store: Store, fmt: str, field: str) -> DateRead:
    """The read of a column given its format; a format with a time of day also reads its
    date alone (a report's "Created Date" beside its "Last Activity")."""
    check_format(store, fmt, field)
    formats = [fmt]
    cut = _TIME_START.search(fmt)
    if cut and cut.start() > 0:
        formats.append(fmt[: cut.start()])
    also = f" (or its date alone, {formats[1]!r})" if len(formats) > 1 else ""
    return DateRead(tuple(formats), f"in the format {fmt!r}{also}")


def check_format(store: Store, fmt: str, field: str) -> None:
    """:class:`ImportFailed` unless DuckDB can read dates by ``fmt``."""
    if not isinstance(fmt, str) or "%" not in fmt:
        raise ImportFailed(
            f"The date format {fmt!r} for {field} has no %-directive; write one such as "
            "'%m/%d/%Y %I:%M %p' (see strftime).",
            code=BAD_DATE_FORMAT,
        )
    try:
        store.execute(f"SELECT try_strptime('', {quote_literal(fmt)})")
    except Exception as exc:  # duckdb's InvalidInputException: a bad directive
        raise ImportFailed(
            f"The date format {fmt!r} for {field} cannot be read: {exc}", code=BAD_DATE_FORMAT
        ) from exc


def date_formats_of(
    date_format: str | None,
    date_formats: Mapping[str, str] | None,
    mapping: Mapping[str, Any] | None,
) -> dict[str, str]:
    """Field → format, ``""`` for every date column: the import's own over the mapping's.

    >>> date_formats_of("%d/%m/%Y", None, {"date_formats": {"ts": "%Y%m%d"}})
    {'': '%d/%m/%Y', 'ts': '%Y%m%d'}
    """
    mapping = mapping or {}
    out: dict[str, str] = {}
    general = date_format if date_format is not None else mapping.get("date_format")
    if general is not None:
        out[""] = general
    for given in (mapping.get("date_formats"), date_formats):
        if given is None:
            continue
        if not isinstance(given, Mapping):
            raise ImportFailed(
                f"date_formats must be a table of field = format; got {given!r}.",
                code=BAD_DATE_FORMAT,
            )
        out.update({str(k): v for k, v in given.items()})
    return out


@dataclass(frozen=True)
class DateOptions:
    """What an import is told about its dates: formats by field (``""``: every date
    field) and the project's day/month order (None when not set)."""

    formats: Mapping[str, str] = dataclasses.field(default_factory=dict)
    order: str | None = None


def parse_date_formats(values: Sequence[str]) -> tuple[str | None, dict[str, str]]:
    """The CLI's ``--date-format`` values: ``FORMAT`` for every date column, or
    ``FIELD=FORMAT`` for one.

    >>> parse_date_formats(["%d/%m/%Y", "created_at=%m/%d/%Y, %I:%M %p"])
    ('%d/%m/%Y', {'created_at': '%m/%d/%Y, %I:%M %p'})
    """
    general, by_field = None, {}
    for value in values:
        named = _FIELD_FORMAT.fullmatch(value)
        if named:
            by_field[named[1]] = named[2]
        elif general is not None:
            raise ImportFailed(
                f"Two formats for every date column: {general!r} and {value!r}; name the "
                "field of one: --date-format FIELD=FORMAT.",
                code=BAD_OPTION,
            )
        else:
            general = value
    return general, by_field


_FIELD_FORMAT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.+)")


def plan_dates(
    store: Store,
    source: Source,
    columns: Mapping[str, str],
    options: DateOptions,
    texts: Mapping[str, str],
) -> tuple[dict[str, DateRead], list[str]]:
    """How each date field's text column is read, and the notices for the import report.

    ``columns``: field → file column; ``texts``: field → the column's text as SQL.
    """
    formats, order = options.formats, options.order
    if order is not None and order not in DATE_ORDERS:
        raise ImportFailed(
            f"Unknown date order {order!r}; use one of {', '.join(DATE_ORDERS)}.",
            code=BAD_OPTION,
        )
    reads: dict[str, DateRead] = {}
    auto = {}
    for field, col in columns.items():
        fmt = formats.get(field, formats.get(""))
        if fmt is not None:
            reads[field] = explicit(store, fmt, field)
        else:
            auto[field] = col
    if not auto:
        return reads, []
    found = _day_month(store, source, list(auto), texts, SAMPLE_ROWS)
    again = [f for f in auto if found[f][0]]
    if again:
        found.update(_day_month(store, source, again, texts, None))
    notices: list[str] = []
    for field, col in auto.items():
        reads[field] = _decide(store, source, field, col, found[field], order, texts, notices)
    return reads, notices


def _day_month(
    store: Store, source: Source, fields: list[str], texts: Mapping[str, str], limit: int | None
) -> dict[str, tuple[Any, ...]]:
    """Per field: its day/month dates, those whose first number is above 12 and one of them,
    those whose second is, and one of them, and one that could be either."""
    inner, aggs = [], []
    pattern = quote_literal(DAY_MONTH_RE)
    for i, field in enumerate(fields):
        inner.append(
            f"TRY_CAST(regexp_extract({texts[field]}, {pattern}, 1) AS INTEGER) AS a{i}, "
            f"TRY_CAST(regexp_extract({texts[field]}, {pattern}, 2) AS INTEGER) AS b{i}, "
            f"{texts[field]} AS v{i}"
        )
        aggs.append(
            f"count(a{i}), count(*) FILTER (a{i} > 12), any_value(v{i}) FILTER (a{i} > 12), "
            f"count(*) FILTER (b{i} > 12), any_value(v{i}) FILTER (b{i} > 12), "
            f"any_value(v{i}) FILTER (a{i} <= 12 AND b{i} <= 12)"
        )
    relation = f"({source.unordered})"
    if limit is not None:
        relation = f"(SELECT * FROM {relation} LIMIT {limit})"
    row = store.execute(
        f"SELECT {', '.join(aggs)} FROM (SELECT {', '.join(inner)} FROM {relation})"
    ).fetchone()
    assert row is not None
    return {f: tuple(row[6 * i : 6 * i + 6]) for i, f in enumerate(fields)}


def _decide(
    store: Store,
    source: Source,
    field: str,
    col: str,
    found: tuple[Any, ...],
    order: str | None,
    texts: Mapping[str, str],
    notices: list[str],
) -> DateRead:
    """The one order a column is read in (see the module docstring)."""
    dates, day_first, day_example, month_first, month_example, either = found
    if day_first and month_first:
        raise ImportFailed(_conflict(store, source, field, col, texts), code=DATE_ORDER_CONFLICT)
    name = f"{col!r}" + (f" ({field})" if col != field else "")
    used, why = order, "by the project's date_order"
    if day_first or month_first:
        used = "dmy" if day_first else "mdy"
        example = day_example if day_first else month_example
        why = f"by its own dates (such as {example!r})"
        if order and order != used:
            notices.append(
                f"{name}: read {DATE_ORDERS[used]} ({used}) {why}, not by the project's "
                f"date_order = {order!r}."
            )
    elif dates and not order:
        used, why = DEFAULT_ORDER, "by default"
        other = "dmy" if used == "mdy" else "mdy"
        notices.append(
            f"{name}: its dates such as {either!r} could be day or month first; read "
            f"{DATE_ORDERS[used]} ({used}, the default). If they are {DATE_ORDERS[other]}, set "
            f'date_order = "{other}" in leadgate.toml or pass --date-format '
            f"'{field}={NUMERIC[other][0]}'."
        )
    if used is None:
        return DateRead(shapes(None))
    expected = f"(the column is read {DATE_ORDERS[used]} {why}: {NUMERIC[used][0]!r})"
    return DateRead(shapes(used), expected, used)


def _conflict(store: Store, source: Source, field: str, col: str, texts: Mapping[str, str]) -> str:
    """The message naming a row of each order (read again, numbered, for the rows)."""
    pattern = quote_literal(DAY_MONTH_RE)
    text = texts[field]
    first = f"TRY_CAST(regexp_extract({text}, {pattern}, 1) AS INTEGER)"
    second = f"TRY_CAST(regexp_extract({text}, {pattern}, 2) AS INTEGER)"
    row = store.execute(
        f"SELECT arg_min({text}, _row) FILTER ({first} > 12), min(_row) FILTER ({first} > 12), "
        f"arg_min({text}, _row) FILTER ({second} > 12), min(_row) FILTER ({second} > 12) "
        f"FROM ({source.relation})"
    ).fetchone()
    assert row is not None
    day_value, day_row, month_value, month_row = row
    name = f"{col!r}" + (f" ({field})" if col != field else "")
    return (
        f"The column {name} holds dates with the day first (data row {day_row}: "
        f"{day_value!r}) and dates with the month first (data row {month_row}: "
        f"{month_value!r}); a column is read in one order. Correct the file, or give its "
        f"format with --date-format '{field}=...' to reject the rows that differ."
    )
