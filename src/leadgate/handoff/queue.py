"""The MQL queue: the leads sales works now (stage ``mql`` or ``sal``), hot first.

Order: the tier the lead entered MQL in (``lead_handoff.mql_tier``), in the definition's
tier order (its first tier is the hottest), then by MQL entry, oldest first, then by id.
The entry tier, not the latest score's: it is the tier the lead was handed over in and
the one its SLA belongs to, and a queue that reshuffles on every re-score cannot be worked.

Pages are cut by a **cursor** (keyset pagination): the sort key of a page's last row,
and the next page is the rows after it. A page costs the same at row 1,000,000 as at row 1
(an ``OFFSET`` reads and drops every row before it), and a lead that enters or leaves the
queue meanwhile does not shift the next page.

Each row carries the three strongest reasons the lead scored (its largest positive
contributions): from the stored score when it was scored ``--details`` (cheap), else rebuilt
for the page's leads by the explainer (one lead at a time: on a large store, score with
``--details`` and the queue stays fast).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import LeadgateError
from ..results import plain

if TYPE_CHECKING:
    from ..definition import CompiledDefinition
    from ..store import Store

#: The stages of the queue: handed over (mql) and accepted by sales (sal).
QUEUE_STAGES = ("mql", "sal")
#: How many reasons a row shows.
TOP_REASONS = 3
MAX_LIMIT = 500
# Sorts after every real time: a lead imported in stage mql has no entry on record.
NEVER = dt.datetime(9999, 12, 31)


class BadQueueRequest(LeadgateError, ValueError):
    """A queue filter or cursor that cannot be used (the message says which and why)."""

    code = "LG722"


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: each filter narrows it; all None is the whole queue.

    ``since``/``until`` bound the MQL entry time; ``q`` is a piece of the email or the
    company name (any case); ``owner`` is the rep's name or email.
    """

    tier: str | None = None
    owner: str | None = None
    stage: str | None = None
    source: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    q: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Reason:
    """One of the strongest contributions to a lead's score."""

    label: str
    points: float
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "points": self.points, "detail": self.detail}


@dataclass(frozen=True)
class QueueRow:
    lead_id: str
    email: str | None
    company: str | None
    source: str | None
    stage: str
    tier: str | None
    score: float | None
    mql_at: dt.datetime | None
    sla_due: dt.datetime | None
    sla_state: str
    first_touch_at: dt.datetime | None
    owner: str | None
    reasons: list[Reason] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = {k: plain(v) for k, v in self.__dict__.items() if k != "reasons"}
        return out | {"reasons": [r.as_dict() for r in self.reasons]}


@dataclass(frozen=True)
class Queue:
    """A page of the queue; ``next_cursor`` fetches the next (None: this is the last)."""

    rows: list[QueueRow]
    next_cursor: str | None
    filters: QueueFilter
    limit: int
    at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": plain(self.at),
            "filters": self.filters.as_dict(),
            "limit": self.limit,
            "count": len(self.rows),
            "next_cursor": self.next_cursor,
            "leads": [r.as_dict() for r in self.rows],
        }


# -- SLA ---------------------------------------------------------------------------------------
def sla_due(
    compiled: CompiledDefinition | None, tier: str | None, mql_at: dt.datetime | None
) -> dt.datetime | None:
    """When the first touch is due: MQL entry + the SLA of the tier it entered in."""
    if compiled is None or mql_at is None:
        return None
    sla = next((t.sla_us for t in compiled.tiers if t.name == tier), None)
    return None if sla is None else mql_at + dt.timedelta(microseconds=sla)


def sla_state(due: dt.datetime | None, touched: dt.datetime | None, now: dt.datetime) -> str:
    """``none`` (no SLA), ``open``, ``breached`` (due and untouched), ``met`` or ``missed``
    (touched after it was due)."""
    if due is None:
        return "none"
    if touched is not None:
        return "met" if touched <= due else "missed"
    return "breached" if now > due else "open"


