"""Stages a CRM import brings: facts, recorded as transitions by the actor ``import``.

A leads file with a stage column (HubSpot's Lifecycle Stage, Salesforce's Status, mapped to
leadgate's stages by a value map) says where each lead stands in the CRM. When a batch of
the import changes a lead's stage, the batch's transaction also records, for each change:

* a ``stage_transitions`` row: from the stage before, to the CRM's, by ``import``, with the
  reason ``import <import id>``, the lead's current score and tier;
* its outbox event (``lead.mql`` for an entry into mql, else ``stage.changed``: the same
  events as a move made in leadgate), and an entry into mql starts the SLA clock;
* a CRM's last-contacted or last-activity date (``last_contacted``, ``last_activity_date``:
  the presets' names) on or after the lead's MQL entry sets its first touch, when that is
  absent or later (the SLA stops at the first touch the CRM knows of).

A move the stage machine would refuse (``lead`` → ``won``) is not refused here: the CRM
says it happened. It is recorded, its reason says it skipped the stage machine, and the
import's report counts it and names the first few. A new lead first seen beyond ``lead``
gets one transition from ``lead``, not counted as illegal: leadgate only learns where it is.
"""

from __future__ import annotations

from ..store import Store
from .outbox import enqueue_query
from .stages import MOVES
from .transitions import _entry_events_sql, _follow, _last_seq

BEFORE = "_lg_stage_before"
#: Date columns a CRM export brings whose date is a sales touch (the presets' names).
TOUCH_COLUMNS = ("last_contacted", "last_activity_date")
#: The lead fields whose import moves the handoff (a stage, a first touch): the API takes
#: them only from a key whose role may also work leads (see leadgate.api.routes_ingest).
HANDOFF_FIELDS = ("stage", *TOUCH_COLUMNS)
EXAMPLES = 3

_SCORE = "LEFT JOIN current_scores c ON c.lead_id = b.lead_id"
_LEGAL = ", ".join(f"('{a}', '{b}')" for a, nexts in MOVES.items() for b in nexts)


def watches(fields: list[str]) -> bool:
    """Whether a leads import with these fields can change a stage or a first touch."""
    return any(c in fields for c in HANDOFF_FIELDS)


def snapshot(store: Store, stage_table: str, rows: str) -> None:
    """Keep the stage of each lead of this batch (``rows``: a condition on ``s``, a row of
    ``stage_table``) before the batch is written."""
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {BEFORE} AS SELECT DISTINCT s._key AS lead_id, "
        "coalesce(l.stage, 'lead') AS before, l.lead_id IS NULL AS new "
        f"FROM {stage_table} AS s LEFT JOIN leads l ON l.lead_id = s._key "
        f"WHERE {rows} AND s._rej IS NULL"
    )


def record(store: Store, import_id: str, fields: list[str]) -> tuple[int, int, list[str]]:
    """Record the batch's stage changes (see the module), after it is written; returns how
    many there were, how many the stage machine would have refused, and the first few of
    those (``"l7: lead → won"``)."""
    legal = f"LEFT JOIN (VALUES {_LEGAL}) g(f, t) ON g.f = b.before AND g.t = l.stage"
    changes = f"{BEFORE} b JOIN leads l USING (lead_id) {legal} WHERE l.stage <> b.before"
    illegal = store.one(
        f"SELECT count(*), list(b.lead_id || ': ' || b.before || ' → ' || l.stage "
        f"ORDER BY b.lead_id)[1:{EXAMPLES}] FROM {changes} AND g.f IS NULL AND NOT b.new"
    )
    since = _last_seq(store)
    store.execute(
        "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor, "
        "reason, definition_hash, score, tier) SELECT ? + row_number() OVER (ORDER BY "
        "b.lead_id), b.lead_id, b.before, l.stage, ?, 'import', 'import ' || ? || CASE WHEN "
        "b.new THEN ': first seen at this stage' WHEN g.f IS NULL THEN ': the CRM skipped "
        "the stage machine (not a legal move)' ELSE '' END, c.definition_hash, c.total, "
        f"c.tier FROM {changes.replace(' WHERE ', f' {_SCORE} WHERE ')}",
        [since, store.now(), import_id],
    )
    changed = _follow(store, f"seq > {int(since)}")
    if changed:  # announced in the batch's transaction
        enqueue_query(store, _entry_events_sql(since))
    _touches(store, fields)
    store.execute(f"DROP TABLE {BEFORE}")
    count, examples = illegal if illegal else (0, [])
    return changed, int(count), list(examples or [])


def _touches(store: Store, fields: list[str]) -> None:
    """A CRM's touch date on or after the MQL entry is a first touch, if the earliest."""
    dates = [
        f'l."{c}"'
        for c, kind in store.table_columns("leads").items()
        if c in TOUCH_COLUMNS and c in fields and kind.startswith("TIMESTAMP")
    ]
    if not dates:
        return
    touched = dates[0] if len(dates) == 1 else f"least({', '.join(dates)})"
    store.execute(
        "UPDATE lead_handoff SET first_touch_at = least(coalesce(lead_handoff.first_touch_at, "
        f"t.at), t.at) FROM (SELECT l.lead_id, {touched} AS at FROM {BEFORE} b JOIN leads l "
        "USING (lead_id)) AS t WHERE lead_handoff.lead_id = t.lead_id AND t.at IS NOT NULL "
        "AND lead_handoff.mql_at IS NOT NULL AND t.at >= lead_handoff.mql_at"
    )


__all__ = ["TOUCH_COLUMNS", "record", "snapshot", "watches"]
