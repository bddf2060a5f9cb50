"""Each lead's highest points on any day before it was decided: what sizes live volume.

A live definition makes a lead an MQL on the first day its score reaches the threshold. The
calibration reads each lead once, as of its decision time (:mod:`.decision`), and a
threshold cut on those readings counts a lead whose score rose and fell again before then
as no MQL. Events move a score (a count passes a step, a negative point lands), so live the
proposal made far more MQLs than its share promised: in the demo a year's backtest gave it
1,578 MQLs where the current definition made 858, and the comparison of the two was no
longer at the same volume. Cut on each lead's peak over the days up to its decision (an
undecided lead: up to the as-of time), a share of leads is the share that would have become
MQLs, as :func:`leadgate.analytics.backtest.backtest` and the sales team count them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from ..analytics.replay import DAY_US, AnchoredGrid, replayed
from ..definition import CompiledDefinition, compile_definition
from ..definition.model import Definition, FieldType, FitGroup, FitRule
from ..scoring.evaluate import to_micros
from ..store import Store
from .decision import decision_day, decisions
from .features import Feature


def peak_points(
    store: Store,
    features: list[Feature],
    points: np.ndarray[Any, Any],
    attributes: dict[str, FieldType],
    event_types: list[str],
    as_of: dt.datetime,
    lead_ids: list[str],
) -> np.ndarray[Any, Any] | None:
    """Each lead's highest total of ``points`` (one per feature) on a day up to its decision
    (rows as ``lead_ids``; NaN for a lead never evaluated before it), or None when no
    feature reads events or nothing moves a score (:func:`scores_move`): then every day
    scores a lead alike, as its decision time does."""
    rules = [
        FitRule(name=f"f{i:05d}", when=f.when, points=int(p))
        for i, (f, p) in enumerate(zip(features, points, strict=True))
        if p
    ]
    c = compile_definition(
        Definition(
            name="calibration-peaks", version="1", attributes=attributes,
            event_types=event_types, fit=FitGroup(rules=rules),
        )
    )  # fmt: skip
    if (not c.event_rules and not c.aggregates) or not scores_move(store):
        return None
    return _highest(store, c, as_of, lead_ids, "s.total", totals=True)


def scores_move(store: Store) -> bool:
    """Whether anything in the store moves a score from day to day (events, intent): a
    lead table with neither (a CRM export) scores each lead alike on every day, so its
    peak is its score and no replay is needed."""
    return bool(
        store.scalar(
            "SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM intent_signals)"
        )
    )


def ever_in_sales(
    store: Store, c: CompiledDefinition, as_of: dt.datetime, lead_ids: list[str]
) -> np.ndarray[Any, Any]:
    """Whether ``c`` put each lead in a sales tier on some day up to its decision (1/0;
    NaN: never evaluated before it): the current definition's live volume, which the
    proposal's is sized to match."""
    sales = [i for i, t in enumerate(c.tiers) if t.sales] or [-2]
    flag = f"CASE WHEN s.tier IN ({', '.join(map(str, sales))}) THEN 1.0 ELSE 0.0 END"
    # Only the first sales-tier day matters, as in a backtest: a replay may skip the days
    # that bring a lead nothing new.
    return _highest(store, c, as_of, lead_ids, flag, totals=False, first_sales=True)


def _highest(
    store: Store,
    c: CompiledDefinition,
    as_of: dt.datetime,
    lead_ids: list[str],
    value: str,
    *,
    totals: bool,
    first_sales: bool = False,
) -> np.ndarray[Any, Any]:
    """The highest ``value`` (SQL over ``bt_states s``) of each lead over the days of a
    replay of ``c`` up to its decision day."""
    as_of_us = to_micros(as_of)
    first = store.scalar("SELECT epoch_us(min(created_at)) FROM leads")
    days = 1 if first is None else max(1, (as_of_us - int(first)) // DAY_US + 2)
    grid = AnchoredGrid.ending(as_of_us, days)
    with (
        decisions(store, as_of_us) as decided,
        replayed(store, c, grid, totals=totals, first_sales=first_sales),
    ):
        rows = store.execute(
            f"""
            SELECT i.lead_id, max({value}) FROM bt_states s JOIN bt_lead_ix i USING (ix)
            LEFT JOIN {decided} d ON d.lead_id = i.lead_id
            WHERE s.k <= {decision_day(grid, "d.at_us")} GROUP BY i.lead_id
            """
        ).fetchall()
    peak = {str(lead): float(v) for lead, v in rows}
    return np.fromiter((peak.get(i, np.nan) for i in lead_ids), dtype=float, count=len(lead_ids))
