"""What ``leadgate merge`` does to the handoff: the merged lead's history goes with it.

When two leads turn out to be one person (:mod:`leadgate.identity.merge`), everything the
handoff recorded of the merged lead moves to the lead kept, in the merge's transaction:

* its ``stage_transitions`` rows (their ``lead_id`` only; the moves stay as they were made,
  in ``seq`` order among the kept lead's own);
* its ``assignments`` and ``routing_misses`` (the latest assignment still decides the owner);
* its ``lead_handoff`` row, combined with the kept lead's: the earliest MQL entry (the SLA
  started when the person first became an MQL) with its tier, the earliest first touch.

The kept lead's ``stage`` is then the last transition's ``to_stage``, as everywhere else.
Outbox messages are not rewritten: they announced what was true when they were sent.
"""

from __future__ import annotations

from ..store import Store


def move_handoff(store: Store, moves: str) -> None:
    """Move the handoff records of each ``alias`` of ``moves`` (a table of ``alias`` →
    ``lead_id``, the merged lead and the one kept) to the lead kept."""
    for table in ("stage_transitions", "assignments", "routing_misses"):
        store.execute(
            f"UPDATE {table} SET lead_id = m.lead_id FROM {moves} AS m "
            f"WHERE {table}.lead_id = m.alias"
        )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _lg_merged_handoff AS SELECT coalesce(m.lead_id, "
        "h.lead_id) AS lead_id, min(h.mql_at) AS mql_at, arg_min(h.mql_tier, h.mql_at) AS "
        "mql_tier, min(h.first_touch_at) AS first_touch_at FROM lead_handoff h "
        f"LEFT JOIN {moves} m ON m.alias = h.lead_id WHERE h.lead_id IN "
        f"(SELECT alias FROM {moves} UNION SELECT lead_id FROM {moves}) GROUP BY 1"
    )
    store.execute(
        f"DELETE FROM lead_handoff WHERE lead_id IN (SELECT alias FROM {moves} "
        f"UNION SELECT lead_id FROM {moves})"
    )
    store.execute(
        "INSERT INTO lead_handoff (lead_id, mql_at, mql_tier, first_touch_at) "
        "SELECT * FROM _lg_merged_handoff"
    )
    store.execute("DROP TABLE _lg_merged_handoff")
    store.execute(
        "UPDATE leads SET stage = t.to_stage FROM (SELECT lead_id, arg_max(to_stage, seq) AS "
        f"to_stage FROM stage_transitions WHERE lead_id IN (SELECT lead_id FROM {moves}) "
        "GROUP BY lead_id) AS t WHERE leads.lead_id = t.lead_id"
    )


__all__ = ["move_handoff"]
