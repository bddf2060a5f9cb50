"""One page of the MQL queue: the queries behind :meth:`Project.queue`.

The order is the one :mod:`.queue` describes (entry tier, MQL entry, id) and a page starts
after a cursor's sort key (keyset pagination). One place chooses how a page is read
(:func:`queue_page`): by MQL entry first, from ``lead_handoff`` alone and then the page's
leads by their ids (the plain queue, the common case: a page costs about the same on any
page of any queue), or in one joined query when the filters name the lead's own columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..clock import store_time
from .queue import (
    MAX_LIMIT,
    NEVER,
    QUEUE_STAGES,
    BadQueueRequest,
    QueueFilter,
    check_filter,
    decode_cursor,
    encode_cursor,
    in_list,
)

if TYPE_CHECKING:
    from ..definition import CompiledDefinition
    from ..store import Store
    from .queue_order import KeptOrder

    #: A server's kept queue order and the writer generation of the page's snapshot.
    Order = tuple[KeptOrder, int]


def queue_page(
    store: Store,
    compiled: CompiledDefinition | None,
    filters: QueueFilter,
    *,
    limit: int,
    cursor: str | None,
    now: dt.datetime,
    order: Order | None = None,
    reps: Sequence[str] = (),
) -> tuple[list[dict[str, Any]], str | None]:
    """The page's rows (lead, entry and owner columns) and the next page's cursor.

    One place chooses how: by MQL entry first (:func:`_by_entry`), unless the filters
    name the lead's own columns (:func:`_joined`). By MQL entry, the candidates come from
    ``order`` when a server keeps one (:mod:`.queue_order`: ``(KeptOrder, generation)``
    of the snapshot ``store`` reads), else from the store (:func:`_entered`)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQueueRequest(f"The limit must be 1 to {MAX_LIMIT}; got {limit}.")
    tiers = [t.name for t in compiled.tiers] if compiled is not None else []
    filters = check_filter(store, tiers, filters, reps)
    after = decode_cursor(cursor) if cursor is not None else None
    if filters.source or (filters.q or "").strip() or (filters.owner or "").strip():
        rows = _joined(store, tiers, filters, after, limit + 1)
    else:
        rows = _by_entry(store, tiers, filters, after, limit + 1, order)
    if len(rows) <= limit:
        return rows, None
    end = rows[limit - 1]
    return rows[:limit], encode_cursor(end["rank"], end["entered"], end["lead_id"])


def _by_entry(
    store: Store,
    tiers: list[str],
    filters: QueueFilter,
    after: tuple[int, dt.datetime, str] | None,
    wanted: int,
    order: Order | None = None,
) -> list[dict[str, Any]]:
    """The page without filters on the lead's columns: taken for the plain queue (and a
    tier or entry-time filter). The next candidates in queue order from the server's kept
    order, else from ``lead_handoff`` alone (:func:`_entered`), then their lead rows by id
    (:func:`_leads_of`), more while the page is not full: a page never joins the whole
    queue to ``leads``, so it costs about the same on any page of any queue. Leads in a
    queue stage with no MQL entry on record (imported in stage mql) come last
    (:func:`_unentered`)."""
    rows: list[dict[str, Any]] = []
    batch = wanted  # most candidates are in the queue: a second round is rare
    while len(rows) < wanted:
        if order is not None:
            candidates = order[0].entries(store, order[1], tiers, filters, after, batch)
        else:
            candidates = _entered(store, tiers, filters, after, batch)
        rows += _leads_of(store, candidates, filters)
        if len(candidates) < batch:
            break
        after = (candidates[-1]["rank"], candidates[-1]["entered"], candidates[-1]["lead_id"])
        batch = min(batch * 4, 20_000)
    if len(rows) < wanted and not (filters.tier or filters.since or filters.until):
        last = after if after is not None and after[1] == NEVER else None
        rows += _unentered(store, len(tiers) + 1, filters, last, wanted - len(rows))
    return rows[:wanted]


def _joined(
    store: Store,
    tiers: list[str],
    f: QueueFilter,
    after: tuple[int, dt.datetime, str] | None,
    wanted: int,
) -> list[dict[str, Any]]:
    """The page with a filter on the lead's columns (source, search, owner): few of the
    entries in queue order would pass it, so one query joins the queue stages' leads to
    their entries, filters and sorts them. Its cost grows with the queue, not with the
    page's depth."""
    where, params = _lead_conditions(store, f)
    entry, entry_params = _entry_conditions(f, "h.")
    keyset, more = _after(after)
    return store.query(
        f"SELECT * FROM (SELECT {_LEAD_COLUMNS.format(imported=_imported(store))}, "
        "h.mql_tier, h.mql_at, h.first_touch_at, coalesce(list_position(?, h.mql_tier), ?) "
        "AS rank, coalesce(h.mql_at, ?) AS entered FROM leads l LEFT JOIN lead_handoff h "
        f"USING (lead_id) WHERE {' AND '.join(where + entry)}) queue WHERE {keyset} "
        "ORDER BY rank, entered, lead_id LIMIT ?",
        [tiers, len(tiers) + 1, NEVER, *params, *entry_params, *more, wanted],
    )


