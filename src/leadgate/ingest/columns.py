"""The fields a kind accepts, and the custom columns a file brings with it.

An unmapped column of a leads or accounts file is kept, sqlite-utils style: it becomes a new
column of the table (name in snake_case), typed by what every non-empty value in the file
casts to, tried in the order BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, else VARCHAR; a text
column whose every value is a date in a shape CRM exports write is TIMESTAMP too (see
:mod:`.custom_dates`). Inference never loses information: a column with one value that is
not a whole number ('2.5', '1e3') is DOUBLE, and one with text that is no number ('1,234',
'n/a') stays VARCHAR. A column the table already has keeps its type; values that do not fit
it are rejected like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..store import Store
from .custom_dates import infer_dates, named_dates
from .dates import DateOptions, DateRead, iso_expr
from .kinds import Kind
from .mapping import snake_case
from .normalise import INTEGER_RE, number_expr, text_expr
from .readers import Source, quote_ident

# The reads of the custom columns of dates not in ISO 8601, and the notices saying so.
Dated = tuple[dict[str, DateRead], list[str]]
INFER_ORDER = ("BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMP")


def target_types(store: Store, kind: Kind) -> dict[str, str]:
    """Field → type for ``kind``: the table's columns (upsert kinds) plus the kind's own."""
    types: dict[str, str] = {}
    if kind.mode == "upsert":
        types.update(store.table_columns(kind.table))
        if kind.name == "accounts":
            types.setdefault("domain", "VARCHAR")
    types.update(kind.fields)
    return {name: _simple(t) for name, t in types.items()}


def _simple(dtype: str) -> str:
    """A DuckDB type reduced to the few the importer casts to."""
    t = dtype.upper()
    if t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return "BIGINT"
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return "DOUBLE"
    if t.startswith("TIMESTAMP") or t == "DATE":
        return "TIMESTAMP"
    if t in ("BOOLEAN", "JSON"):
        return t
    return "VARCHAR"


def infer_extras(
    store: Store,
    source: Source,
    unmapped: list[str],
    taken: set[str],
    null_values: Sequence[str] = (),
    named: Mapping[str, str] | None = None,
    dates: DateOptions | None = None,
) -> tuple[dict[str, tuple[str, str]], list[str], Dated]:
    """New columns for ``unmapped`` file columns: ``{name: (type, file column)}``, ignored,
    and how the columns of dates not in ISO 8601 are read, with notices (see
    :mod:`.custom_dates`: a column given a format in ``dates`` by its name is of dates).

    A cell holding one of ``null_values`` is not filled in, as in staging. A column is
    named after its header in snake_case, or as ``named`` (a preset's) says.

    A file column whose snake_case name is already taken (by the table or another file
    column) is ignored rather than merged, so no value lands in a column it was not meant for.
    """
    names: dict[str, str] = {}
    ignored = []
    for col in unmapped:
        name = (named or {}).get(col) or snake_case(col)
        if name in taken or name in names or name.startswith("_"):
            ignored.append(col)
        else:
            names[name] = col
    if not names:
        return {}, ignored, ({}, [])
    if not source.text:
        return {n: (_simple(source.columns[c]), c) for n, c in names.items()}, ignored, ({}, [])
    dates = dates or DateOptions()
    given = named_dates(store, names, dates)
    probed = {n: c for n, c in names.items() if n not in given}
    fits = _probe(store, source, list(probed.values()), null_values) if probed else {}
    out = {n: ("TIMESTAMP", names[n]) for n in given}
    texts = {}
    for i, (name, col) in enumerate(probed.items()):
        seen, *ok = fits.get(i, (0,))
        kind = next((t for t, good in zip(INFER_ORDER, ok, strict=False) if good), "VARCHAR")
        out[name] = (kind if seen else "VARCHAR", col)
        if seen and kind == "VARCHAR":
            texts[name] = col
    reads, notices = infer_dates(store, source, texts, null_values, dates)
    out.update({n: ("TIMESTAMP", texts[n]) for n in reads})
    return out, ignored, ({**given, **reads}, notices)


def _probe(
    store: Store, source: Source, columns: list[str], null_values: Sequence[str]
) -> dict[int, tuple[Any, ...]]:
    """For the i-th of ``columns``: its count of values and, per type of
    :data:`INFER_ORDER`, whether every value fits it.

    The file is read once, unpivoted to (column number, value) pairs, and each test is
    written once over ``v``: one aggregate per column and type (a SELECT of thousands of
    long expressions) cost DuckDB time in the square of the columns, minutes for 1,000.
    """
    cells = ", ".join(quote_ident(c) for c in columns)
    v = text_expr("raw", "VARCHAR", True, null_values)
    # Whether a value is written as a whole number, and that number: each used twice.
    whole = f"regexp_full_match(v, '{INTEGER_RE}')"
    tests = "".join(f", bool_and(v IS NULL OR {_fits(t)})" for t in INFER_ORDER)
    rows = store.execute(
        f"SELECT k, count(v){tests} FROM (SELECT k, v, whole, "
        f"CASE WHEN whole THEN TRY_CAST(v AS BIGINT) END AS big FROM (SELECT k, v, {whole} "
        f"AS whole FROM (SELECT k, {v} AS v FROM (SELECT unnest(range({len(columns)})) AS k, "
        f"unnest([{cells}]) AS raw FROM ({source.unordered}))))) GROUP BY k"
    ).fetchall()
    return {int(row[0]): tuple(row[1:]) for row in rows}


def _fits(dtype: str) -> str:
    """SQL: the non-empty text ``v`` (written as a whole number when ``whole``, which is
    ``big``) is exactly a value of ``dtype``.

    Numbers are read as staging reads them (:func:`.normalise.number_expr`), so a column
    with one '2.5' is DOUBLE, never a rounded BIGINT. A whole number too large for a BIGINT
    is not taken as a DOUBLE either, which would keep only its first 16 digits: such a
    column stays text.
    """
    if dtype == "BIGINT":
        return "big IS NOT NULL"
    if dtype == "DOUBLE":
        double = number_expr("v", "VARCHAR", "v", "DOUBLE")
        return f"{double} IS NOT NULL AND NOT (whole AND big IS NULL)"
    if dtype == "TIMESTAMP":
        # As staging reads it: DuckDB's own cast takes '10/1/25' for the year 10.
        return f"{iso_expr('v', 'UTC')} IS NOT NULL"
    return f"TRY_CAST(v AS {dtype}) IS NOT NULL"
