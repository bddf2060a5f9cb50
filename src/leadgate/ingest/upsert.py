"""Write one batch of staged leads or accounts: merged over the stored rows, written once.

The batch's good rows are merged over the stored ones (``MERGED``: each file value over the
stored one, an empty cell never erasing a known value). For leads, enrichment then decides
its values from those rows (:func:`leadgate.enrich.enrich_changes`), and one INSERT writes
the file's values and enrichment's together, the ``enriched`` list of a new lead included.

Why not write, then enrich: DuckDB rewrites a stored row whose list column is set as a
delete and an insert in the primary key's index, about 0.2 ms a row (even for rows written
earlier in the same transaction by several threads). Enriching a million new leads after
writing them cost 230 of the 246 s their import took; written once, they take seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..enrich import EnrichReport, enrich_changes
from ..enrich.fill import CHANGES, ENRICHED, append_names
from ..enrich.pipeline import ENRICHED_FIELDS
from ..store import Store
from . import readers
from .kinds import Kind
from .normalise import StagePlan

STAGE = "_lg_stage"
MERGED = "_lg_merged"


def write_batch(
    store: Store,
    spec: Kind,
    plan: StagePlan,
    rows: str,
    enrich: Mapping[str, Any] | None,
    trusted: Sequence[str] = (),
) -> tuple[int, EnrichReport | None]:
    """Load the good rows of one batch, enriched when ``enrich`` is given.

    ``trusted``: the sources preferred to this one (``[identity] prefer``); a lead one of
    them gave an id keeps its values, and the file only fills its blanks.

    Returns how many rows were inserted or changed by the file, and the enrichment report.
    The rows as they will stand (the file's values over the stored ones) are built first,
    enrichment decides its values from them, and one upsert writes both: a new lead is
    written once, its ``enriched`` list included, instead of written and then rewritten.
    """
    table_cols = store.table_columns(spec.table)
    cols = [c for c in plan.fields if c in table_cols]
    good = f"{rows} AND s._rej IS NULL"
    _link_visitors(store, spec, plan, good)
    _merge(store, spec, list(table_cols), cols, good, trusted)
    loaded, stored = store.execute(
        f"SELECT count(*) FILTER (_lg_changed), count(*) FILTER (NOT _lg_new) FROM {MERGED}"
    ).fetchall()[0]
    # Rows all new (a first import): a plain INSERT, a third cheaper than an upsert, and no
    # stored row whose enriched list could gain a name.
    upsert = stored > 0
    if enrich is None:
        _upsert(store, spec, cols, list(table_cols), (), upsert)
        return int(loaded), None
    known = {"competitor_domains", "customer_domains", "firmographics"}
    options = {k: v for k, v in enrich.items() if k in known and v}
    done = enrich_changes(store, MERGED, carry=True, **options)
    _upsert(store, spec, cols, list(table_cols), ENRICHED_FIELDS, upsert)
    if upsert:
        append_names(store, spec.table, spec.key)
    store.execute(f"DROP TABLE IF EXISTS {CHANGES}")
    return int(loaded), done


def _merge(
    store: Store,
    spec: Kind,
    table_cols: list[str],
    cols: list[str],
    good: str,
    trusted: Sequence[str] = (),
) -> None:
    """The batch's rows as they will stand, in ``MERGED``: each file value over the stored one
    (an empty cell never erases a known value; a lead a ``trusted`` source holds keeps its
    values), ``_lg_changed`` where the file brings a new row or a different value."""
    key = spec.key
    join, kept = "", "false"
    if trusted:
        names = ", ".join(readers.quote_literal(t) for t in trusted)
        join = (
            f" LEFT JOIN (SELECT DISTINCT lead_id FROM lead_aliases WHERE source IN ({names}))"
            " AS kept ON kept.lead_id = s._key"
        )
        kept = "kept.lead_id IS NOT NULL"

    def value(q: str) -> str:  # the file's value, unless a trusted source's stands
        return (
            f"CASE WHEN {kept} AND t.{q} IS NOT NULL THEN t.{q} ELSE s.{q} END"
            if trusted
            else f"s.{q}"
        )

    picks = []
    for c in table_cols:
        if c == key:
            continue
        q = readers.quote_ident(c)
        picks.append(f"coalesce({value(q)}, t.{q}) AS {q}" if c in cols else f"t.{q}")
    quoted = [readers.quote_ident(c) for c in cols]
    same = " AND ".join(
        f"({value(q)} IS NULL OR {value(q)} IS NOT DISTINCT FROM t.{q})" for q in quoted
    )
    if spec.name == "leads":
        picks.append("s._alias AS _lg_alias")  # the row's own id (leadgate.identity)
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {MERGED} AS SELECT s._key AS {key}, "
        f"{''.join(p + ', ' for p in picks)}"
        f"t.{key} IS NULL AS _lg_new, t.{key} IS NULL OR NOT ({same or 'true'}) AS _lg_changed "
        f"FROM {STAGE} AS s LEFT JOIN {spec.table} AS t ON t.{key} = s._key{join} WHERE {good}"
    )


def _upsert(
    store: Store,
    spec: Kind,
    cols: list[str],
    table_cols: list[str],
    fields: Sequence[str],
    upsert: bool,
) -> None:
    """Write the batch's rows that change: ``MERGED``'s, or with enrichment's ``fields``,
    ``CHANGES`` (the same rows and the values enrichment decided). ``updated_at`` moves only
    when the file changed the row; the ``enriched`` list is written with a new row only
    (:func:`append_names` adds to a stored row's)."""
    enriched = {f: i for i, f in enumerate(fields)}
    names, values = [], []
    for c in [*cols, *(f for f in fields if f not in cols)]:
        q = readers.quote_ident(c)
        names.append(q)
        values.append(f"coalesce(m._lg_v{enriched[c]}, m.{q})" if c in enriched else f"m.{q}")
    sets = [f"{q} = excluded.{q}" for q in names]
    if "updated_at" in table_cols and "updated_at" not in cols:
        names.append("updated_at")
        when = f"CAST('{store.now().isoformat(sep=' ')}' AS TIMESTAMP)"  # the store's clock
        values.append(f"CASE WHEN m._lg_changed THEN {when} ELSE m.updated_at END")
        sets.append("updated_at = excluded.updated_at")
    rows, where = MERGED, "m._lg_changed"
    if fields:  # CHANGES carries every row of MERGED, and enrichment's values beside them
        rows, where = CHANGES, "m._lg_changed OR m._lg_any"
        if ENRICHED not in cols:
            names.append(ENRICHED)
            values.append(
                f"CASE WHEN len(m._lg_added) > 0 THEN list_concat(coalesce(m.{ENRICHED}, []), "
                f"m._lg_added) ELSE m.{ENRICHED} END"
            )
    action = f"DO UPDATE SET {', '.join(sets)}" if cols or fields else "DO NOTHING"
    conflict = f"ON CONFLICT ({spec.key}) {action}" if upsert else ""
    store.execute(
        f"INSERT INTO {spec.table} ({spec.key}{''.join(', ' + n for n in names)}) "
        f"SELECT m.{spec.key}{''.join(', ' + v for v in values)} FROM {rows} AS m "
        f"WHERE {where} {conflict}"
    )


def _link_visitors(store: Store, spec: Kind, plan: StagePlan, good: str) -> None:
    """A row naming both a visitor and a lead identifies the visitor (first link wins)."""
    if "visitor_id" not in plan.fields or spec.name != "leads":
        return  # events link in .append
    lead, when = "s._key", "NULL::TIMESTAMP"
    store.execute(
        f"INSERT INTO visitor_links SELECT s.visitor_id, arg_min({lead}, s._row), "
        f"min({when}) FROM {STAGE} AS s WHERE {good} AND s.visitor_id IS NOT NULL "
        f"AND {lead} IS NOT NULL AND s.visitor_id NOT IN (SELECT visitor_id FROM visitor_links) "
        "GROUP BY s.visitor_id"
    )


__all__ = ["MERGED", "STAGE", "write_batch"]
