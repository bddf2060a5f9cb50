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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import LeadgateError
from ..results import plain
from ..vocabulary import suggest

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
    """The sort key a cursor holds, or :class:`BadQueueRequest` (for anything
    :func:`encode_cursor` did not make: a naive time, a rank, a lead id)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:  # not base64, not UTF-8, not JSON
        key = None
    if isinstance(key, list) and len(key) == 3:
        rank, entered, lead_id = key
        try:
            at = dt.datetime.fromisoformat(entered) if isinstance(entered, str) else None
        except ValueError:
            at = None
        valid = isinstance(rank, int) and not isinstance(rank, bool) and isinstance(lead_id, str)
        if valid and at is not None and at.tzinfo is None:
            return rank, at, lead_id
    raise BadQueueRequest(
        f"The cursor {cursor[:40]!r} is not one this queue gave; start from the first page "
        "(no cursor) and follow next_cursor."
    )


def check_filter(
    store: Store, tiers: list[str], filters: QueueFilter, reps: Sequence[str] = ()
) -> QueueFilter:
    """``filters`` with its tier spelled as the definition spells it (``HOT`` is ``hot``),
    or :class:`BadQueueRequest` for a tier, stage or owner the queue can never hold, naming
    the near one.

    An unknown name would give an empty queue that reads as "nothing to do". A tier is one
    of the definition's or one a lead entered MQL in (an older version's); an owner is a rep
    the store knows (routed, or counted by a routing run) or an owner a CRM import brought,
    in any case (the project resolves a configured rep's email to its name first), or a
    rep of ``reps`` (configured, perhaps never routed to yet).
    """
    if filters.stage is not None and filters.stage not in QUEUE_STAGES:
        near = suggest(filters.stage.lower(), QUEUE_STAGES)
        raise BadQueueRequest(
            f"The queue holds stages {', '.join(QUEUE_STAGES)}; got stage {filters.stage!r}"
            + (f" (did you mean {near!r}?)." if near else ".")
        )
    if filters.tier is not None:
        entered = [r[0] for r in store.execute(
            "SELECT DISTINCT mql_tier FROM lead_handoff WHERE mql_tier IS NOT NULL"
        ).fetchall()]  # fmt: skip
        known = tiers + sorted(set(entered) - set(tiers))
        _check("tier", filters.tier, known, "a tier of the definition")
        if filters.tier not in known:  # the filter compares as the tiers are stored
            spelled = {k.lower(): k for k in reversed(known)}  # the first spelling wins
            filters = replace(filters, tier=spelled[filters.tier.lower()])
    if filters.owner is not None and filters.owner.strip():
        owner = filters.owner.strip()
        if owner.lower() not in {r.lower() for r in reps}:
            named: dict[str, str] = {}  # each owner once, as first spelled (reps first)
            for name in [*reps, *known_owners(store)]:
                named.setdefault(name.lower(), name)
            _check("owner", owner, list(named.values()), "a rep or an imported owner")
    return filters


def known_owners(store: Store) -> list[str]:
    """Every owner the store knows: reps of routing runs and assignments, imported owners."""
    sources = ["SELECT rep FROM rep_turns", "SELECT rep FROM assignments"]
    if "owner" in store.table_columns("leads"):
        sources.append("SELECT CAST(owner AS VARCHAR) FROM leads")
    rows = store.execute(
        f"SELECT DISTINCT o FROM ({' UNION ALL '.join(sources)}) t(o) WHERE o IS NOT NULL "
        "ORDER BY o"
    ).fetchall()
    return [r[0] for r in rows]


def _check(what: str, name: str, known: list[str], kind: str, note: str = "") -> None:
    if name.lower() in {k.lower() for k in known}:
        return
    near = suggest(name, known)
    hint = f"did you mean {near!r}?" if near else f"known: {', '.join(known) or 'none yet'}"
    raise BadQueueRequest(f"No {what} {name!r} in the queue: it must be {kind} ({hint}){note}.")


def in_list(values: list[str]) -> str:
    """``values`` as SQL string literals for an ``IN (...)``: a literal list is what
    DuckDB looks up by index (a parameter list is scanned).

    >>> in_list(["a", "o'neil"])
    "'a', 'o''neil'"
    """
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


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
    """Each lead's current total (:func:`~leadgate.scoring.lookup.scores_of`: live where
    the server rescored it since the latest run) and, when its score kept its
    contributions, its top reasons; nothing before ``compiled`` was first scored
    (``as_of`` None)."""
    from ..scoring.lookup import live_totals

    if as_of is None or not ids:
        return {}, {}
    # The page's leads by id first (a literal list: found by an index on scores(lead_id)
    # when the server built one), then the run; the LIMIT keeps the two filters apart (one
    # WHERE with both makes DuckDB scan every score).
    rows = store.execute(
        "SELECT lead_id, total, contributions FROM (SELECT * FROM scores "
        f"WHERE lead_id IN ({in_list(ids)}) LIMIT 1000000000) s "
        "WHERE s.definition_hash = ? AND s.as_of = ?",
        [compiled.hash, as_of.replace(tzinfo=None)],
    ).fetchall()
    live = live_totals(store, compiled, ids)
    rows = [(i, live[i], None) if i in live else (i, t, p) for i, t, p in rows]
    rows += [(i, total, None) for i, total in live.items() if i not in {r[0] for r in rows}]
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
    "check_filter",
    "decode_cursor",
    "encode_cursor",
    "in_list",
    "known_owners",
    "owners",
    "sla_state",
    "stored_reasons",
    "top_reasons",
]
