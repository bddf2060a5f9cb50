"""Filling store columns from a computed table, remembering which values enrichment wrote.

The one rule every enrichment step follows: **never overwrite what the user imported**. A
value may be written when the column is NULL, or when enrichment itself wrote the value
before (its name is in the row's ``enriched`` list), so a re-run after the competitor list
changed can correct its own earlier answer but never the user's.

``enriched`` (``VARCHAR[]`` on ``leads`` and ``accounts``) is also what lets coverage say
how many leads a rule could judge *before* enrichment: the field was NULL or filled by us.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..store import Store

ENRICHED = "enriched"

#: Columns enrichment adds next to the core schema: table → {column: type}.
EXTRA_COLUMNS: dict[str, dict[str, str]] = {
    "leads": {ENRICHED: "VARCHAR[]", "title_flag": "VARCHAR"},
    "accounts": {ENRICHED: "VARCHAR[]"},
}


def run(store: Store, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
    """Execute and fetch everything: DuckDB keeps a half-read result open otherwise."""
    return store.execute(sql, params).fetchall()


def ensure_columns(store: Store) -> None:
    """Add ``enriched`` (and ``leads.title_flag``) where the store lacks them."""
    for table, columns in EXTRA_COLUMNS.items():
        store.add_columns(table, columns)


def quote(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def fill(
    store: Store,
    table: str,
    key: str,
    source: str,
    fields: Iterable[str],
) -> dict[str, int]:
    """Copy each non-NULL ``source.field`` into ``table.field`` where the rule allows it.

    ``source`` is a table or view with the column ``key`` and the ``fields``, one row a key.
    Returns field → rows changed (a value already equal is not counted).

    >>> store = Store(":memory:")
    >>> ensure_columns(store)
    >>> _ = run(store, "INSERT INTO leads (lead_id, industry) VALUES ('a', NULL), ('b', 'Retail')")
    >>> _ = run(store, "CREATE TEMP TABLE src AS SELECT * FROM (VALUES ('a', 'SaaS'), "
    ...                "('b', 'SaaS')) t(lead_id, industry)")
    >>> fill(store, "leads", "lead_id", "src", ["industry"])
    {'industry': 1}
    >>> run(store, "SELECT lead_id, industry, enriched FROM leads ORDER BY 1")
    [('a', 'SaaS', ['industry']), ('b', 'Retail', None)]
    """
    types = store.table_columns(table)
    fields = list(fields)
    if not fields:
        return {}
    conds, sets, names = [], [], []
    for field in fields:
        col, lit = quote(field), "'" + field.replace("'", "''") + "'"
        new = f"TRY_CAST(s.{col} AS {types[field]})"
        mine = f"list_contains(coalesce(t.{ENRICHED}, []), {lit})"
        allowed = f"(t.{col} IS NULL OR {mine})"
        cond = f"({new} IS NOT NULL AND {allowed} AND t.{col} IS DISTINCT FROM {new})"
        conds.append(cond)
        sets.append(f"{col} = CASE WHEN {cond} THEN {new} ELSE t.{col} END")
        names.append(f"CASE WHEN {cond} AND NOT {mine} THEN {lit} END")
    join = f"FROM {table} AS t JOIN {source} AS s ON t.{key} = s.{key}"
    counts = run(store, f"SELECT {', '.join(f'count(*) FILTER (WHERE {c})' for c in conds)} {join}")
    # One UPDATE for all fields: DuckDB rewrites a row whose list column changes, so one
    # pass instead of one a field is what keeps a million leads within seconds.
    run(
        store,
        f"""
        UPDATE {table} AS t
        SET {", ".join(sets)},
            {ENRICHED} = list_concat(coalesce(t.{ENRICHED}, []),
                                     list_filter([{", ".join(names)}], lambda x: x IS NOT NULL))
        FROM {source} AS s
        WHERE t.{key} = s.{key} AND ({" OR ".join(conds)})
        """,
    )
    return {field: int(n) for field, n in zip(fields, counts[0], strict=True)}


__all__ = ["ENRICHED", "EXTRA_COLUMNS", "ensure_columns", "fill", "quote", "run"]