# -- the cursor --------------------------------------------------------------------------------
def encode_cursor(rank: int, entered: dt.datetime, lead_id: str) -> str:
    raw = json.dumps([rank, entered.isoformat(), lead_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, dt.datetime, str]:
    """The sort key a cursor holds, or :class:`BadQueueRequest`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        rank, entered, lead_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(rank, int) or not isinstance(lead_id, str):
            raise TypeError("not a queue cursor")
        return rank, dt.datetime.fromisoformat(entered), lead_id
    except (ValueError, TypeError) as exc:
        raise BadQueueRequest(
            f"The cursor {cursor[:40]!r} is not one this queue gave ({exc}); start from the "
            "first page (no cursor) and follow next_cursor."
        ) from None


# -- the page ----------------------------------------------------------------------------------
def queue_page(
    store: Store,
    compiled: CompiledDefinition | None,
    filters: QueueFilter,
    *,
    limit: int,
    cursor: str | None,
    now: dt.datetime,
) -> tuple[list[dict[str, Any]], str | None]:
    """The page's rows (lead, entry and owner columns) and the next page's cursor.

    One place chooses how: by MQL entry first (:func:`_by_entry`), unless the filters
    name the lead's own columns (:func:`_joined`)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQueueRequest(f"The limit must be 1 to {MAX_LIMIT}; got {limit}.")
    if filters.stage is not None and filters.stage not in QUEUE_STAGES:
        raise BadQueueRequest(
            f"The queue holds stages {', '.join(QUEUE_STAGES)}; got stage {filters.stage!r}."
        )
    tiers = [t.name for t in compiled.tiers] if compiled is not None else []
    after = decode_cursor(cursor) if cursor is not None else None
    if filters.source or (filters.q or "").strip() or (filters.owner or "").strip():
        rows = _joined(store, tiers, filters, after, limit + 1)
    else:
        rows = _by_entry(store, tiers, filters, after, limit + 1)
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
) -> list[dict[str, Any]]:
    """The page without filters on the lead's columns: taken for the plain queue (and a
    tier or entry-time filter). The next candidates in queue order from ``lead_handoff``
    alone (:func:`_entered`), then their lead rows by id (:func:`_leads_of`), more while
    the page is not full: a page never joins the whole queue to ``leads``, so it costs
    about the same on any page of any queue. Leads in a queue stage with no MQL entry on
    record (imported in stage mql) come last (:func:`_unentered`)."""
    rows: list[dict[str, Any]] = []
    batch = wanted  # most candidates are in the queue: a second round is rare
    while len(rows) < wanted:
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
        ("mql_at >= ?", _naive(f.since)),
        ("mql_at < ?", _naive(f.until)),
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


def in_list(values: list[str]) -> str:
    """``values`` as SQL string literals for an ``IN (...)``: a literal list is what
    DuckDB looks up by index (a parameter list is scanned).

    >>> in_list(["a", "o'neil"])
    "'a', 'o''neil'"
    """
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


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
    """An ``owner`` column a CRM import brought, else nothing."""
    return "CAST(l.owner AS VARCHAR)" if "owner" in store.table_columns("leads") else "NULL"


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


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    """A time as the store keeps it (naive UTC)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def owners(store: Store, ids: list[str]) -> dict[str, str]:
    """The rep of each lead's latest assignment (leads never assigned are absent)."""
    if not ids:
        return {}
    rows = store.execute(
        "SELECT lead_id, arg_max(rep, assignment_id) FROM assignments "
        f"WHERE lead_id IN ({in_list(ids)}) GROUP BY lead_id"
    ).fetchall()
    return dict(rows)


def stored_reasons(
    store: Store, compiled: CompiledDefinition, as_of: dt.datetime | None, ids: list[str]
) -> tuple[dict[str, float], dict[str, list[Reason]]]:
    """Each lead's total and, when its score kept its contributions, its top reasons."""
    if as_of is None or not ids:
        return {}, {}
    rows = store.execute(
        "SELECT s.lead_id, s.total, s.contributions FROM scores s SEMI JOIN "
        "(SELECT unnest(?) AS lead_id) page USING (lead_id) "
        "WHERE s.definition_hash = ? AND s.as_of = ?",
        [ids, compiled.hash, as_of.replace(tzinfo=None)],
    ).fetchall()
    labels = rule_labels(compiled)
    keys = compiled.rule_keys
    totals = {lead_id: float(total) for lead_id, total, _ in rows}
    reasons = {
        lead_id: top_reasons(
            [(labels[k], cents, "") for k, cents in zip(keys, parts, strict=False) if cents]
        )
        for lead_id, _, parts in rows
        if parts is not None
    }
    return totals, reasons


def rule_labels(compiled: CompiledDefinition) -> dict[str, str]:
    """A rule's key → the label an explanation gives it."""
    labels = {r.key: r.name for r in compiled.fit_rules}
    labels |= {r.key: r.type for r in compiled.event_rules}
    return labels | {r.key: r.name for r in compiled.engagement_rules}


def top_reasons(parts: list[tuple[str, int, str]]) -> list[Reason]:
    """The :data:`TOP_REASONS` largest positive contributions (label, hundredths, detail).

    >>> [r.label for r in top_reasons([("a", 500, ""), ("b", -900, ""), ("c", 700, "")])]
    ['c', 'a']
    """
    best = sorted((p for p in parts if p[1] > 0), key=lambda p: -p[1])[:TOP_REASONS]
    return [Reason(label, cents / 100, detail) for label, cents, detail in best]


__all__ = [
    "MAX_LIMIT",
    "QUEUE_STAGES",
    "BadQueueRequest",
    "Queue",
    "QueueFilter",
    "QueueRow",
    "Reason",
    "decode_cursor",
    "encode_cursor",
    "owners",
    "queue_page",
    "sla_due",
    "sla_state",
    "stored_reasons",
    "top_reasons",
]
