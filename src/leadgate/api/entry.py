"""MQL entry of leads the API just rescored: the semantics of
:func:`leadgate.handoff.transitions.enter_mql`, for a few leads each with its own as-of time.

A lead enters ``mql`` when its live score is in a sales tier, it is not disqualified, and
its stage is ``lead`` (or ``recycled`` with an event after its last move to recycled, up to
the score's as-of time, of one of the definition's ``lifecycle.reentry_events`` when it names
them: new engagement, the same condition a scoring run applies). The transitions,
``leads.stage``, the SLA start (``lead_handoff.mql_at``) and the ``lead.mql`` outbox events
are written by the helpers ``enter_mql`` uses, in the caller's transaction; then the new
MQLs are routed when the project has routing rules (:meth:`leadgate.project.Project.route`).
"""

from __future__ import annotations

from ..handoff.outbox import enqueue_query
from ..handoff.transitions import _NEW_ENGAGEMENT, _entry_events_sql, _follow, _last_seq
from ..store import Store
from .live import LiveScore, in_list


def enter_live(
    store: Store,
    definition_hash: str,
    scores: list[LiveScore],
    reentry_events: list[str] | None = None,
) -> list[str]:
    """Move into ``mql`` the leads of ``scores`` that enter it; return their ids."""
    ready = [s for s in scores if s.sales and not s.disqualified]
    if not ready:
        return []
    stages = dict(
        store.execute(
            "SELECT lead_id, coalesce(stage, 'lead') FROM leads "
            f"WHERE lead_id IN ({in_list(s.lead_id for s in ready)})"
        ).fetchall()
    )
    entering = [
        s
        for s in ready
        if stages.get(s.lead_id) == "lead"
        or (stages.get(s.lead_id) == "recycled" and _new_engagement(store, s, reentry_events))
    ]
    if not entering:
        return []
    since = _last_seq(store)
    entering.sort(key=lambda s: s.lead_id)
    store.execute(
        "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor, "
        "reason, definition_hash, score, tier) "
        "SELECT ? + row_number() OVER (ORDER BY lead_id), lead_id, from_stage, 'mql', ?, "
        "'system', 'tier ' || tier || ' at score ' || round(total, 2), ?, total, tier "
        "FROM (SELECT unnest(?) AS lead_id, unnest(?) AS from_stage, unnest(?) AS total, "
        "unnest(?) AS tier)",
        [
            since,
            store.now(),
            definition_hash,
            [s.lead_id for s in entering],
            [stages[s.lead_id] for s in entering],
            [s.total for s in entering],
            [s.tier for s in entering],
        ],
    )
    _follow(store, f"seq > {int(since)}")
    enqueue_query(store, _entry_events_sql(since))  # announced in this transaction
    return [s.lead_id for s in entering]


def _new_engagement(store: Store, score: LiveScore, reentry_events: list[str] | None) -> bool:
    """Whether a recycled lead has an event after it was last recycled, up to the as-of (of
    ``reentry_events`` when given); a recycled lead is rare, so one query each is fine."""
    return bool(
        store.scalar(
            f"SELECT count(*) FROM leads l WHERE l.lead_id = ? AND {_NEW_ENGAGEMENT}",
            [score.lead_id, score.as_of, reentry_events],
        )
    )
