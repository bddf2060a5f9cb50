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

import datetime as dt
from typing import TYPE_CHECKING

from ..handoff.outbox import enqueue_query
from ..handoff.transitions import _NEW_ENGAGEMENT, PAYLOAD, set_stage
from ..store import Store
from .live import LiveScore, in_list

if TYPE_CHECKING:
    from .behind import Deferred
    from .held_stages import HeldStages


#: One MQL entry to write: lead, the stage it leaves, its total and tier, the definition's
#: hash, and when (naive UTC: the transition's time and the SLA's start).
Entry = tuple[str, str, float, str, str, dt.datetime]


def enter_live(
    store: Store,
    definition_hash: str,
    scores: list[LiveScore],
    reentry_events: list[str] | None = None,
    behind: Deferred | None = None,
    held: HeldStages | None = None,
) -> list[str]:
    """Move into ``mql`` the leads of ``scores`` that enter it; return their ids. With
    ``behind`` (a write-behind group, :mod:`.behind`), the entries are chosen with the
    stages of the entries still pending and handed to it, not written; their stages come
    from ``held`` when given (:mod:`.held_stages`), else from the store."""
    ready = [s for s in scores if s.sales and not s.disqualified]
    if not ready:
        return []
    if behind is not None and held is not None:
        stages = held.of(store, (s.lead_id for s in ready))
    else:
        stages = dict(
            store.execute(
                "SELECT lead_id, coalesce(stage, 'lead') FROM leads "
                f"WHERE lead_id IN ({in_list(s.lead_id for s in ready)})"
            ).fetchall()
        )
    if behind is not None:
        stages.update({s.lead_id: "mql" for s in ready if s.lead_id in behind.mql})
    entering = [
        s
        for s in ready
        if stages.get(s.lead_id) == "lead"
        or (
            stages.get(s.lead_id) == "recycled"
            and _new_engagement(store, s, reentry_events, behind)
        )
    ]
    if not entering:
        return []
    entering.sort(key=lambda s: s.lead_id)
    now = behind.at if behind is not None else store.now()
    entries = [
        (s.lead_id, stages[s.lead_id], s.total, s.tier or "", definition_hash, now)
        for s in entering
    ]
    if behind is not None:
        behind.entries.extend(entries)
    else:
        write_entries(store, entries)
    return [s.lead_id for s in entering]


def write_entries(store: Store, entries: list[Entry]) -> None:
    """Write ``entries`` (each lead at most once, in this order): their transitions,
    ``leads.stage``, the SLA starts and the ``lead.mql`` outbox events, in the caller's
    transaction (see the module)."""
    if not entries:
        return
    ids = [e[0] for e in entries]
    announced = store.execute(
        "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor, "
        "reason, definition_hash, score, tier) "
        "SELECT (SELECT coalesce(max(seq), 0) FROM stage_transitions) "
        "+ row_number() OVER (ORDER BY n), lead_id, from_stage, 'mql', moved_at, 'system', "
        "'tier ' || tier || ' at score ' || round(total, 2), definition_hash, total, tier "
        "FROM (SELECT unnest(?) AS lead_id, unnest(?) AS from_stage, unnest(?) AS total, "
        "unnest(?) AS tier, unnest(?) AS definition_hash, unnest(?::TIMESTAMP[]) AS moved_at, "
        f"unnest(range(len(?))) AS n) RETURNING seq, lead_id, {PAYLOAD}",
        [
            ids,
            [e[1] for e in entries],
            [e[2] for e in entries],
            [e[3] for e in entries],
            [e[4] for e in entries],
            [e[5] for e in entries],
            ids,
        ],
    ).fetchall()
    announced.sort()
    set_stage(store, "mql", ids)
    # Entry into mql starts the SLA clock afresh (a re-entry's first touch is yet to come).
    store.execute(
        "MERGE INTO lead_handoff USING (SELECT unnest(?) AS lead_id, "
        "unnest(?::TIMESTAMP[]) AS mql_at, unnest(?) AS tier) e "
        "ON lead_handoff.lead_id = e.lead_id "
        "WHEN MATCHED THEN UPDATE SET mql_at = e.mql_at, mql_tier = e.tier, "
        "first_touch_at = NULL "
        "WHEN NOT MATCHED THEN INSERT (lead_id, mql_at, mql_tier) "
        "VALUES (e.lead_id, e.mql_at, e.tier)",
        [ids, [e[5] for e in entries], [e[3] for e in entries]],
    )
    enqueue_query(  # announced in this transaction
        store,
        "SELECT 'lead.mql' AS event_type, unnest(?) AS lead_id, unnest(?) AS payload",
        [[lead for _, lead, _ in announced], [payload for _, _, payload in announced]],
    )


def _new_engagement(
    store: Store,
    score: LiveScore,
    reentry_events: list[str] | None,
    behind: Deferred | None = None,
) -> bool:
    """Whether a recycled lead has an event after it was last recycled, up to the as-of (of
    ``reentry_events`` when given); a recycled lead is rare, so one query each is fine.
    With ``behind``, its events not yet written count too."""
    stored = store.scalar(
        f"SELECT count(*) FROM leads l WHERE l.lead_id = ? AND {_NEW_ENGAGEMENT}",
        [score.lead_id, score.as_of, reentry_events],
    )
    if stored or behind is None:
        return bool(stored)
    recycled = store.scalar(
        "SELECT max(moved_at) FROM stage_transitions WHERE lead_id = ? AND to_stage = 'recycled'",
        [score.lead_id],
    )
    return recycled is not None and behind.has_event(
        score.lead_id, recycled, score.as_of, reentry_events
    )
