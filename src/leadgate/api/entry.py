"""MQL entry of leads the API just rescored: the semantics of
:func:`leadgate.handoff.transitions.enter_mql`, for a few leads each with its own as-of time.

A lead enters ``mql`` when its live score is in a sales tier, it is not disqualified, and
its stage is ``lead`` (or ``recycled`` with an event after its last move to recycled, up to
the score's as-of time, of one of the definition's ``lifecycle.reentry_events`` when it names
them: new engagement, the same condition a scoring run applies). The transitions,
``leads.stage``, the SLA start (``lead_handoff.mql_at``) and the ``lead.mql`` outbox events
are written in the caller's transaction, as ``enter_mql`` writes them; then the new MQLs are
routed when the project has routing rules (:meth:`leadgate.project.Project.route`).

A group commit of a few single events runs this for a few leads, and each statement costs
milliseconds on a loaded machine (``bench/README.md``, issue #9, session 14), so an entry
is four statements after the stage read, none of them reading ``stage_transitions`` back:
the transitions are inserted numbered after the newest one (its ``max(seq)`` inside the
same statement) and give back their outbox payloads (``RETURNING``); ``leads.stage``
follows by the leads' ids; ``lead_handoff`` gets each entry's SLA start in one ``MERGE``
(updated where the lead has a row, inserted where not: what ``_follow``'s update and
insert do); the outbox rows are inserted from the returned payloads.
"""

from __future__ import annotations

from ..handoff.outbox import enqueue_query
from ..handoff.transitions import _NEW_ENGAGEMENT, PAYLOAD, set_stage
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
    entering.sort(key=lambda s: s.lead_id)
    ids = [s.lead_id for s in entering]
    now = store.now()
    announced = store.execute(
        "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor, "
        "reason, definition_hash, score, tier) "
        "SELECT (SELECT coalesce(max(seq), 0) FROM stage_transitions) "
        "+ row_number() OVER (ORDER BY lead_id), lead_id, from_stage, 'mql', ?, 'system', "
        "'tier ' || tier || ' at score ' || round(total, 2), ?, total, tier "
        "FROM (SELECT unnest(?) AS lead_id, unnest(?) AS from_stage, unnest(?) AS total, "
        f"unnest(?) AS tier) RETURNING seq, lead_id, {PAYLOAD}",
        [
            now,
            definition_hash,
            ids,
            [stages[s.lead_id] for s in entering],
            [s.total for s in entering],
            [s.tier for s in entering],
        ],
    ).fetchall()
    announced.sort()
    set_stage(store, "mql", ids)
    # Entry into mql starts the SLA clock afresh (a re-entry's first touch is yet to come).
    store.execute(
        "MERGE INTO lead_handoff USING (SELECT unnest(?) AS lead_id, ?::TIMESTAMP AS mql_at, "
        "unnest(?) AS tier) e ON lead_handoff.lead_id = e.lead_id "
        "WHEN MATCHED THEN UPDATE SET mql_at = e.mql_at, mql_tier = e.tier, "
        "first_touch_at = NULL "
        "WHEN NOT MATCHED THEN INSERT (lead_id, mql_at, mql_tier) "
        "VALUES (e.lead_id, e.mql_at, e.tier)",
        [ids, now, [s.tier for s in entering]],
    )
    enqueue_query(  # announced in this transaction
        store,
        "SELECT 'lead.mql' AS event_type, unnest(?) AS lead_id, unnest(?) AS payload",
        [[lead for _, lead, _ in announced], [payload for _, _, payload in announced]],
    )
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
