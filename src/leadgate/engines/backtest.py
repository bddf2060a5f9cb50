"""``leadgate backtest --engine spark``: the daily replay on Spark, measured as on DuckDB.

The heavy part of a backtest, every lead's tier on every day it may change, runs on Spark
(:mod:`.replay`) over the inputs of ``[engine.tables]``, and is reduced there to one row
per lead: its first sales-tier day, its tier on the last day and its first touch (what
:func:`leadgate.analytics.backtest.summarize` keeps). Those rows come back to the project
store, where :func:`leadgate.analytics.backtest.measure` reads them against the outcomes,
so precision, recall and the months are computed by the very code a DuckDB backtest uses.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Any

from ..analytics.backtest import SAMPLE, BacktestResult, check_options, measure
from ..analytics.replay import Grid
from ..definition.compile import CompiledDefinition
from ..scoring.dialects import check_engine
from ..store import Store
from .replay import backtest_pairs, evaluate, indexed, sales_tiers

SUMMARY = "bt_result"
REPLAY = "pairs on spark (every day a lead's inputs may change)"


def spark_backtest(
    spark: Any,
    store: Store,
    c: CompiledDefinition,
    inputs: Mapping[str, str],
    start: dt.date,
    end: dt.date,
    *,
    step: str = "day",
    outcomes: tuple[str, ...] = ("won",),
    window_days: int = 90,
    observed_until: dt.datetime | None = None,
    sample: int = SAMPLE,
) -> BacktestResult:
    """Replay ``c`` on Spark as of each day from ``start`` to ``end``; measure it against
    the outcomes in ``store`` (see the module)."""
    started = time.perf_counter()
    grid = Grid.between(start, end, step)
    check_options(outcomes, window_days)
    check_engine(c, "spark")  # before Spark reads anything
    summary = summarized(spark, c, inputs, grid)
    replayed_s = time.perf_counter() - started
    try:
        with store.registered("bt_spark_summary", summary) as name:
            store.execute(f"CREATE OR REPLACE TEMP TABLE {SUMMARY} AS FROM {name}")
        pairs = int(store.scalar(f"SELECT coalesce(sum(pairs), 0) FROM {SUMMARY}") or 0)
        lap = time.perf_counter()
        result = measure(
            store, c, grid, SUMMARY,
            outcomes=outcomes, window_days=window_days,
            observed_until=observed_until, sample=sample,
        )  # fmt: skip
    finally:
        store.execute(f"DROP TABLE IF EXISTS temp.{SUMMARY}")
    result.pairs, result.replay = pairs, REPLAY
    result.phases = {"spark": round(replayed_s, 3), "measure": round(time.perf_counter() - lap, 3)}
    result.seconds = time.perf_counter() - started
    return result


def summarized(spark: Any, c: CompiledDefinition, inputs: Mapping[str, str], grid: Grid) -> Any:
    """Per lead of the replay (an Arrow table): ``lead_id, mql_k, mql_us, end_tier,
    touch_us`` as :func:`~leadgate.analytics.backtest.summarize` writes them, and the
    number of pairs evaluated."""
    indexed(spark, inputs, grid, every_lead=False)
    backtest_pairs(spark, c, grid)
    evaluate(spark, c, grid, details=False).createOrReplaceTempView("lg_r_states")
    return spark.sql(
        f"""
        WITH s AS (SELECT lead_id, min(CASE WHEN tier IN ({sales_tiers(c)}) THEN k END)
                          AS mql_k, max_by(tier, k) AS end_tier, count(*) AS pairs
                   FROM lg_r_states GROUP BY lead_id),
        touched AS (SELECT lead_id, min(ts_us) AS first_us FROM lg_r_ev GROUP BY lead_id)
        SELECT s.lead_id, s.mql_k, {grid.first_us} + s.mql_k * {grid.step_us} AS mql_us,
               s.end_tier, least(i.created_us, t.first_us) AS touch_us, s.pairs
        FROM s JOIN lg_r_ix i ON i.lead_id = s.lead_id
        LEFT JOIN touched t ON t.lead_id = s.lead_id
        """
    ).toArrow()
