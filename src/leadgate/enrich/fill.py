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

    ``source`` is a table or view with the column ``key`` and the ``fields``; one UPDATE a
    field, each a hash join, so a million rows take well under a second a field. Returns
    field → rows changed (a value already equal is not counted).

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
    counts: dict[str, int] = {}
    for field in fields:
        col, lit = quote(field), "'" + field.replace("'", "''") + "'"
        mine = f"list_contains(coalesce(t.{ENRICHED}, []), {lit})"
        rows = run(
            store,
            f"""
            UPDATE {table} AS t
            SET {col} = TRY_CAST(s.{col} AS {types[field]}),
                {ENRICHED} = CASE WHEN {mine} THEN t.{ENRICHED}
                                  ELSE list_append(coalesce(t.{ENRICHED}, []), {lit}) END
            FROM {source} AS s
            WHERE t.{key} = s.{key}
              AND TRY_CAST(s.{col} AS {types[field]}) IS NOT NULL
              AND (t.{col} IS NULL OR {mine})
              AND t.{col} IS DISTINCT FROM TRY_CAST(s.{col} AS {types[field]})
            """,
        )
        counts[field] = int(rows[0][0]) if rows else 0
    return counts


__all__ = ["ENRICHED", "EXTRA_COLUMNS", "ensure_columns", "fill", "quote", "run"]
