"""``leadgate merge``: leads stored apart that share an email become one.

Two leads share an email when they were imported before aliases existed, or came under two
ids in one file. :func:`merge_leads` finds each group (the email trimmed and lower-cased),
keeps the lead with the smallest id (the one an import by that email already names), and
with ``apply``, in one transaction:

* each field takes the value of the group's most recently updated lead that has one (last
  import wins; a blank never erases a value), or with ``prefer`` of the lead the most
  trusted source holds first; ``created_at`` the earliest, ``updated_at`` the latest;
* every id of the merged leads, their own included, becomes an alias of the lead kept;
* their events, outcomes and visitor links move to it, and their stage transitions,
  assignments and SLA times (:mod:`leadgate.handoff.merged`); their stored scores are dropped
  (the next ``leadgate score`` scores the lead kept with everything);
* ``lead_merges`` records each merged lead with the events and outcomes it moved.

Without ``apply`` it only reports the groups. Run again, it finds nothing: every group is
one lead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from ..handoff.merged import move_handoff
from ..results import MergeGroup, MergeReport
from ..store import Store
from .aliases import email_sql, repoint

GROUPS = "_lg_merge_groups"
MOVES = "_lg_merge_moves"
# Columns not taken from the most recently updated lead.
_SPECIAL = {"lead_id": None, "created_at": "min", "updated_at": "max"}


def merge_leads(store: Store, *, apply: bool = False, prefer: Sequence[str] = ()) -> MergeReport:
    """Find (and with ``apply``, merge) the leads that share an email. With ``prefer``
    (sources, most trusted first: ``[identity] prefer``), a field takes the value of the
    lead the most trusted source holds before the most recently updated one's."""
    with store.atomic():
        store.execute(
            f"CREATE OR REPLACE TEMP TABLE {GROUPS} AS SELECT lead_id, em, "
            "min(lead_id) OVER (PARTITION BY em) AS into_id FROM (SELECT lead_id, "
            f"{email_sql('email')} AS em FROM leads WHERE email IS NOT NULL "
            "AND trim(email) <> '') QUALIFY count(*) OVER (PARTITION BY em) > 1"
        )
        store.execute(
            f"CREATE OR REPLACE TEMP TABLE {MOVES} AS SELECT g.lead_id AS alias, g.into_id "
            "AS lead_id, g.em, (SELECT count(*) FROM events e WHERE e.lead_id = g.lead_id) "
            "AS events, (SELECT count(*) FROM outcomes o WHERE o.lead_id = g.lead_id) "
            f"AS outcomes FROM {GROUPS} g WHERE g.lead_id <> g.into_id"
        )
        groups = _groups(store)
        if apply and groups:
            _apply(store, prefer)
        for table in (GROUPS, MOVES):
            store.execute(f"DROP TABLE IF EXISTS {table}")
    return MergeReport(groups, applied=apply)


def _groups(store: Store) -> list[MergeGroup]:
    rows = store.execute(
        "SELECT em, lead_id, list(alias ORDER BY alias), sum(events), sum(outcomes) "
        f"FROM {MOVES} GROUP BY em, lead_id ORDER BY em"
    ).fetchall()
    return [
        MergeGroup(em, into, list(merged), int(ev), int(out)) for em, into, merged, ev, out in rows
    ]


def _apply(store: Store, prefer: Sequence[str]) -> None:
    """Merge every group found (see the module): one set-based statement per step."""
    _merge_fields(store, prefer)
    # Aliases first: the merged leads' own ids included, whatever the store held.
    store.execute(
        f"UPDATE lead_aliases SET lead_id = m.lead_id FROM {MOVES} AS m "
        "WHERE lead_aliases.lead_id = m.alias"
    )
    store.execute(
        f"INSERT INTO lead_aliases SELECT m.alias, m.lead_id, NULL, NULL, ? FROM {MOVES} AS m "
        "WHERE m.alias NOT IN (SELECT alias FROM lead_aliases)",
        [store.now()],
    )
    repoint(store, f"(SELECT alias, lead_id FROM {MOVES})")
    move_handoff(store, MOVES)  # transitions, assignments, SLA times go with the lead
    store.execute(f"DELETE FROM scores WHERE lead_id IN (SELECT alias FROM {MOVES})")
    store.execute(f"DELETE FROM leads WHERE lead_id IN (SELECT alias FROM {MOVES})")
    store.execute(
        f"INSERT INTO lead_merges SELECT ?, lead_id, alias, em, events, outcomes, ? FROM {MOVES}",
        [uuid.uuid4().hex, store.now()],
    )


def _merge_fields(store: Store, prefer: Sequence[str]) -> None:
    """Each kept lead's fields: per field, the value set of the lead the most trusted source
    holds, else of the latest updated lead."""
    # Trust: a lead's best rank among the sources of its ids (higher is more trusted).
    names = [s.replace("'", "''") for s in prefer]
    ranks = " ".join(f"WHEN '{s}' THEN {len(prefer) - n}" for n, s in enumerate(names))
    trust = (
        f"(SELECT max(CASE a.source {ranks} ELSE 0 END) FROM lead_aliases a "
        "WHERE a.lead_id = l.lead_id)"
        if prefer
        else "0"
    )
    order = f"({trust}, coalesce(l.updated_at, l.created_at, TIMESTAMP '1970-01-01'), l.lead_id)"
    picks, sets = [], []
    for name in store.table_columns("leads"):
        if name == "lead_id":
            continue
        q = '"' + name.replace('"', '""') + '"'
        how = _SPECIAL.get(name)
        pick = f"{how}(l.{q})" if how else f"arg_max(l.{q}, {order}) FILTER (l.{q} IS NOT NULL)"
        picks.append(f"{pick} AS {q}")
        sets.append(f"{q} = v.{q}")
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE _lg_merge_values AS SELECT g.into_id AS lead_id, "
        f"{', '.join(picks)} FROM leads l JOIN {GROUPS} g USING (lead_id) GROUP BY g.into_id"
    )
    store.execute(
        f"UPDATE leads SET {', '.join(sets)} FROM _lg_merge_values AS v "
        "WHERE leads.lead_id = v.lead_id"
    )
    store.execute("DROP TABLE _lg_merge_values")
