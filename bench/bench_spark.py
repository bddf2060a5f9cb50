"""Benchmark the same scoring plan on DuckDB and on Spark ``local[N]``, on the same lake.

    .venv/bin/python bench/bench_spark.py                                    # 1M leads, 50M events
    .venv/bin/python bench/bench_spark.py --leads 100000 --events 5000000    # the test's size
    .venv/bin/python bench/bench_spark.py --lakes /work/bigdata \\
        --sizes 1000000:50000000:both,10000000:500000000:duckdb              # issue #12's scale

Each size's lake (leads, accounts, events, visitor links, intent) is written once by
:func:`leadgate.testing.lake.write_lake` (DuckDB SQL streamed straight to Parquet, in a
child whose peak memory is printed) into ``<lakes>/lake-<leads>-<events>/`` and scored with
:data:`LAKE_DEFINITION` (decay, windows, caps, floors, negative points, disqualifiers,
intent, engaged contacts, account engagement, per-unit rules; every rule's points kept,
as ``--details``):

* **duckdb**: in a fresh child process, the lake copied into a store file
  (``load_lake``, the import, timed apart as "import") and ``score_store`` (timed as
  "score"), with DuckDB's ``memory_limit`` (``--memory``) and a ``temp_directory`` beside
  the store, so a lake larger than memory is imported and scored out of core
  (``--duckdb-steps import`` then ``score``: the store built outside the benchmark
  lock, the scoring measured under it); the scoring runs in as many buckets of whole
  accounts as ``score_store`` chooses for the store and the limit, or ``--buckets``, and
  the peak size of the spill folder is printed beside it;
* **spark**: in a fresh child process, a session on ``--master`` (``spark.driver.memory``
  from ``--driver-memory``), and ``score_on_spark`` (read Parquet, run the plan, write
  Parquet and the manifest; timed as "score"; the JVM's start is timed apart).

Each child prints its figures as JSON; peak memory is the child's peak RSS (``os.wait4``)
and, for Spark, the JVM's own high-water mark (``VmHWM`` of the gateway process, read just
before the session stops); beside each scoring time, the CPU time it took (the DuckDB
child's; for Spark, the JVM's), which other work on a shared machine slows less than the
time. Where both engines ran, the two outputs are compared lead by
lead (every stored column) and the mismatch count printed: it must be 0. Events per second
is the lake's event count over the scoring time; the last lines print it for every size
run, per engine: how the cost grows with size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
GIB = 2**30
COLUMNS = "fit, engagement, total, grade, band, tier, disqualified, dq_reason, route, contributions"
ENGINES = {"both": ("duckdb", "spark"), "duckdb": ("duckdb",), "spark": ("spark",)}


@dataclass(frozen=True)
class Size:
    """One lake to run: its leads and events, and the engines to score it on."""

    leads: int
    events: int
    engines: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, default: str) -> Size:
        """``LEADS:EVENTS[:duckdb|spark|both]``, e.g. ``10000000:500000000:duckdb``."""
        parts = text.split(":")
        if len(parts) not in (2, 3) or (parts[2:] and parts[2] not in ENGINES):
            raise SystemExit(f"--sizes: {text!r} is not LEADS:EVENTS[:duckdb|spark|both]")
        return cls(int(parts[0]), int(parts[1]), ENGINES[parts[2] if parts[2:] else default])


def _lake_child(lake: Path, leads: int, events: int, memory: str) -> dict[str, Any]:
    from leadgate.testing.lake import write_lake

    started = time.perf_counter()
    write_lake(lake, leads=leads, events=events, memory_limit=memory)
    size = sum(p.stat().st_size for p in lake.glob("*.parquet"))
    return {"write_s": time.perf_counter() - started, "bytes": size}


class SpillWatch:
    """The largest size a folder reached (DuckDB's spill), sampled every half second."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.peak = folder, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def __enter__(self) -> SpillWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    def watch(self) -> None:
        while not self.done.wait(0.5):
            size = 0
            for path in self.folder.rglob("*") if self.folder.exists() else ():
                try:
                    size += path.stat().st_size
                except OSError:  # deleted between the listing and the stat
                    pass
            self.peak = max(self.peak, size)


def _duckdb_child(
    lake: Path, store_path: Path, memory: str, steps: str, max_temp: str, buckets: int | None
) -> dict[str, Any]:
    from leadgate.definition import load_compiled
    from leadgate.scoring.batch import score_store
    from leadgate.store import Store
    from leadgate.testing.lake import LAKE_AS_OF, LAKE_DEFINITION, load_lake

    if steps != "score":
        for stale in (store_path, store_path.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)
    temp = store_path.parent / "duckdb_tmp"
    shutil.rmtree(temp, ignore_errors=True)
    store = Store(store_path, memory_limit=memory, tracer=_passes_to_stderr(time.perf_counter()))
    # Where DuckDB spills what does not fit in memory_limit (the default is beside the
    # store too; named here so the run's spill is cleaned and can be watched).
    store.execute(f"SET temp_directory = '{temp}'")
    # A cap, so a run that spills more fails instead of filling a shared disk.
    store.execute(f"SET max_temp_directory_size = '{max_temp}'")
    store.execute("SET preserve_insertion_order = false")
    figures: dict[str, Any] = {}
    if steps != "score":
        started = time.perf_counter()
        load_lake(store, _paths(lake))
        figures["load_s"] = time.perf_counter() - started
    if steps != "import":
        c = load_compiled(text=LAKE_DEFINITION)
        # Buckets named only when asked, so the script also times code from before them.
        chosen = {"buckets": buckets} if buckets else {}
        cpu = _cpu_seconds(os.getpid())
        with SpillWatch(temp) as spill:
            report = score_store(
                store, c, LAKE_AS_OF, source=LAKE_DEFINITION, details=True, **chosen
            )
        cpu = _cpu_seconds(os.getpid()) - cpu
        figures.update(score_s=report.seconds, leads=report.leads, spill=spill.peak, cpu_s=cpu)
        figures["buckets"] = getattr(report, "buckets", 1)
    store.close()
    shutil.rmtree(temp, ignore_errors=True)
    return {**figures, "store_bytes": store_path.stat().st_size}


def _passes_to_stderr(started: float) -> Any:
    """A store tracer that prints when each pass of the scoring starts (to follow a long run)."""

    def trace(sql: str, params: Any) -> None:
        if sql.startswith("INSERT INTO scores"):
            print(f"  a scoring pass starts at {time.perf_counter() - started:.1f}s",
                  file=sys.stderr, flush=True)  # fmt: skip

    return trace


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
    jvm = spark.sparkContext._gateway.proc.pid
    cpu = _cpu_seconds(jvm)
    run = score_on_spark(spark, c, LAKE_AS_OF, settings, source=LAKE_DEFINITION)
    cpu = _cpu_seconds(jvm) - cpu
    jvm_hwm = _vm_hwm(jvm)
    spark.stop()
    return {
        "start_s": start_s,
        "score_s": run.seconds,
        "cpu_s": cpu,
        "leads": run.leads,
        "jvm_hwm": jvm_hwm,
    }


def _cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user and system, all its threads; Linux ``/proc``): on
    a machine shared with other work, the cost of a run apart from the time it waited."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        con.execute("SET memory_limit = '4GB'")
        differs = " OR ".join(f"d.{c} IS DISTINCT FROM s.{c}" for c in COLUMNS.split(", "))
        rows = con.execute(
            "SELECT count(*) FROM scores d FULL JOIN read_parquet(?) s USING (lead_id)"
            f" WHERE d.lead_id IS NULL OR s.lead_id IS NULL OR {differs}",
            [str(spark_out / "*.parquet")],
        ).fetchall()
    return int(rows[0][0])


