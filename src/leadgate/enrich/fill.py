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
CHANGES = "_lg_fill_changes"

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
    fields = list(fields)
    if not fields:
        return {}
    counts = changes(store, table, key, source, fields)
    sets = ", ".join(
        f"{quote(f)} = coalesce(c._lg_v{i}, t.{quote(f)})" for i, f in enumerate(fields)
    )
    run(store, f"UPDATE {table} AS t SET {sets} FROM {CHANGES} AS c WHERE t.{key} = c._lg_k")
    append_names(store, table, key)
    return counts


def changes(
    store: Store,
    table: str,
    key: str,
    source: str,
    fields: Sequence[str],
    *,
    current: str | None = None,
    carry: bool = False,
) -> dict[str, int]:
    """Decide what :func:`fill` would write, without writing: the temp table ``CHANGES``.

    It has one row a key that changes: ``_lg_k``, ``_lg_v0``, ``_lg_v1``... (the new value of
    each of ``fields``, NULL where that field stays) and ``_lg_added`` (the names to append to the
    row's ``enriched`` list). ``current`` is the relation holding the row's values now (by
    default ``table`` itself; the importer passes the rows it is about to write, so one
    INSERT writes the file's values and enrichment's together). With ``carry``, every row of
    ``current`` is kept, with all its columns and ``_lg_any`` (true where something changes):
    the writer then reads one table instead of joining two. Returns field → rows changed.
    """
    types = store.table_columns(table)
    values, conds, names = [], [], []
    for i, field in enumerate(fields):
        col, lit = quote(field), "'" + field.replace("'", "''") + "'"
        new = f"TRY_CAST(s.{col} AS {types[field]})"
        mine = f"list_contains(coalesce(t.{ENRICHED}, []), {lit})"
        allowed = f"(t.{col} IS NULL OR {mine})"
        cond = f"({new} IS NOT NULL AND {allowed} AND t.{col} IS DISTINCT FROM {new})"
        conds.append(cond)
        values.append(f"CASE WHEN {cond} THEN {new} END AS _lg_v{i}")
        names.append(f"CASE WHEN {cond} AND NOT {mine} THEN {lit} END")
    names_sql = f"list_filter([{', '.join(names)}], lambda x: x IS NOT NULL) AS _lg_added"
    anything = " OR ".join(conds)
    carried, join, where = "", "JOIN", f"WHERE {anything}"
    if carry:
        carried, join, where = f"t.*, coalesce({anything}, false) AS _lg_any, ", "LEFT JOIN", ""
    run(
        store,
        f"CREATE OR REPLACE TEMP TABLE {CHANGES} AS SELECT {carried}t.{key} AS _lg_k, "
        f"{', '.join(values)}, {names_sql} FROM {current or table} AS t "
        f"{join} {source} AS s ON t.{key} = s.{key} {where}",
    )
    counts = run(
        store, f"SELECT {', '.join(f'count(_lg_v{i})' for i in range(len(fields)))} FROM {CHANGES}"
    )
    return {field: int(n) for field, n in zip(fields, counts[0], strict=True)}


def append_names(store: Store, table: str, key: str) -> None:
    """Append ``CHANGES._lg_added`` to the ``enriched`` list of the rows lacking those names.

    Run after the changed values are written. Only rows that gain a name are touched:
    DuckDB rewrites a stored row whose list column is set (a delete and an insert in the
    key's index, about 0.2 ms a row), so a re-run that corrects a value it wrote itself, or
    a row the importer already wrote with its list, must not set the list again.
    """
    mine = f"coalesce(t.{ENRICHED}, [])"
    # The UPDATE's join reads the whole table: skip it when no name is to be added (a re-run).
    if run(store, f"SELECT count(*) FROM {CHANGES} WHERE len(_lg_added) > 0")[0][0]:
        run(
            store,
            f"UPDATE {table} AS t SET {ENRICHED} = list_concat({mine}, c._lg_added) "
            f"FROM {CHANGES} AS c WHERE t.{key} = c._lg_k AND len(c._lg_added) > 0 "
            f"AND NOT list_has_all({mine}, c._lg_added)",
        )
    run(store, f"DROP TABLE IF EXISTS {CHANGES}")


__all__ = [
    "CHANGES",
    "ENRICHED",
    "EXTRA_COLUMNS",
    "append_names",
    "changes",
    "ensure_columns",
    "fill",
    "quote",
    "run",
]
