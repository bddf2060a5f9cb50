"""``leadgate backtest --engine spark``: the daily replay on Spark, measured as on DuckDB.

The heavy part of a backtest, every lead's tier on every day it may change, runs on Spark
(:mod:`.replay`) over the inputs of ``[engine.tables]``, and is reduced there to one row
per lead: its first sales-tier day, its tier on the last day and its first touch (what
:func:`leadgate.analytics.backtest.summarize` keeps). Only the rows a metric reads come
back to the driver: the leads with a sales-tier day (the MQLs) and the leads with a
conversion outcome (the converters). Every other lead counts only among the leads and
their end tiers, so Spark counts those per end tier. What comes back is bounded by the
MQLs and converters, not by the leads: a replay over a hundred million leads sends the
driver its MQLs' and converters' rows, not a hundred million.

The outcomes are the lake's when ``[engine.tables]`` names ``outcomes`` (``lead_id,
outcome, ts``, the leads named by the ``leads`` input's ids): Spark finds the converters
there, and only the kept leads' conversions come back, with how far the lake's outcomes
and events reach (the default ``observed_until``). Otherwise they are the project store's
(``lead_outcomes``, which also resolves merged leads' aliases and the stages sales moved
a lead to here), and the store gives Spark the converters' ids.

The rows go to the project store, where :func:`leadgate.analytics.backtest.measure` reads
them against the outcomes with the other leads' counts added, so precision, recall and the
months are computed by the very code a DuckDB backtest uses.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..analytics.backtest import SAMPLE, BacktestResult, check_options, measure
from ..analytics.replay import Grid
from ..definition.compile import CompiledDefinition
from ..scoring.dialects import check_engine
from ..scoring.evaluate import from_micros
from ..scoring.event_steps import lit
from ..store import Store
from .replay import backtest_pairs, evaluate, indexed, sales_tiers
from .sources import read_input

SUMMARY = "bt_result"
REPLAY = "pairs on spark (every day a lead's inputs may change)"
#: The Spark views of the converters' ids, the lake's counted outcomes, and every
#: replayed lead's summary; the store's table of the kept leads' outcomes from the lake.
CONVERTERS = "lg_bt_converters"
LAKE_OUTCOMES = "lg_bt_outcomes"
LEADS = "lg_bt_leads"
LABELS = "bt_lake_outcomes"


@dataclass(frozen=True)
class Summary:
    """A replay on Spark as the driver receives it (see the module)."""

    rows: Any  # Arrow, per MQL or converter: lead_id, mql_k, mql_us, end_tier, touch_us
    others: dict[int, int]  # end tier -> how many of the other leads ended in it
    pairs: int  # (lead, day) pairs evaluated, over every lead
    #: From a lake's outcomes: the kept leads' conversions (lead_id, outcome, ts), and the
    #: latest outcome or event there (the default observed_until)
    outcomes: Any = None
    latest: dt.datetime | None = None


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
    the outcomes of ``inputs``, else of ``store`` (see the module)."""
    started = time.perf_counter()
    grid = Grid.between(start, end, step)
    check_options(outcomes, window_days)
    check_engine(c, "spark")  # before Spark reads anything
    if "outcomes" in inputs:
        lake_converters(spark, inputs["outcomes"], outcomes)
    else:
        converters_view(spark, converters(store, outcomes))
    summary = summarized(spark, c, inputs, grid)
    replayed_s = time.perf_counter() - started
    lap = time.perf_counter()
    result = measured(store, c, grid, summary, outcomes, window_days, observed_until, sample)
    result.pairs, result.replay = summary.pairs, REPLAY
    result.phases = {"spark": round(replayed_s, 3), "measure": round(time.perf_counter() - lap, 3)}
    result.seconds = time.perf_counter() - started
    return result


def converters(store: Store, outcomes: tuple[str, ...]) -> Any:
    """The ids of the leads with an outcome in ``outcomes``, as an Arrow table: the leads
    recall reads whether or not they were ever MQLs."""
    marks = ", ".join("?" for _ in outcomes)
    return store.conn.sql(
        f"SELECT DISTINCT lead_id FROM lead_outcomes WHERE outcome IN ({marks})",
        params=list(outcomes),
    ).to_arrow_table()


def measured(
    store: Store,
    c: CompiledDefinition,
    grid: Grid,
    summary: Summary,
    outcomes: tuple[str, ...],
    window_days: int,
    observed_until: dt.datetime | None,
    sample: int,
) -> BacktestResult:
    """:func:`~leadgate.analytics.backtest.measure` over the rows brought back, the other
    leads' end tiers added, against the lake's outcomes when they came back too."""
    labels = "lead_outcomes"
    try:
        with store.registered("bt_spark_summary", summary.rows) as name:
            store.execute(f"CREATE OR REPLACE TEMP TABLE {SUMMARY} AS FROM {name}")
        if summary.outcomes is not None:
            with store.registered("bt_spark_outcomes", summary.outcomes) as name:
                store.execute(f"CREATE OR REPLACE TEMP TABLE {LABELS} AS FROM {name}")
            labels, observed_until = LABELS, observed_until or summary.latest
        return measure(
            store, c, grid, SUMMARY,
            outcomes=outcomes, window_days=window_days, observed_until=observed_until,
            sample=sample, others=summary.others, labels=labels,
        )  # fmt: skip
    finally:
        store.execute(f"DROP TABLE IF EXISTS temp.{SUMMARY}")
        store.execute(f"DROP TABLE IF EXISTS temp.{LABELS}")