def run_size(size: Size, args: argparse.Namespace) -> dict[str, float]:
    """Write (once) and score one lake on its engines; print its figures; events/s by engine."""
    lake = args.lakes / f"lake-{size.leads}-{size.events}"
    store_path, spark_out = lake / "store.duckdb", lake / "scores_spark"
    print(f"== {size.leads:,} leads, {size.events:,} events ({lake}); "
          f"load {os.getloadavg()}", flush=True)  # fmt: skip
    if not (lake / "intent.parquet").exists():
        counts = ["--leads", str(size.leads), "--events", str(size.events)]
        wrote, rss = _run_child(
            ["--child", "lake", "--lake", str(lake), "--memory", args.memory, *counts]
        )
        print(f"wrote the lake in {wrote['write_s']:.1f}s ({wrote['bytes'] / GIB:.2f} GiB); "
              f"peak RSS {rss / GIB:.2f} GiB", flush=True)  # fmt: skip
    rates: dict[str, float] = {}
    common = ["--lake", str(lake), "--memory", args.memory, "--max-temp", args.max_temp]
    if "duckdb" in size.engines:
        chosen = ["--buckets", str(args.buckets)] if args.buckets else []
        duck, rss = _run_child(
            ["--child", "duckdb", *common, "--duckdb-steps", args.duckdb_steps, *chosen]
        )
        if "load_s" in duck:
            print(f"duckdb: import {duck['load_s']:.1f}s ({size.events / duck['load_s']:,.0f} "
                  f"events/s; store {duck['store_bytes'] / GIB:.2f} GiB)", flush=True)  # fmt: skip
        if "score_s" in duck:
            rates["duckdb"] = rate = size.events / duck["score_s"]
            print(f"duckdb: score {duck['score_s']:.1f}s = {rate:,.0f} events/s in "
                  f"{duck['buckets']} bucket(s), CPU {duck['cpu_s']:.1f}s; peak spill "
                  f"{duck['spill'] / GIB:.2f} GiB", flush=True)  # fmt: skip
        print(f"duckdb ({args.duckdb_steps}): peak RSS {rss / GIB:.2f} GiB (memory_limit "
              f"{args.memory}); load {os.getloadavg()}", flush=True)  # fmt: skip
    if "spark" in size.engines:
        spark, rss = _run_child(["--child", "spark", *common, "--master", args.master,
                                 "--driver-memory", args.driver_memory])  # fmt: skip
        rates["spark"] = rate = size.events / spark["score_s"]
        print(f"spark {args.master}: JVM start {spark['start_s']:.1f}s; score "
              f"{spark['score_s']:.1f}s = {rate:,.0f} events/s, JVM CPU {spark['cpu_s']:.1f}s; "
              f"peak RSS python "
              f"{rss / GIB:.2f} GiB, JVM {spark['jvm_hwm'] / GIB:.2f} GiB; "
              f"load {os.getloadavg()}", flush=True)  # fmt: skip
    if len(rates) == 2:
        wrong = _mismatches(store_path, spark_out)
        rates["mismatches"] = wrong
        print(f"ratio spark/duckdb time: {rates['duckdb'] / rates['spark']:.2f}x; "
              f"mismatching leads: {wrong}", flush=True)  # fmt: skip
    return rates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=50_000_000)
    ap.add_argument("--engines", choices=sorted(ENGINES), default="both")
    ap.add_argument("--sizes", help="LEADS:EVENTS[:ENGINES],... (instead of --leads/--events)")
    ap.add_argument("--lakes", type=Path, default=DATA, help="folder of the lakes")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="6g")
    ap.add_argument("--memory", default="5GB", help="DuckDB's memory_limit")
    ap.add_argument("--max-temp", default="20GB", help="DuckDB's max_temp_directory_size")
    ap.add_argument(
        "--duckdb-steps",
        choices=["both", "import", "score"],
        default="both",
        help="import the lake into the store, score the store already imported, or both",
    )
    ap.add_argument(
        "--buckets", type=int, help="DuckDB's scoring passes (default: chosen by score_store)"
    )
    ap.add_argument("--child", choices=["lake", "duckdb", "spark"], help=argparse.SUPPRESS)
    ap.add_argument("--lake", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        lake = args.lake
        if args.child == "lake":
            result = _lake_child(lake, args.leads, args.events, args.memory)
        elif args.child == "duckdb":
            store = lake / "store.duckdb"
            result = _duckdb_child(
                lake, store, args.memory, args.duckdb_steps, args.max_temp, args.buckets
            )
        else:
            result = _spark_child(lake, lake / "scores_spark", args.master, args.driver_memory)
        print(json.dumps(result))
        return 0

    if args.sizes:
        sizes = [Size.parse(s, args.engines) for s in args.sizes.split(",")]
    else:
        sizes = [Size(args.leads, args.events, ENGINES[args.engines])]
    grown: list[tuple[Size, dict[str, float]]] = []
    for size in sizes:
        grown.append((size, run_size(size, args)))
    print("growth (scoring events/s by size):")
    for size, rates in grown:
        cells = [f"{e} {rates[e]:,.0f}" for e in ("duckdb", "spark") if e in rates] or ["-"]
        print(f"  {size.leads:>12,} leads {size.events:>14,} events: {'; '.join(cells)}")
    return 1 if any(rates.get("mismatches") for _, rates in grown) else 0


if __name__ == "__main__":
    sys.exit(main())
