"""Benchmark the backtest and calibration's feature extraction on Spark beside DuckDB.

    flock /work/notes/bench.lock .venv/bin/python -u bench/bench_spark_replay.py \\
        --store <a copy of /work/bigdata/backtest-100000-5000000/p>    # 100,000 leads, 5M events

The store is a project ``bench_backtest.py --files`` built (leads, accounts, events from
``gen_data.py`` and outcomes drawn there). Its inputs are first exported to Parquet (the
lake Spark reads, timed apart), then, in the same run, on the same data:

* **backtest**: ``leadgate.analytics.backtest.backtest`` (DuckDB, the store) and
  ``leadgate.engines.backtest.spark_backtest`` (Spark ``--master``, the Parquet files) over
  ``--days`` days ending on 2025-12-31, for ``bench_backtest.py``'s ``FLAT`` and ``WINDOWED``;
  the two results are compared (every figure but the timings) and the pairs printed;
* **calibration features**: the event counts and the verdict matrix of the features
  calibration builds (the definition's rules, attribute bins and levels, event-count
  thresholds), each lead as of its decision time, by ``StoreExtraction`` (DuckDB) and
  ``SparkExtraction``; the matrices are compared cell by cell.

Spark's first query also starts the JVM's code paths: a warm-up scoring runs first, untimed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_backtest import FLAT, WINDOWED

from leadgate.analytics.backtest import backtest
from leadgate.calibrate.dataset import load_table
from leadgate.calibrate.matrix import StoreExtraction, candidate_features
from leadgate.definition import load_compiled
from leadgate.engines.backtest import spark_backtest
from leadgate.engines.features import SparkExtraction
from leadgate.engines.spark import SparkSettings, session
from leadgate.project import Project
from leadgate.testing.lake import export_store

END = dt.date(2025, 12, 31)
AS_OF = dt.datetime(2025, 12, 31, 23, 59)


def _export(project: Project, folder: Path) -> dict[str, str]:
    with project.store() as store:
        return export_store(store, folder)


def timed(work: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    out = work()
    return out, time.perf_counter() - started


def figures(result: Any) -> dict[str, Any]:
    out = result.as_dict()
    for key in ("seconds", "phases", "pairs", "replay"):
        out.pop(key)
    return out


def bench_backtest(project: Project, spark: Any, lake: dict[str, str], days: int) -> None:
    start = END - dt.timedelta(days=days - 1)
    for text in (FLAT, WINDOWED):
        c = load_compiled(text=text)
        with project.store() as store:
            duck, duck_s = timed(lambda: backtest(store, c, start, END))  # noqa: B023
            found, spark_s = timed(lambda: spark_backtest(spark, store, c, lake, start, END))  # noqa: B023
        same = figures(found) == figures(duck)
        print(
            f"backtest {c.definition.name} {days} days: duckdb {duck_s:.2f} s "
            f"({duck.pairs:,} pairs, {duck.replay.split(' ')[0]}), spark {spark_s:.2f} s "
            f"({found.pairs:,} pairs), ratio {spark_s / duck_s:.1f}x, MQLs {duck.mqls:,}, "
            f"same: {same}",
            flush=True,
        )


def bench_features(project: Project, spark: Any, lake: dict[str, str], outcome: str) -> None:
    with project.store() as store:
        duck, on_spark = StoreExtraction(store), SparkExtraction(spark, lake, store)
        counts, duck_counts_s = timed(lambda: duck.event_counts(AS_OF))
        spark_counts, spark_counts_s = timed(lambda: on_spark.event_counts(AS_OF))
        table = load_table(store, outcome, AS_OF)
        rows = np.arange(len(table.y))
        found = candidate_features(project.compiled(), table, counts, rows)
        features, c = found.features, found.definition()
        expected, duck_s = timed(lambda: duck.verdicts(c, AS_OF, table.lead_ids))
        found, spark_s = timed(lambda: on_spark.verdicts(c, AS_OF, table.lead_ids))
        decided = store.scalar(
            "SELECT count(DISTINCT lead_id) FROM outcomes WHERE ts <= ?", [AS_OF]
        )
    print(
        f"features: {len(table.lead_ids):,} leads ({decided:,} decided) x {len(features)} "
        f"features: duckdb {duck_s:.2f} s, spark {spark_s:.2f} s, ratio {spark_s / duck_s:.1f}x, "
        f"cells differing {int((found != expected).sum())}; event counts duckdb "
        f"{duck_counts_s:.2f} s, spark {spark_counts_s:.2f} s, same: {spark_counts == counts}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a project folder (a copy)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--outcome", default="won")
    parser.add_argument("--only", choices=["backtest", "features"])
    args = parser.parse_args()
    project = Project.open(args.store)
    lake, export_s = timed(lambda: _export(project, args.store.parent / "lake"))
    print(f"exported the store's inputs to Parquet in {export_s:.1f} s", flush=True)
    settings = SparkSettings({}, args.master, conf={"spark.driver.memory": args.driver_memory})
    spark, start_s = timed(lambda: session(settings))
    spark.sparkContext.setLogLevel("ERROR")
    print(f"Spark {spark.version} on {args.master} started in {start_s:.1f} s", flush=True)
    _, warm_s = timed(lambda: spark.read.parquet(lake["events"]).groupBy("type").count().collect())
    print(f"warm-up (events by type on Spark): {warm_s:.1f} s", flush=True)
    if args.only != "features":
        bench_backtest(project, spark, lake, args.days)
    if args.only != "backtest":
        bench_features(project, spark, lake, args.outcome)
    spark.stop()


if __name__ == "__main__":
    main()
