"""A date column's layout, decided once from its own values: the shapes it uses and its one
day/month order.

For each text column of a date field with no format given, the first :data:`SAMPLE_ROWS`
rows are looked at. A column whose sampled values are all ISO 8601 (the usual column of a
large event file) is read as ISO and not scanned again: a later value in another layout is
a reject that says how to give it. Otherwise the whole column is profiled in one query:
the shapes of its values that are not ISO (:func:`.dates.shape_sql`) and, for day/month
dates, whether a first or a second number is above 12.

The order: a first number above 12 means day first, a second one above 12 month first, both
in one column is an error naming a row of each (LG312: a column is read in ONE order, never
value by value). When no value decides, the project's ``date_order`` does, else month first,
and the import report says so, naming the column and how to change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import DATE_ORDER_CONFLICT, ImportFailed
from ..store import Store
from .dates import (
    DATE_ORDERS,
    DEFAULT_ORDER,
    NUMERIC,
    DateOptions,
    DateRead,
    explicit,
    formats_for,
    iso_expr,
    shape_sql,
)
from .readers import Source, quote_literal

# The rows looked at first (see the module docstring).
SAMPLE_ROWS = 2048
# A day/month date: two numbers of one or two digits, then a four-digit year.
DAY_MONTH_RE = r"^\s*([0-9]{1,2})[/.-]([0-9]{1,2})[/.-][0-9]{4}"
# The most distinct shapes a profile keeps (a column of free text has one per row; month
# names and AM/PM multiply a date column's few).
MOST_SHAPES = 1000


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
    reads: dict[str, DateRead] = {}
    auto = []
    for field in columns:
        fmt = options.formats.get(field, options.formats.get(""))
        if fmt is not None:
            reads[field] = explicit(store, fmt, field)
        else:
            auto.append(field)
    notices: list[str] = []
    sampled = _not_iso(store, source, auto, texts) if auto else {}
    for field in auto:
        if not sampled[field]:
            reads[field] = DateRead()
            continue
        profile = _profile(store, source, texts[field])
        column = _Column(field, columns[field], texts[field])
        reads[field] = _decide(store, source, column, profile, options.order, notices)
    return reads, notices


class _Column:
    def __init__(self, field: str, col: str, text: str) -> None:
        self.field, self.col, self.text = field, col, text
        self.name = f"{col!r}" + (f" ({field})" if col != field else "")


def _not_iso(
    store: Store, source: Source, fields: list[str], texts: Mapping[str, str]
) -> dict[str, int]:
    """Per field: how many of the first rows hold a value that is not ISO 8601."""
    counts = ", ".join(
        f"count(*) FILTER ({texts[f]} IS NOT NULL AND {iso_expr(texts[f], 'UTC')} IS NULL)"
        for f in fields
    )
    row = store.one(
        f"SELECT {counts} FROM (SELECT * FROM ({source.unordered}) LIMIT {SAMPLE_ROWS})"
    )
    assert row is not None
    return dict(zip(fields, row, strict=True))


def _profile(store: Store, source: Source, text: str) -> list[tuple[Any, ...]]:
    """Per shape of the column's values that are not ISO: its shape, how many, how many
    are day/month dates, those whose first number is above 12 and one of them, those whose
    second is and one of them, and one that could be either; the commonest first."""
    pattern = quote_literal(DAY_MONTH_RE)
    return store.execute(
        f"SELECT shape, count(*) AS n, count(a), count(*) FILTER (a > 12), "
        "any_value(v) FILTER (a > 12), count(*) FILTER (b > 12), any_value(v) FILTER (b > 12), "
        "any_value(v) FILTER (a <= 12 AND b <= 12) "
        f"FROM (SELECT v, {shape_sql('v')} AS shape, "
        f"TRY_CAST(regexp_extract(v, {pattern}, 1) AS INTEGER) AS a, "
        f"TRY_CAST(regexp_extract(v, {pattern}, 2) AS INTEGER) AS b "
        f"FROM (SELECT {text} AS v FROM ({source.unordered})) "
        f"WHERE v IS NOT NULL AND {iso_expr('v', 'UTC')} IS NULL) "
        f"GROUP BY shape ORDER BY n DESC, shape LIMIT {MOST_SHAPES}"
    ).fetchall()


def _first(rows: list[tuple[Any, ...]], i: int) -> Any:
    return next((r[i] for r in rows if r[i] is not None), None)


def _decide(
    store: Store,
    source: Source,
    column: _Column,
    profile: list[tuple[Any, ...]],
    order: str | None,
    notices: list[str],
) -> DateRead:
    """The one order a column is read in and the formats of the shapes it uses."""
    dates = sum(r[2] for r in profile)
    day_first, month_first = sum(r[3] for r in profile), sum(r[5] for r in profile)
    if day_first and month_first:
        raise _conflict(store, source, column)
    used, why = order, "by the project's date_order"
    if day_first or month_first:
        used = "dmy" if day_first else "mdy"
        example = _first(profile, 4 if day_first else 6)
        why = f"by its own dates (such as {example!r})"
        if order and order != used:
            notices.append(
                f"{column.name}: read {DATE_ORDERS[used]} ({used}) {why}, not by the "
                f"project's date_order = {order!r}."
            )
    elif dates and not order:
        used, why = DEFAULT_ORDER, "by default"
        notices.append(_default_notice(column, used, _first(profile, 7)))
    formats = tuple(dict.fromkeys(f for r in profile for f in formats_for(r[0], used)))
    if not formats:
        return DateRead()  # nothing but ISO and values that are no date
    layouts = ", ".join(["ISO 8601", *map(repr, formats)])
    if dates and used:
        expected = f"(the column is read {DATE_ORDERS[used]} {why}; its layouts: {layouts})"
        example = _first(profile, 4 if day_first else 6 if month_first else 7)
        return DateRead(formats, expected, used, why, example)
    return DateRead(formats, f"(the column's layouts: {layouts})", used)


def _default_notice(column: _Column, used: str, example: Any) -> str:
    other = "dmy" if used == "mdy" else "mdy"
    return (
        f"{column.name}: its dates such as {example!r} could be day or month first; read "
        f"{DATE_ORDERS[used]} ({used}, the default). If they are {DATE_ORDERS[other]}, set "
        f'date_order = "{other}" in leadgate.toml or pass --date-format '
        f"'{column.field}={NUMERIC[other][0]}'."
    )


class DateOrderConflict(ImportFailed):
    """A column holds dates of both day/month orders (LG312): ``field``, and ``rows``, the
    first data row (1-based) and value of each order, day first, then month first."""

    def __init__(self, message: str, field: str, rows: list[tuple[int, str]]) -> None:
        super().__init__(message, code=DATE_ORDER_CONFLICT)
        self.field, self.rows = field, rows


def _conflict(store: Store, source: Source, column: _Column) -> DateOrderConflict:
    """The error naming a row of each order (read again, numbered, for the rows)."""
    pattern = quote_literal(DAY_MONTH_RE)
    text = column.text
    first = f"TRY_CAST(regexp_extract({text}, {pattern}, 1) AS INTEGER)"
    second = f"TRY_CAST(regexp_extract({text}, {pattern}, 2) AS INTEGER)"
    row = store.one(
        f"SELECT arg_min({text}, _row) FILTER ({first} > 12), min(_row) FILTER ({first} > 12), "
        f"arg_min({text}, _row) FILTER ({second} > 12), min(_row) FILTER ({second} > 12) "
        f"FROM ({source.relation})"
    )
    assert row is not None
    day_value, day_row, month_value, month_row = row
    message = (
        f"The column {column.name} holds dates with the day first (data row {day_row}: "
        f"{day_value!r}) and dates with the month first (data row {month_row}: "
        f"{month_value!r}); a column is read in one order. Correct the file, or give its "
        f"format with --date-format '{column.field}=...' to reject the rows that differ."
    )
    return DateOrderConflict(
        message, column.field, [(day_row, day_value), (month_row, month_value)]
    )