def _entered(
    store: Store,
    tiers: list[str],
    f: QueueFilter,
    after: tuple[int, dt.datetime, str] | None,
    batch: int,
) -> list[dict[str, Any]]:
    """The next ``batch`` MQL entries in queue order after ``after``, from ``lead_handoff``
    alone, narrowed by the filters it can judge (tier, entry time)."""
    where, params = _entry_conditions(f, "")
    keyset, more = _after(after)
    return store.query(
        "SELECT * FROM (SELECT lead_id, mql_tier, mql_at, first_touch_at, "
        "coalesce(list_position(?, mql_tier), ?) AS rank, mql_at AS entered FROM lead_handoff "
        f"WHERE mql_at IS NOT NULL AND {' AND '.join(where)}) queue WHERE {keyset} "
        "ORDER BY rank, entered, lead_id LIMIT ?",
        [tiers, len(tiers) + 1, *params, *more, batch],
    )


def _entry_conditions(f: QueueFilter, table: str) -> tuple[list[str], list[Any]]:
    """The filters on the MQL entry (tier, time) as conditions on ``table``'s columns."""
    where, params = ["true"], []
    for condition, value in (
        ("mql_tier = ?", f.tier),
        ("mql_at >= ?", store_time(f.since)),
        ("mql_at < ?", store_time(f.until)),
    ):
        if value is not None:
            where.append(table + condition)
            params.append(value)
    return where, params


def _after(after: tuple[int, dt.datetime, str] | None) -> tuple[str, list[Any]]:
    """The keyset condition: rows after the sort key ``after`` (rank, entry, id)."""
    if after is None:
        return "true", []
    rank, entered, lead_id = after
    return (
        "(rank > ? OR (rank = ? AND (entered > ? OR (entered = ? AND lead_id > ?))))",
        [rank, rank, entered, entered, lead_id],
    )


def _leads_of(
    store: Store, candidates: list[dict[str, Any]], f: QueueFilter
) -> list[dict[str, Any]]:
    """The candidates whose lead is in a queue stage and passes the lead filters, in the
    candidates' order, each with its lead's columns."""
    if not candidates:
        return []
    where, params = _lead_conditions(store, f)
    ids = in_list([c["lead_id"] for c in candidates])
    # The ids alone first: DuckDB finds a short list of keys by the primary key's index,
    # but any further condition in the same WHERE makes it scan the whole table (10x).
    # The LIMIT keeps the optimizer from merging the two.
    found = {
        row["lead_id"]: row
        for row in store.query(
            f"SELECT * FROM (SELECT {_LEAD_COLUMNS.format(imported=_imported(store))} "
            f"FROM leads l WHERE l.lead_id IN ({ids}) LIMIT {len(candidates)}) l "
            f"WHERE {' AND '.join(where)}",
            params,
        )
    }
    return [found[c["lead_id"]] | c for c in candidates if c["lead_id"] in found]


def _unentered(
    store: Store,
    rank: int,
    f: QueueFilter,
    after: tuple[int, dt.datetime, str] | None,
    wanted: int,
) -> list[dict[str, Any]]:
    """Leads in a queue stage with no MQL entry on record: after every entered lead, by id."""
    where, params = _lead_conditions(store, f)
    where.append(
        "NOT EXISTS (SELECT 1 FROM lead_handoff h WHERE h.lead_id = l.lead_id "
        "AND h.mql_at IS NOT NULL)"
    )
    if after is not None:
        where.append("l.lead_id > ?")
        params.append(after[2])
    return store.query(
        f"SELECT {_LEAD_COLUMNS.format(imported=_imported(store))}, "
        "NULL AS mql_tier, NULL AS mql_at, (SELECT max(first_touch_at) FROM lead_handoff h "
        "WHERE h.lead_id = l.lead_id) AS first_touch_at, ? AS rank, ? AS entered "
        f"FROM leads l WHERE {' AND '.join(where)} ORDER BY l.lead_id LIMIT ?",
        [rank, NEVER, *params, wanted],
    )


_LEAD_COLUMNS = "l.lead_id, l.email, l.company, l.source, l.stage, {imported} AS imported_owner"


def _imported(store: Store) -> str:
    """An ``owner`` column a CRM import brought, else nothing. Asked of the query's own
    columns (a plan, no rows): ``information_schema`` costs 5-20 ms a call."""
    names = {d[0] for d in store.execute("SELECT * FROM leads LIMIT 0").description or []}
    return "CAST(l.owner AS VARCHAR)" if "owner" in names else "NULL"


def _lead_conditions(store: Store, f: QueueFilter) -> tuple[list[str], list[Any]]:
    """The stage and the filters on the lead's own columns, with their parameters."""
    stages = [f.stage] if f.stage else list(QUEUE_STAGES)
    where = [f"l.stage IN ({', '.join('?' for _ in stages)})"]
    params: list[Any] = list(stages)
    if f.source is not None:
        where.append("l.source = ?")
        params.append(f.source)
    if f.q and f.q.strip():
        needle = f.q.strip().lower()
        where.append("(contains(lower(l.email), ?) OR contains(lower(l.company), ?))")
        params += [needle, needle]
    if f.owner and f.owner.strip():
        where.append(
            "lower(coalesce((SELECT arg_max(a.rep, a.assignment_id) FROM assignments a "
            f"WHERE a.lead_id = l.lead_id), {_imported(store)})) = ?"
        )
        params.append(f.owner.strip().lower())
    return where, params


__all__ = ["queue_page"]
