"""Custom columns of dates in the shapes CRM exports write (``10/9/2025``, ``5 Jan 2024``).

Type inference (:mod:`.columns`) reads ISO 8601 by a cast. A custom column it leaves as text
may still be dates in another shape: a lead table's ``Last Activity``, read by a rule
``days_since(last_activity) <= 30``. Such a column is stored as dates when every one of its
values is read, in the ways a known date field's are (:mod:`.date_columns`): the shapes
read without help, in one day/month order decided from the column's own values (else the
project's ``date_order``, else month first), or the format ``--date-format FIELD=...``
gives the column by its field name. A column with one value read by none of them, or with
dates of both orders, stays text, and the import report names every column read as
non-ISO dates, with its order and layouts.

Cheap for wide files: the text columns are read once, unpivoted, and grouped by (column,
shape) where a value looks like a date, so a column of free text is one group (its values
are not shaped); the columns whose every value has a date's shape are then read once more,
all together, to check that each value is a date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..store import Store
from .date_columns import DAY_MONTH_RE, _Column, _decide
from .dates import DateOptions, DateRead, explicit, formats_for, iso_expr, shape_sql
from .normalise import text_expr
from .readers import Source, quote_ident, quote_literal

# Text that may be a date in one of the shapes (see .dates): three parts before a year.
_KEPT = "kept as text (a column is read in one order)."
LOOKS_LIKE_DATE = r"^[0-9A-Za-z]{1,9}[ /.,-]+[0-9A-Za-z]{1,9}[ /.,-]+[0-9]{4}"


def named_dates(
    store: Store, names: Mapping[str, str], options: DateOptions
) -> dict[str, DateRead]:
    """The custom columns (field → file column) given a format by name: dates whatever
    inference would say; a value the format does not read is a reject naming it."""
    return {
        name: explicit(store, options.formats[name], name)
        for name in names
        if name in options.formats
    }


def infer_dates(
    store: Store,
    source: Source,
    columns: Mapping[str, str],
    nulls: Sequence[str],
    options: DateOptions,
) -> tuple[dict[str, DateRead], list[str]]:
    """Which of the text ``columns`` (field → file column) are all dates, how each is
    read, and the notices saying so (see the module docstring)."""
    if not columns:
        return {}, []
    fields = list(columns)
    profiles = _profiles(store, source, [columns[f] for f in fields], nulls)
    reads: dict[str, DateRead] = {}
    notices: list[str] = []
    told: dict[str, list[str]] = {}
    general = options.formats.get("")
    for k, field in enumerate(fields):
        column = _Column(field, columns[field], "v")
        told[field] = []
        read = _read_of(store, source, column, profiles.get(k), options.order, told[field], general)
        if read is not None:
            reads[field] = read
    shaped = reads
    reads, unread = _all_read(store, source, columns, reads, nulls)
    for field in fields:
        read = reads.get(field)
        if read is None:
            notices += [n for n in told[field] if n.endswith(_KEPT)]
            if field in shaped and field in unread:
                name = _Column(field, columns[field], "v").name
                notices.append(
                    f"{name}: looks like dates but {unread[field]!r} is none "
                    f"{shaped[field].expected}; kept as text."
                )
            continue
        name = _Column(field, columns[field], "v").name
        notices.append(f"{name}: a custom column of dates, stored as dates {read.expected}.")
        notices += told[field]
    return reads, notices


def _read_of(
    store: Store,
    source: Source,
    column: _Column,
    profile: list[tuple[Any, ...]] | None,
    order: str | None,
    notices: list[str],
    general: str | None,
) -> DateRead | None:
    """A column's read when each of its values has the shape of a date, else None."""
    if not profile or any(row[0] is None for row in profile):
        return None  # no value that is not ISO, or one that looks like no date
    if general is not None:  # the file's one format (each value is checked by it next)
        return explicit(store, general, column.field)
    day_first, month_first = sum(r[3] for r in profile), sum(r[5] for r in profile)
    if day_first and month_first:
        notices.append(
            f"{column.name}: holds dates with the day first and with the month first; " + _KEPT
        )
        return None
    read = _decide(store, source, column, profile, order, notices)
    if any(not formats_for(row[0], read.order) for row in profile):
        return None  # a shape no format reads: not every value is a date
    return read


def _unpivot(source: Source, columns: Sequence[str], nulls: Sequence[str]) -> str:
    """SQL: (k, v) for the i-th of ``columns`` and each of its values as text."""
    cells = ", ".join(quote_ident(c) for c in columns)
    v = text_expr("raw", "VARCHAR", True, nulls)
    return (
        f"SELECT k, {v} AS v FROM (SELECT unnest(range({len(columns)})) AS k, "
        f"unnest([{cells}]) AS raw FROM ({source.unordered}))"
    )


def _profiles(
    store: Store, source: Source, columns: Sequence[str], nulls: Sequence[str]
) -> dict[int, list[tuple[Any, ...]]]:
    """Per column number: :func:`.date_columns._profile`'s rows over its values that are
    not ISO, a NULL shape standing for those that do not look like a date."""
    pattern = quote_literal(DAY_MONTH_RE)
    looks = f"regexp_matches(v, {quote_literal(LOOKS_LIKE_DATE)})"
    rows = store.execute(
        "SELECT k, shape, count(*) AS n, count(a), count(*) FILTER (a > 12), "
        "any_value(v) FILTER (a > 12), count(*) FILTER (b > 12), any_value(v) FILTER (b > 12), "
        "any_value(v) FILTER (a <= 12 AND b <= 12) "
        f"FROM (SELECT k, v, CASE WHEN looks THEN {shape_sql('v')} END AS shape, "
        f"CASE WHEN looks THEN TRY_CAST(regexp_extract(v, {pattern}, 1) AS INTEGER) END AS a, "
        f"CASE WHEN looks THEN TRY_CAST(regexp_extract(v, {pattern}, 2) AS INTEGER) END AS b "
        f"FROM (SELECT k, v, {looks} AS looks FROM ({_unpivot(source, columns, nulls)}) "
        f"WHERE v IS NOT NULL AND {iso_expr('v', 'UTC')} IS NULL)) "
        "GROUP BY k, shape ORDER BY k, n DESC, shape"
    ).fetchall()
    out: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        out.setdefault(int(row[0]), []).append(tuple(row[1:]))
    return out


def _all_read(
    store: Store,
    source: Source,
    columns: Mapping[str, str],
    reads: dict[str, DateRead],
    nulls: Sequence[str],
) -> tuple[dict[str, DateRead], dict[str, str]]:
    """The ``reads`` whose column has no value that neither ISO nor the read takes: one
    query over those columns, one expression per distinct read (a column's shape can be a
    date's while its value is none, such as ``02/30/2024``), and a value of each other."""
    if not reads:
        return {}, {}
    fields = list(reads)
    distinct = list(dict.fromkeys(reads.values()))
    whens = "".join(
        f" WHEN k IN ({', '.join(str(i) for i, f in enumerate(fields) if reads[f] == read)}) "
        f"THEN {read.sql('v', 'UTC')}"
        for read in distinct
    )
    unread = f"v IS NOT NULL AND {iso_expr('v', 'UTC')} IS NULL AND (CASE{whens} END) IS NULL"
    rows = store.execute(
        f"SELECT k, any_value(v) FILTER ({unread}) "
        f"FROM ({_unpivot(source, [columns[f] for f in fields], nulls)}) GROUP BY k"
    ).fetchall()
    bad = {fields[int(k)]: value for k, value in rows if value is not None}
    return {f: reads[f] for f in fields if f not in bad}, bad
