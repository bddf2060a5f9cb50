"""Lifecycle rules: the definition's ``lifecycle:`` timers, judged as of a given time.

.. code-block:: yaml

    lifecycle:
      recycle_untouched_after: 14d   # an MQL nobody touched within 14 days goes back
      recycle_below_tiers: true      # so does one whose score fell below every sales tier
      reentry_events: [demo_request, pricing_page]  # what new engagement brings it back

Each rule has its own time, taken from the data and never from the clock: an untouched
MQL is recycled at ``mql_at + recycle_untouched_after`` (when its first touch, if any, came
later), a decayed one at the as-of time of the first scoring run since its entry that put
it in no sales tier. A sweep as of ``at`` makes the moves whose time is at or before
``at``, dated at that time; so sweeping as of each day in turn, or once as of the last
day, or again later, records the same transitions. Each move is a ``stage_transitions``
row (``mql`` → ``recycled``, actor ``system``, the rule as reason) announced in its
transaction as ``stage.changed`` (as every move is) and ``lead.recycled``.

Re-entry is :func:`leadgate.handoff.transitions.enter_mql`'s: a recycled lead re-enters
MQL only with an event after its recycle time (of ``reentry_events`` when given).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..expr.parser import parse_duration
from .outbox import enqueue
from .transitions import _events_of, _follow, _last_seq, _transitions

if TYPE_CHECKING:
    from ..definition import CompiledDefinition
    from ..store import Store

UNTOUCHED = "untouched"
BELOW_TIERS = "below_tiers"


@dataclass(frozen=True)
class Recycle:
    """A lifecycle move: the lead, when its rule fired, which rule, and why."""

    lead_id: str
    moved_at: dt.datetime
    rule: str
    reason: str
    score: float | None = None
    tier: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "moved_at": self.moved_at.isoformat(),
            "rule": self.rule,
            "reason": self.reason,
            "score": self.score,
            "tier": self.tier,
        }


def due_recycles(store: Store, compiled: CompiledDefinition, at: dt.datetime) -> list[Recycle]:
    """The MQLs (stage ``mql`` now, entered by ``at``) a lifecycle rule recycles as of
    ``at`` (naive UTC), each at the time of the earliest rule that fires."""
    rules = compiled.definition.lifecycle
    if rules is None:
        return []
    found: dict[str, Recycle] = {}
    if rules.recycle_untouched_after:
        for r in _untouched(store, rules.recycle_untouched_after, at):
            found[r.lead_id] = r
    if rules.recycle_below_tiers:
        sales = [t.name for t in compiled.tiers if t.sales]
        for r in _below_tiers(store, compiled.hash, sales, at):
            if r.lead_id not in found or r.moved_at < found[r.lead_id].moved_at:
                found[r.lead_id] = r
    return sorted(found.values(), key=lambda r: (r.moved_at, r.lead_id))


def _untouched(store: Store, after: str, at: dt.datetime) -> list[Recycle]:
    """MQLs whose first touch did not come within ``after`` of their entry."""
    micros = parse_duration(after)
    rows = store.execute(
        "SELECT h.lead_id, h.mql_at + to_microseconds(?) AS fires FROM lead_handoff h "
        "JOIN leads l USING (lead_id) WHERE l.stage = 'mql' AND h.mql_at IS NOT NULL "
        "AND h.mql_at + to_microseconds(?) <= ? "
        "AND (h.first_touch_at IS NULL OR h.first_touch_at > h.mql_at + to_microseconds(?))",
        [micros, micros, at, micros],
    ).fetchall()
    reason = f"lifecycle: no sales touch within {after} of MQL entry"
    return [Recycle(lead_id, fires, UNTOUCHED, reason) for lead_id, fires in rows]


def _below_tiers(
    store: Store, definition_hash: str, sales: list[str], at: dt.datetime
) -> list[Recycle]:
    """MQLs a scoring run since their entry put in no sales tier: the first such run."""
    rows = store.execute(
        "SELECT s.lead_id, min(s.as_of), arg_min(s.tier, s.as_of), arg_min(s.total, s.as_of) "
        "FROM scores s JOIN lead_handoff h USING (lead_id) JOIN leads l USING (lead_id) "
        "WHERE l.stage = 'mql' AND s.definition_hash = ? AND s.as_of >= h.mql_at "
        "AND s.as_of <= ? AND (s.disqualified OR s.tier IS NULL OR NOT list_contains(?, s.tier)) "
        "GROUP BY s.lead_id",
        [definition_hash, at, sales],
    ).fetchall()
    out = []
    for lead_id, when, tier, total in rows:
        reason = (
            f"lifecycle: score fell below every sales tier ({tier or 'no tier'} at score "
            f"{round(total, 2):g} as of {when:%Y-%m-%d %H:%M})"
        )
        out.append(Recycle(lead_id, when, BELOW_TIERS, reason, total, tier))
    return out


def apply_recycles(store: Store, recycles: list[Recycle], definition_hash: str) -> int:
    """Write the moves, each with its events, in the caller's transaction; how many."""
    if not recycles:
        return 0
    with store.atomic():
        since = _last_seq(store)
        store.executemany(
            "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor, "
            "reason, definition_hash, score, tier) VALUES (?, ?, 'mql', 'recycled', ?, 'system', "
            "?, ?, ?, ?)",
            [
                [since + i + 1, r.lead_id, r.moved_at, r.reason, definition_hash, r.score, r.tier]
                for i, r in enumerate(recycles)
            ],
        )
        _follow(store, f"seq > {int(since)}")
        for transition, recycle in zip(
            _transitions(store, f"seq > {int(since)} ORDER BY seq", []), recycles, strict=True
        ):
            for event in _events_of([transition]):
                enqueue(store, event.event_type, event.payload, lead_id=transition.lead_id)
            payload = transition.as_dict() | {"rule": recycle.rule}
            enqueue(store, "lead.recycled", payload, lead_id=transition.lead_id)
    return len(recycles)


__all__ = ["BELOW_TIERS", "UNTOUCHED", "Recycle", "apply_recycles", "due_recycles"]
