"""What a definition saw of each lead when the lead was decided on: no event after it.

Calibration learns which criteria predict an outcome. Had it read every lead as of its own
as-of time, a converted lead's features would count the demo it booked with the account
executive and every visit after the deal: the model would learn the aftermath of buying,
and the proposal would lose to the definition it should replace. So each lead is read as of
its **decision time**, the moment the outcome is judged from:

* its MQL entry as leadgate recorded it (``lead_handoff.mql_at``): the events up to that
  instant made it an MQL and count;
* else (or when earlier) its first outcome of any kind (accepted, rejected, sql, ...), the
  first time sales judged it: only events strictly before it count;
* a lead with neither by the as-of time is censored there: as of the as-of time.

Leads are replayed (:func:`leadgate.analytics.replay.replayed_at`) on instants a second
apart that end at the as-of time, each as of the latest of them *before* its decision
time: a lead's features may miss the events of the second before the decision, never one
after it. (Days, as first written, lost the events of the decision's day: the demo request
that made a lead an MQL an hour before sales called it.)
When no lead was decided before the as-of time (a CRM export with an outcome column and
no dates), this is one plain scoring as of the as-of time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..analytics.replay import DAY_US, AnchoredGrid, replayed_at
from ..definition.compile import CompiledDefinition
from ..scoring.batch import scoring_query
from ..scoring.evaluate import to_micros
from ..scoring.event_steps import lit
from ..store import Store

WANTED = "cal_decision"
#: Leads are read on instants a second apart, the precision of CRM times: on days, a lead
#: decided hours after the event that made it an MQL was read without that event (in the
#: demo 176 of 780 SQLs lost it, and no definition could learn the demo request they made).
READ_STEP_US = 1_000_000


@contextmanager
def decisions(store: Store, as_of_us: int) -> Iterator[str]:
    """The name of a temp table ``(lead_id, at_us)`` of the leads decided before the as-of
    time (``at_us``: the first instant that no longer counts), dropped after."""
    try:
        _decisions(store, as_of_us)
        yield f"{WANTED}_at"
    finally:
        store.execute(f"DROP TABLE IF EXISTS temp.{WANTED}_at")


def _decisions(store: Store, as_of_us: int) -> int:
    """Fill :func:`decisions`' table; how many days back the earliest decision reaches."""
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {WANTED}_at AS
        WITH d AS (SELECT lead_id, epoch_us(mql_at) + 1 AS at_us FROM lead_handoff
                   WHERE mql_at IS NOT NULL
                   UNION ALL SELECT lead_id, epoch_us(min(ts)) FROM lead_outcomes GROUP BY lead_id)
        SELECT lead_id, min(at_us) AS at_us FROM d GROUP BY lead_id
        HAVING min(at_us) <= {as_of_us}
        """
    )
    back = store.scalar(f"SELECT max(({as_of_us} - at_us) // {DAY_US} + 1) FROM {WANTED}_at")
    return int(back or 0)


def decision_times(store: Store, as_of_us: int) -> tuple[Any, int]:
    """The leads decided before the as-of time as an Arrow table ``(lead_id, at_us)`` and
    how many days back the earliest reaches: for an engine other than the store's own."""
    try:
        back = _decisions(store, as_of_us)
        return store.conn.sql(f"SELECT lead_id, at_us FROM {WANTED}_at").to_arrow_table(), back
    finally:
        store.execute(f"DROP TABLE IF EXISTS temp.{WANTED}_at")


def decision_grid(as_of_us: int, back_days: int) -> AnchoredGrid:
    """The instants leads are read as of, a second apart, back to the earliest decision."""
    return AnchoredGrid.ending(as_of_us, back_days * DAY_US // READ_STEP_US + 1, READ_STEP_US)


def decision_day(grid: AnchoredGrid, at_us: str, div: str = "//") -> str:
    """SQL: the grid instant a lead is read as of, the latest before its decision ``at_us``
    (NULL: undecided, the last one): k = last - ceil((as_of - at + 1) / step); ``div``, the
    dialect's integer division (Spark's ``div``)."""
    last, step = grid.count - 1, grid.step_us
    return f"coalesce({last} - (({grid.anchor} - {at_us} + 1) + {step - 1}) {div} {step}, {last})"


def decided_scores(
    store: Store, c: CompiledDefinition, as_of: dt.datetime, columns: str, *, details: bool
) -> dict[str, Any]:
    """``SELECT columns`` (NumPy arrays, by name) over each lead's score as of its decision
    time, from a relation of ``lead_id``, ``total`` (points), ``tier`` (its name, NULL for
    none), ``disqualified`` and, with ``details``, ``contributions``."""
    as_of_us = to_micros(as_of)
    try:
        back = _decisions(store, as_of_us)
        if back == 0:
            plan = scoring_query(store, c, as_of, details=details)
            return dict(store.execute(f"SELECT {columns} FROM ({plan}) p").fetchnumpy())
        grid = decision_grid(as_of_us, back)
        store.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {WANTED} AS
            SELECT l.lead_id, {decision_day(grid, "d.at_us")} AS k
            FROM leads l LEFT JOIN {WANTED}_at d USING (lead_id)
            """
        )
        names = " ".join(f"WHEN {i} THEN {lit(t.name, 'duckdb')}" for i, t in enumerate(c.tiers))
        tier = f"CASE s.tier {names} END" if names else "CAST(NULL AS VARCHAR)"
        with replayed_at(store, c, grid, WANTED, details=True):
            relation = (
                f"SELECT i.lead_id, s.total, {tier} AS tier, FALSE AS disqualified,"
                " s.contributions FROM bt_states s JOIN bt_lead_ix i USING (ix)"
                f" JOIN {WANTED} w ON w.lead_id = i.lead_id AND w.k = s.k"
            )
            return dict(store.execute(f"SELECT {columns} FROM ({relation}) p").fetchnumpy())
    finally:
        store.execute(f"DROP TABLE IF EXISTS temp.{WANTED}")
        store.execute(f"DROP TABLE IF EXISTS temp.{WANTED}_at")
