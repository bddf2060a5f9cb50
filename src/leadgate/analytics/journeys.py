"""Each lead's journey as of a time: when it reached MQL, SAL, SQL, opportunity and won.

One temporary table, ``journeys``, one row per lead, is what the funnel, the lift per
criterion and the diagnostics read. It is built from whatever the store holds, each source
used when present:

* ``stage_transitions`` (moves by scoring, sales, the API, CRM stages imported as moves),
  and ``lead_handoff.mql_at`` (the MQL entry the SLA clock starts from);
* ``outcomes`` imported from a CRM (``accepted`` is SAL, ``sql``, ``opportunity``, ``won``);
* ``leads.created_at`` (the first contact), for a lead whose MQL entry is not recorded.

A person erased (``leadgate forget``) has no lead row left, but their transitions stay under
a pseudonym (``erased_...``): each is one more journey, with no source or creation time, so
the funnel's counts are the same after an erasure as before.

Which leads are MQLs: those whose MQL entry is recorded, or that sales gave a verdict on
(any outcome, any move past ``mql``). A store that records no MQL entry at all holds a
table of MQLs, as a CRM exports them (Olist's marketing-qualified leads): every lead is an
MQL from its ``created_at`` (``basis`` says which reading was used).

A stage reached implies the ones before it: a deal won on 3 March was an opportunity, an
SQL and accepted by then (``reach_*``), so funnel counts never grow along the stages. Times
between stages use only the times recorded (``*_at``): the implied ones would say "0 days".
Nothing dated after the as-of time counts.
"""

from __future__ import annotations

import datetime as dt

from ..store import Store

#: The funnel's stages after MQL, in order, and the outcome that records each.
STAGES_AFTER_MQL = ("sal", "sql", "opportunity", "won")
OUTCOME_OF_STAGE = {"sal": "accepted", "sql": "sql", "opportunity": "opportunity", "won": "won"}

#: The bases a funnel is computed on (see the module's docstring).
BASIS_TRANSITIONS = "stage transitions"
BASIS_OUTCOMES = "outcomes (every lead an MQL from its created_at)"


def _first_times(time: str, kind: str, values: dict[str, str]) -> str:
    """``min(time) FILTER (WHERE kind = 'value') AS name_at`` for each name → value."""
    return ", ".join(
        f"min({time}) FILTER (WHERE {kind} = '{value}') AS {name}_at"
        for name, value in values.items()
    )


def records_mql(store: Store, as_of: dt.datetime) -> bool:
    """Whether the store records any MQL entry up to ``as_of``."""
    moved = store.scalar(
        "SELECT count(*) FROM stage_transitions WHERE to_stage = 'mql' AND moved_at <= ?",
        [as_of],
    )
    handed = store.scalar("SELECT count(*) FROM lead_handoff WHERE mql_at <= ?", [as_of])
    return bool(moved or handed)


