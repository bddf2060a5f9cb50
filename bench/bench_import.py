"""Benchmark the event import path against its targets and against DuckDB alone.

    .venv/bin/python bench/bench_import.py               # 50,000,000 events
    .venv/bin/python bench/bench_import.py --events 5e6  # a quicker run

Generates the events once with DuckDB SQL (no Python loops) as Parquet and CSV under
bench/.data/, then, for each format in a fresh child process (so peak RSS is per format):

* the baseline, DuckDB alone scanning the file: ``SELECT count(*), sum(hash(event_id))``;
* the machine's ceiling, DuckDB alone inserting the file into ``events`` (no checks);
* a first ``import_file`` into an empty store;
* a second import of the same file, which must load nothing (idempotence).

Targets: Parquet >= 3,000,000 rows/s, CSV >= 1,000,000 rows/s.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from leadgate.ingest import import_file  # noqa: E402
from leadgate.store import Store  # noqa: E402

TARGETS = {"parquet": 3_000_000, "csv": 1_000_000}
READERS = {"parquet": "read_parquet", "csv": "read_csv"}


def generate(n: int, folder: Path) -> dict[str, Path]:
    """Write ``n`` synthetic events as Parquet and CSV (skipped when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {fmt: folder / f"events_{n}.{fmt}" for fmt in ("parquet", "csv")}
    select = f"""
        SELECT 'ev-' || i AS event_id,
               -- 70 % identified events; 30 % anonymous visitors, 1 in 30 of which is the
               -- visit that identifies itself (a form), carrying both ids.
               CASE WHEN i % 10 >= 3 OR i % 30 = 0 THEN 'L' || (i * 7919 % 1000000) END
                   AS lead_id,
               CASE WHEN i % 10 < 3 THEN 'v-' || (i * 104729 % 3000000) END AS visitor_id,
               ['page_view', 'pricing_page', 'email_open', 'email_click', 'blog_view',
                'webinar_attended', 'demo_request', 'content_download'][1 + i % 8] AS type,
               TIMESTAMP '2024-01-01' + to_seconds(i % 31536000) AS ts,
               'https://vendor.example/p/' || (i % 5000) AS url
        FROM range({n}) AS t(i)
    """
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for fmt, path in files.items():
        if path.exists():
            continue
        started = time.perf_counter()
        option = "FORMAT parquet, ROW_GROUP_SIZE 122880" if fmt == "parquet" else "HEADER"
        tmp = path.with_suffix(".tmp")
        con.execute(f"COPY ({select}) TO '{tmp}' ({option})")
        tmp.rename(path)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f}s", flush=True)
    return files


def run_one(fmt: str, path: Path, n: int, batch_rows: int) -> dict[str, float]:
    """Baseline scan, first import, second import of one file; runs in a child process."""
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(f"SELECT count(*), sum(hash(event_id)) FROM {READERS[fmt]}('{path}')").fetchall()
    baseline = time.perf_counter() - started
    db = path.parent / f"bench_{fmt}.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    # The ceiling of this machine: DuckDB alone inserting the file into the events table,
    # with no checks, keys, rejects or batches.
    with Store(db) as store:
        started = time.perf_counter()
        store.execute(
            "INSERT INTO events (event_id, lead_id, visitor_id, type, ts, url) "
            f"SELECT event_id, lead_id, visitor_id, type, CAST(ts AS TIMESTAMP), url "
            f"FROM {READERS[fmt]}('{path}')"
        )
        plain_insert = time.perf_counter() - started
    db.unlink(missing_ok=True)
    with Store(db) as store:
        first = import_file(store, path, "events", batch_rows=batch_rows)
        second = import_file(store, path, "events", batch_rows=batch_rows)
        stored = store.scalar("SELECT count(*) FROM events")
    assert first.rows_loaded == n and second.rows_loaded == 0 and stored == n, (first, second)
    db.unlink(missing_ok=True)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "baseline_s": baseline,
        "insert_s": plain_insert,
        "first_s": first.seconds,
        "second_s": second.seconds,
        "peak_rss_mb": peak_kb / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=float, default=50_000_000)
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--batch-rows", type=int, default=500_000)
    parser.add_argument("--data", type=Path, default=HERE / ".data")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = int(args.events)
    if args.child:
        fmt, path = args.child.split(":", 1)
        print(json.dumps(run_one(fmt, Path(path), n, args.batch_rows)))
        return
    files = generate(n, args.data)
    print(f"\n{n:,} events, batches of {args.batch_rows:,} rows\n")
    print(f"{'format':8} {'phase':20} {'seconds':>8} {'rows/s':>12} {'target':>11}", end="")
    print("       DuckDB-scan rows/s")
    for fmt in args.formats.split(","):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--events",
                str(n),
                "--batch-rows",
                str(args.batch_rows),
                "--child",
                f"{fmt}:{files[fmt]}",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        base = n / r["baseline_s"]
        for phase, key in (
            ("duckdb scan", "baseline_s"),
            ("duckdb plain insert", "insert_s"),
            ("import", "first_s"),
            ("import again", "second_s"),
        ):
            rate = n / r[key]
            ours = key in ("first_s", "second_s")
            target = f"{TARGETS[fmt]:,}" if ours else ""
            ok = (" ok" if rate >= TARGETS[fmt] else " MISS") if ours else ""
            print(f"{fmt:8} {phase:20} {r[key]:8.2f} {rate:12,.0f} {target:>11}{ok:5} {base:,.0f}")
        print(f"{fmt:8} {'peak RSS':20} {r['peak_rss_mb']:8.0f} MB")


if __name__ == "__main__":
    main()
