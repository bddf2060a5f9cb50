"""Append-only stage transitions: every move of a lead is a row, and ``leads.stage`` follows.

A move is checked against the stage machine (:mod:`leadgate.handoff.stages`), then written
in one transaction: the ``stage_transitions`` row (who, when by the store's clock, why, and
the lead's score and tier at that moment) and the lead's new ``stage``. Rows are never
updated or deleted, so a lead's history replays its stage.

Scoring moves leads into ``mql`` set-based (:func:`enter_mql`, one ``INSERT ... SELECT`` per
run, for a million leads as for one). The MQL entry time (``lead_handoff.mql_at``, where
the SLA clock starts) is set on entry only: re-scoring a lead that is already an MQL, or
beyond, never moves it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from ..ingest.readers import quote_literal
from ..store import Store
from ..store.db import keyed
from .outbox import enqueue, enqueue_query
from .stages import (
    DEFAULT_REJECT_REASONS,
    check_actor,
    check_amount,
    check_move,
    check_reason,
    legal_next,
)

COLUMNS = (
    "seq, lead_id, from_stage, to_stage, moved_at, actor, reason, definition_hash, score, "
    "tier, amount"
)


@dataclass(frozen=True)
class Transition:
    """One row of ``stage_transitions``."""

    seq: int
    lead_id: str
    from_stage: str
    to_stage: str
    moved_at: dt.datetime
    actor: str
    reason: str | None = None
    definition_hash: str | None = None
    score: float | None = None
    tier: str | None = None
    amount: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"moved_at": self.moved_at.isoformat()}


@dataclass(frozen=True)
class Move:
    """What :meth:`Project.move` did: the transition, and where the lead may go next."""

    transition: Transition

    @property
    def legal_next(self) -> tuple[str, ...]:
        return legal_next(self.transition.to_stage)

    def as_dict(self) -> dict[str, Any]:
        return {"transition": self.transition.as_dict(), "legal_next": list(self.legal_next)}


@dataclass(frozen=True)
class History:
    """A lead's stage, SLA times and every transition, the oldest first."""

    lead_id: str
    stage: str
    mql_at: dt.datetime | None = None
    first_touch_at: dt.datetime | None = None
    transitions: list[Transition] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "stage": self.stage,
            "mql_at": _iso(self.mql_at),
            "first_touch_at": _iso(self.first_touch_at),
            "legal_next": list(legal_next(self.stage)),
            "transitions": [t.as_dict() for t in self.transitions],
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def move(
    store: Store,
    key: str,
    to: str,
    *,
    actor: str,
    reason: str | None = None,
    amount: float | None = None,
    reject_reasons: tuple[str, ...] = DEFAULT_REJECT_REASONS,
) -> Move:
    """Move the lead ``key`` names (id, alias or email) to ``to``, or raise without writing.

    Checked before anything is written: the move is legal from the lead's stage, the actor
    is well formed, a rejection's reason is one of ``reject_reasons``, a ``lost`` deal has
    a reason, an amount goes with ``won``/``opportunity`` only.
    """
    from ..scoring.lookup import find_lead

    check_actor(actor)
    with store.atomic():
        lead = find_lead(store, key)
        current = lead.get("stage") or "lead"
        check_move(current, to)
        reason = check_reason(to, reason, actor, reject_reasons)
        check_amount(to, amount)
        score = store.query(
            "SELECT definition_hash, total, tier FROM current_scores WHERE lead_id = ?",
            [lead["lead_id"]],
        )
        now = score[0] if score else {"definition_hash": None, "total": None, "tier": None}
        seq = _last_seq(store) + 1
        store.execute(
            "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor, "
            "reason, definition_hash, score, tier, amount) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [seq, lead["lead_id"], current, to, store.now(), actor, reason,
             now["definition_hash"], now["total"], now["tier"], amount],
        )  # fmt: skip
        _follow(store, f"seq = {int(seq)}")
        if current == "mql" and actor != "system":  # accepted or rejected: a sales touch
            _first_touch(store, lead["lead_id"], store.now())
        transition = _transitions(store, "seq = ?", [seq])[0]
        for event in _events_of([transition]):  # announced in this transaction
            enqueue(store, event.event_type, event.payload, lead_id=transition.lead_id)
    return Move(transition)


def touch(store: Store, key: str) -> History:
    """Record the lead's first sales touch (the SLA stops); a later touch changes nothing.

    The stage stays as it is: contacting a lead is not a move.
    """
    from ..scoring.lookup import find_lead

    with store.atomic():
        lead_id = find_lead(store, key)["lead_id"]
        _first_touch(store, lead_id, store.now())
    return history(store, lead_id)