def build_journeys(
    store: Store, as_of: dt.datetime, window_us: int | None, timezone: str = "UTC"
) -> str:
    """Create (or replace) the temporary table ``journeys`` as of ``as_of`` (naive UTC) and
    return the basis used. ``window_us``: the conversion window after MQL (None: none).

    Columns: ``lead_id, source, created_at, mql, mql_at, sal_at .. won_at`` (recorded),
    ``reach_sal .. reach_won`` (implied), ``window_end``, ``eligible`` (the window has
    closed), ``censored``, ``tier, definition_hash, owner, cohort``, ``rejected_reason``.
    """
    every_lead = not records_mql(store, as_of)
    stages = {s: s for s in STAGES_AFTER_MQL}
    moved = _first_times("moved_at", "to_stage", {"mql": "mql", **stages})
    verdicts = _first_times("ts", "outcome", OUTCOME_OF_STAGE)
    mql_known = "tr.mql_at IS NOT NULL OR lh.mql_at IS NOT NULL OR oc.verdicts > 0 OR tr.past > 0"
    mql = "TRUE" if every_lead else f"({mql_known})"
    window = "NULL" if window_us is None else f"INTERVAL ({int(window_us)}) MICROSECONDS"
    local = f"timezone('{_zone(timezone)}', timezone('UTC', coalesce(j.mql_at, j.created_at)))"
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE journeys AS
        WITH tr AS (
            SELECT lead_id, {moved},
                   arg_min(tier, moved_at) FILTER (WHERE to_stage = 'mql') AS tier,
                   arg_min(definition_hash, moved_at) FILTER (WHERE to_stage = 'mql')
                       AS definition_hash,
                   count(*) FILTER (WHERE from_stage <> 'lead') AS past,
                   arg_max(reason, seq) FILTER (WHERE to_stage IN ('recycled', 'disqualified'))
                       AS rejected_reason
            FROM stage_transitions WHERE moved_at <= $1 GROUP BY lead_id),
        oc AS (
            SELECT coalesce(a.lead_id, o.lead_id) AS lead_id, {verdicts},
                   count(*) AS verdicts,
                   arg_max(o.reason, o.ts) FILTER (WHERE o.outcome = 'rejected')
                       AS rejected_reason
            FROM outcomes o LEFT JOIN lead_aliases a ON a.alias = o.lead_id
            WHERE o.ts <= $1 GROUP BY 1),
        lh AS (
            SELECT lead_id, min(mql_at) AS mql_at, arg_min(mql_tier, mql_at) AS tier
            FROM lead_handoff WHERE mql_at <= $1 GROUP BY lead_id),
        own AS (
            SELECT lead_id, arg_max(rep, assignment_id) AS owner
            FROM assignments WHERE assigned_at <= $1 GROUP BY lead_id),
        base AS (
            SELECT l.lead_id, l.source, l.created_at, {mql} AS mql,
                   CASE WHEN {mql} THEN coalesce(least(tr.mql_at, lh.mql_at), l.created_at)
                   END AS mql_at,
                   least(tr.sal_at, oc.sal_at) AS sal_at,
                   least(tr.sql_at, oc.sql_at) AS sql_at,
                   least(tr.opportunity_at, oc.opportunity_at) AS opportunity_at,
                   least(tr.won_at, oc.won_at) AS won_at,
                   coalesce(lh.tier, tr.tier, cs.tier) AS tier,
                   coalesce(tr.definition_hash, cs.definition_hash) AS definition_hash,
                   own.owner,
                   coalesce(tr.rejected_reason, oc.rejected_reason) AS rejected_reason
            FROM (SELECT lead_id, source, created_at FROM leads
                  UNION ALL SELECT DISTINCT lead_id, NULL, NULL FROM stage_transitions
                  WHERE starts_with(lead_id, 'erased_')
                    AND lead_id NOT IN (SELECT lead_id FROM leads)) l
            LEFT JOIN tr USING (lead_id) LEFT JOIN oc USING (lead_id)
            LEFT JOIN lh USING (lead_id) LEFT JOIN own USING (lead_id)
            LEFT JOIN current_scores cs USING (lead_id)),
        reached AS (
            SELECT *, won_at AS reach_won,
                   least(opportunity_at, won_at) AS reach_opportunity,
                   least(sql_at, opportunity_at, won_at) AS reach_sql,
                   least(sal_at, sql_at, opportunity_at, won_at) AS reach_sal,
                   CASE WHEN mql THEN coalesce(mql_at + {window}, $1) END AS window_end
            FROM base)
        SELECT j.*, j.mql AND j.window_end <= $1 AS eligible,
               j.mql AND j.window_end > $1 AS censored,
               strftime({local}, '%Y-%m') AS cohort
        FROM reached j
        """,
        [as_of],
    )
    return BASIS_OUTCOMES if every_lead else BASIS_TRANSITIONS


def _zone(name: str) -> str:
    """A time zone name fit to quote (a project's zone was checked when read)."""
    if "'" in name:
        raise ValueError(f"not a time zone: {name!r}")
    return name
