"""Benchmark the same scoring plan on DuckDB and on Spark ``local[N]``, on the same lake.

    .venv/bin/python bench/bench_spark.py                                    # 1M leads, 50M events
    .venv/bin/python bench/bench_spark.py --leads 100000 --events 5000000    # the test's size

The lake (leads, accounts, events, visitor links, intent) is written once by
:func:`leadgate.testing.lake.write_lake` (DuckDB SQL straight to Parquet) into
``bench/.data/lake_<leads>_<events>/`` and scored with :data:`LAKE_DEFINITION` (decay,
windows, caps, floors, negative points, disqualifiers, intent, engaged contacts, account
engagement, per-unit rules; every rule's points kept, as ``--details``):

* **duckdb**: in a fresh child process, the lake copied into a store file
  (``load_lake``, timed apart as "load") and ``score_store`` (timed as "score");
* **spark**: in a fresh child process, a session on ``--master`` (``spark.driver.memory``
  from ``--driver-memory``), and ``score_on_spark`` (read Parquet, run the plan, write
  Parquet and the manifest; timed as "score"; the JVM's start is timed apart).

Each child prints its figures as JSON; peak memory is the child's peak RSS (``os.wait4``)
and, for Spark, the JVM's own high-water mark (``VmHWM`` of the gateway process, read just
before the session stops). Then the two outputs are compared lead by lead (every stored
column) and the mismatch count printed: it must be 0. Events per second is the lake's
event count over the scoring time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
GIB = 2**30
COLUMNS = "fit, engagement, total, grade, band, tier, disqualified, dq_reason, route, contributions"


def _duckdb_child(lake: Path, store_path: Path, memory: str) -> dict[str, Any]:
    from leadgate.definition import load_compiled
    from leadgate.scoring.batch import score_store
    from leadgate.store import Store
    from leadgate.testing.lake import LAKE_AS_OF, LAKE_DEFINITION, load_lake

    paths = _paths(lake)
    store_path.unlink(missing_ok=True)
    store = Store(store_path, memory_limit=memory)
    started = time.perf_counter()
    load_lake(store, paths)
    loaded = time.perf_counter() - started
    c = load_compiled(text=LAKE_DEFINITION)
    report = score_store(store, c, LAKE_AS_OF, source=LAKE_DEFINITION, details=True)
    store.close()
    return {"load_s": loaded, "score_s": report.seconds, "leads": report.leads}


def _spark_child(lake: Path, out: Path, master: str, driver_memory: str) -> dict[str, Any]:
    from leadgate.definition import load_compiled
    from leadgate.engines.spark import SparkSettings, score_on_spark, session
    from leadgate.testing.lake import LAKE_AS_OF, LAKE_DEFINITION

    started = time.perf_counter()
    conf = {"spark.driver.memory": driver_memory}
    spark = session(SparkSettings(inputs={}, master=master, conf=conf))
    spark.sparkContext.setLogLevel("ERROR")
    start_s = time.perf_counter() - started
    c = load_compiled(text=LAKE_DEFINITION)
    settings = SparkSettings(inputs=_paths(lake), master=master, output=str(out))
    run = score_on_spark(spark, c, LAKE_AS_OF, settings, source=LAKE_DEFINITION)
    jvm_hwm = _vm_hwm(spark.sparkContext._gateway.proc.pid)
    spark.stop()
    return {"start_s": start_s, "score_s": run.seconds, "leads": run.leads, "jvm_hwm": jvm_hwm}


def _vm_hwm(pid: int) -> int:
    """A process's peak resident memory in bytes (Linux ``/proc``), 0 when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _paths(lake: Path) -> dict[str, str]:
    names = ("leads", "accounts", "events", "visitor_links", "intent")
    return {name: str(lake / f"{name}.parquet") for name in names}


def _run_child(args: list[str]) -> tuple[dict[str, Any], int]:
    """Run this script as a child; its JSON figures and its peak RSS in bytes."""
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"child {args[:2]} failed with status {status}")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss * 1024


def _mismatches(store_path: Path, spark_out: Path) -> int:
    import duckdb

    with duckdb.connect(str(store_path), read_only=True) as con:
        differs = " OR ".join(f"d.{c} IS DISTINCT FROM s.{c}" for c in COLUMNS.split(", "))
        rows = con.execute(
            "SELECT count(*) FROM scores d FULL JOIN read_parquet(?) s USING (lead_id)"
            f" WHERE d.lead_id IS NULL OR s.lead_id IS NULL OR {differs}",
            [str(spark_out / "*.parquet")],
        ).fetchall()
    return int(rows[0][0])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=50_000_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="6g")
    ap.add_argument("--memory", default="6GB", help="DuckDB's memory_limit")
    ap.add_argument("--child", choices=["duckdb", "spark"], help=argparse.SUPPRESS)
    ap.add_argument("--lake", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    lake = args.lake or DATA / f"lake_{args.leads}_{args.events}"
    store_path, spark_out = lake / "store.duckdb", lake / "scores_spark"
    if args.child == "duckdb":
        print(json.dumps(_duckdb_child(lake, store_path, args.memory)))
        return 0
    if args.child == "spark":
        print(json.dumps(_spark_child(lake, spark_out, args.master, args.driver_memory)))
        return 0

    from leadgate.testing.lake import write_lake

    if not (lake / "intent.parquet").exists():
        started = time.perf_counter()
        write_lake(lake, leads=args.leads, events=args.events)
        print(f"wrote the lake in {time.perf_counter() - started:.1f}s: {lake}", flush=True)
    common = ["--lake", str(lake), "--memory", args.memory]
    duck, duck_rss = _run_child(["--child", "duckdb", *common])
    spark, spark_rss = _run_child(
        ["--child", "spark", *common, "--master", args.master,
         "--driver-memory", args.driver_memory]
    )  # fmt: skip
    wrong = _mismatches(store_path, spark_out)
    rate_duck, rate_spark = args.events / duck["score_s"], args.events / spark["score_s"]
    print(f"lake: {args.leads:,} leads, {args.events:,} events; load {os.getloadavg()}")
    print(f"duckdb: load into store {duck['load_s']:.1f}s; score {duck['score_s']:.1f}s = "
          f"{rate_duck:,.0f} events/s; peak RSS {duck_rss / GIB:.2f} GiB")  # fmt: skip
    print(f"spark {args.master}: JVM start {spark['start_s']:.1f}s; score {spark['score_s']:.1f}s"
          f" = {rate_spark:,.0f} events/s; peak RSS python {spark_rss / GIB:.2f} GiB, "
          f"JVM {spark['jvm_hwm'] / GIB:.2f} GiB")  # fmt: skip
    print(f"ratio spark/duckdb time: {spark['score_s'] / duck['score_s']:.2f}x; "
          f"mismatching leads: {wrong}")  # fmt: skip
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