def _first_touch(store: Store, lead_id: str, now: dt.datetime) -> None:
    """Set the lead's first touch to ``now`` unless it has one (the SLA stops there)."""
    store.execute(
        "UPDATE lead_handoff SET first_touch_at = coalesce(first_touch_at, ?) WHERE lead_id = ?",
        [now, lead_id],
    )
    store.execute(
        "INSERT INTO lead_handoff (lead_id, first_touch_at) SELECT ?, ? WHERE NOT EXISTS "
        "(SELECT 1 FROM lead_handoff WHERE lead_id = ?)",
        [lead_id, now, lead_id],
    )


def history(store: Store, key: str) -> History:
    """The lead's stage, MQL entry and first touch, and every transition, oldest first."""
    from ..scoring.lookup import find_lead

    lead = find_lead(store, key)
    lead_id = lead["lead_id"]
    times = store.query(
        "SELECT mql_at, first_touch_at FROM lead_handoff WHERE lead_id = ?", [lead_id]
    )
    mql_at, touched = (times[0]["mql_at"], times[0]["first_touch_at"]) if times else (None, None)
    rows = _transitions(
        store, "true ORDER BY seq", [lead_id], keyed("stage_transitions", "lead_id")
    )
    return History(lead_id, lead.get("stage") or "lead", mql_at, touched, rows)


def enter_mql(
    store: Store,
    definition_hash: str,
    as_of: dt.datetime,
    tiers: list[str],
    *,
    reentry_events: list[str] | None = None,
) -> int:
    """Move into ``mql`` every lead of the run (``definition_hash`` at ``as_of``) whose tier
    is one of ``tiers`` (the definition's sales tiers) and whose stage is ``lead``; a
    ``recycled`` lead too when it has an event after it was recycled (new engagement), of
    one of ``reentry_events`` when given (the definition's ``lifecycle.reentry_events``).

    One ``INSERT ... SELECT`` for the whole run; returns how many leads entered.
    """
    if not tiers:
        return 0
    if as_of.tzinfo is not None:  # the store's timestamps are naive UTC
        as_of = as_of.astimezone(dt.timezone.utc).replace(tzinfo=None)
    marks = ", ".join("?" for _ in tiers)
    with store.atomic():
        since = _last_seq(store)
        store.execute(
            "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor, "
            "reason, definition_hash, score, tier) "
            "SELECT ? + row_number() OVER (ORDER BY s.lead_id), s.lead_id, "
            "coalesce(l.stage, 'lead'), 'mql', ?, 'system', "
            "'tier ' || s.tier || ' at score ' || round(s.total, 2), s.definition_hash, "
            "s.total, s.tier FROM scores s JOIN leads l ON l.lead_id = s.lead_id "
            f"WHERE s.definition_hash = ? AND s.as_of = ? AND s.tier IN ({marks}) "
            "AND NOT s.disqualified AND (coalesce(l.stage, 'lead') = 'lead' OR "
            f"(l.stage = 'recycled' AND {_NEW_ENGAGEMENT}))",
            [since, store.now(), definition_hash, as_of, *tiers, as_of, reentry_events],
        )
        entered = _follow(store, f"seq > {since}")
        enqueue_query(store, _entry_events_sql(since))  # announced in this transaction
    return entered


# A recycled lead's event after its last move to recycled, up to the run's as-of time (of the
# re-entry types when the definition names them, else of any type; NULL: any). A
# lead imported as recycled has no such move on record and waits for one (a lifecycle rule).
_NEW_ENGAGEMENT = (
    "EXISTS (SELECT 1 FROM lead_events e WHERE e.lead_id = l.lead_id AND e.ts <= ? "
    "AND coalesce(list_contains(?::VARCHAR[], e.type), true) AND e.ts > "
    "(SELECT max(t.moved_at) FROM stage_transitions t WHERE t.lead_id = l.lead_id "
    "AND t.to_stage = 'recycled'))"
)


#: Leads moved at once up to which ``leads.stage`` is updated by their ids (a literal list
#: finds them through the primary key: ~11 ms for 100 leads of 1,000,000, where the join
#: with the transitions scans every lead: ~50 ms); a larger move (a scoring run's entries)
#: joins.
_BY_IDS = 5_000