def summarized(spark: Any, c: CompiledDefinition, inputs: Mapping[str, str], grid: Grid) -> Summary:
    """The replay of ``c`` reduced on Spark: the rows of its MQLs and of the converters
    (the view :data:`CONVERTERS`), the others counted per end tier; with the lake's
    outcomes (:func:`lake_converters`), the kept leads' ones."""
    indexed(spark, inputs, grid, every_lead=False)
    backtest_pairs(spark, c, grid)
    evaluate(spark, c, grid, details=False).createOrReplaceTempView("lg_r_states")
    spark.sql(
        f"""
        WITH s AS (SELECT lead_id, min(CASE WHEN tier IN ({sales_tiers(c)}) THEN k END)
                          AS mql_k, max_by(tier, k) AS end_tier, count(*) AS pairs
                   FROM lg_r_states GROUP BY lead_id)
        SELECT s.*, s.mql_k IS NOT NULL OR v.lead_id IS NOT NULL AS kept
        FROM s LEFT JOIN {CONVERTERS} v ON v.lead_id = s.lead_id
        """
    ).localCheckpoint().createOrReplaceTempView(LEADS)
    counts = spark.sql(
        f"SELECT end_tier, kept, count(*) AS leads, sum(pairs) AS pairs FROM {LEADS}"
        " GROUP BY end_tier, kept"
    ).collect()
    return Summary(
        _kept_rows(spark, grid),
        {int(r["end_tier"]): int(r["leads"]) for r in counts if not r["kept"]},
        sum(int(r["pairs"]) for r in counts),
        *(_kept_outcomes(spark) if "outcomes" in inputs else ()),
    )


def lake_converters(spark: Any, location: str, outcomes: tuple[str, ...]) -> None:
    """Register the lake's outcomes in ``outcomes`` (:data:`LAKE_OUTCOMES`) and the ids
    of their leads (:data:`CONVERTERS`)."""
    frame = read_input(spark, "outcomes", location)
    frame.createOrReplaceTempView("lg_outcomes")
    names = ", ".join(lit(o, "spark") for o in outcomes)
    spark.sql(
        f"SELECT lead_id, outcome, ts FROM lg_outcomes WHERE outcome IN ({names})"
    ).createOrReplaceTempView(LAKE_OUTCOMES)
    spark.sql(f"SELECT DISTINCT lead_id FROM {LAKE_OUTCOMES}").createOrReplaceTempView(CONVERTERS)


def _kept_outcomes(spark: Any) -> tuple[Any, dt.datetime | None]:
    """The kept leads' counted outcomes, and the latest outcome or event of the lake."""
    rows = spark.sql(
        f"SELECT o.* FROM {LAKE_OUTCOMES} o LEFT SEMI JOIN {LEADS} s"
        " ON s.lead_id = o.lead_id AND s.kept"
    ).toArrow()
    latest = spark.sql(
        "SELECT unix_micros(greatest((SELECT max(ts) FROM lg_outcomes),"
        " (SELECT max(ts) FROM lg_events))) AS us"
    ).collect()[0]["us"]
    return rows, None if latest is None else from_micros(latest).replace(tzinfo=None)


def converters_view(spark: Any, ids: Any) -> None:
    """Register the converters' ids (an Arrow table of ``lead_id``) as :data:`CONVERTERS`."""
    frame = spark.createDataFrame(ids) if ids.num_rows else spark.sql(
        "SELECT CAST(NULL AS STRING) AS lead_id WHERE false"
    )  # fmt: skip
    frame.createOrReplaceTempView(CONVERTERS)


def _kept_rows(spark: Any, grid: Grid) -> Any:
    """The kept leads' rows, with their first touch, as ``summarize`` writes them."""
    return spark.sql(
        f"""
        WITH kept AS (SELECT * FROM {LEADS} WHERE kept),
        touched AS (SELECT e.lead_id, min(e.ts_us) AS first_us
                    FROM lg_r_ev e LEFT SEMI JOIN kept k ON k.lead_id = e.lead_id
                    GROUP BY e.lead_id)
        SELECT s.lead_id, s.mql_k, {grid.first_us} + s.mql_k * {grid.step_us} AS mql_us,
               s.end_tier, least(i.created_us, t.first_us) AS touch_us
        FROM kept s JOIN lg_r_ix i ON i.lead_id = s.lead_id
        LEFT JOIN touched t ON t.lead_id = s.lead_id
        """
    ).toArrow()