def _follow(store: Store, new: str) -> int:
    """Bring ``leads.stage`` and ``lead_handoff`` in line with the new transitions (``new``,
    a condition on ``seq`` of the rows just written); returns how many there were."""
    rows = f"(SELECT * FROM stage_transitions WHERE {new})"
    moved = store.execute(
        f"SELECT lead_id, arg_max(to_stage, seq), count(*) FROM {rows} GROUP BY lead_id"
    ).fetchall()
    if len(moved) > _BY_IDS:
        store.execute(
            "UPDATE leads SET stage = t.to_stage FROM (SELECT lead_id, arg_max(to_stage, seq) "
            f"AS to_stage FROM {rows} GROUP BY lead_id) t WHERE leads.lead_id = t.lead_id"
        )
    else:
        by_stage: dict[str, list[str]] = defaultdict(list)
        for lead_id, stage, _ in moved:
            by_stage[stage].append(lead_id)
        for stage, ids in sorted(by_stage.items()):
            set_stage(store, stage, ids)
    # Entry into mql starts the SLA clock afresh (a re-entry's first touch is yet to come);
    # no other move touches it. Leads seen before are updated, the others get their row.
    entries = f"(SELECT lead_id, moved_at, tier FROM {rows} WHERE to_stage = 'mql')"
    store.execute(
        "UPDATE lead_handoff SET mql_at = e.moved_at, mql_tier = e.tier, first_touch_at = NULL "
        f"FROM {entries} e WHERE lead_handoff.lead_id = e.lead_id"
    )
    store.execute(
        f"INSERT INTO lead_handoff (lead_id, mql_at, mql_tier) SELECT * FROM {entries} e "
        "WHERE NOT EXISTS (SELECT 1 FROM lead_handoff h WHERE h.lead_id = e.lead_id)"
    )
    return sum(n for _, _, n in moved)


def set_stage(store: Store, stage: str, ids: list[str]) -> None:
    """``leads.stage`` of the leads ``ids`` set to ``stage``: up to :data:`_BY_IDS` leads
    found through the primary key (a literal list), more by a join (a long literal list
    costs more to plan than the join)."""
    if len(ids) > _BY_IDS:
        store.execute(
            "UPDATE leads SET stage = ? WHERE lead_id IN (SELECT unnest(?))", [stage, ids]
        )
    else:
        listed = ", ".join(quote_literal(i) for i in ids)
        store.execute(f"UPDATE leads SET stage = ? WHERE lead_id IN ({listed})", [stage])


def _last_seq(store: Store) -> int:
    """The newest transition's ``seq`` (0 for none); the next move is this + 1."""
    return int(store.scalar("SELECT coalesce(max(seq), 0) FROM stage_transitions"))


def _transitions(
    store: Store, where: str, params: list[Any], rows_of: str = "stage_transitions"
) -> list[Transition]:
    rows = store.query(f"SELECT {COLUMNS} FROM {rows_of} t WHERE {where}", params)
    return [Transition(**row) for row in rows]


@dataclass(frozen=True)
class StageEvent:
    """An event a transition sends to the outbox: ``lead.mql`` for an entry into mql,
    ``stage.changed`` for any other move; ``payload`` is the transition's ``as_dict()``."""

    event_type: str
    payload: dict[str, Any]


def _events_of(transitions: list[Transition]) -> list[StageEvent]:
    """The outbox events of these transitions, enqueued in the mover's transaction."""
    return [
        StageEvent("lead.mql" if t.to_stage == "mql" else "stage.changed", t.as_dict())
        for t in transitions
    ]


def _entry_events_sql(since: int) -> str:
    """The same events as :func:`_events_of` for the transitions after ``since`` (a
    scoring run's MQL entries, an import's stage changes), as a query of ``(event_type,
    payload)`` rows: a million entries go to the outbox with one ``INSERT ... SELECT``,
    not a Python loop."""
    return (
        "SELECT CASE WHEN to_stage = 'mql' THEN 'lead.mql' ELSE 'stage.changed' END "
        f"AS event_type, lead_id, {PAYLOAD} AS payload "
        f"FROM stage_transitions WHERE seq > {int(since)} ORDER BY seq"
    )


#: A transition's outbox payload (its ``as_dict()`` as JSON text) in SQL, over the columns of
#: ``stage_transitions`` (a query's, or an ``INSERT``'s ``RETURNING``: :mod:`leadgate.api.entry`).
PAYLOAD = (
    "to_json(struct_pack(seq, lead_id, from_stage, to_stage, "
    "moved_at := replace(CAST(moved_at AS VARCHAR), ' ', 'T'), actor, reason, "
    "definition_hash, score, tier, amount))"
)


__all__ = ["History", "Move", "StageEvent", "Transition", "enter_mql", "history", "move", "touch"]
