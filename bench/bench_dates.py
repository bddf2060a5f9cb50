"""Benchmark of importing dates as exports write them (issue #8, defect 2).

Three events CSVs of ``--rows`` rows (lead_id, type, ts, url) that differ only in how ``ts``
is written: ISO 8601 (``2024-01-05 14:30:00``), and a Salesforce report's
``10/1/2025, 2:00 PM``. Each is imported into a new store file, in a fresh process:

* **leadgate**: ``import_file(store, path, "events", timezone=ZONE)``; the report layout once
  with ``date_format`` and once without (its day/month order decided from the file);
* **base**: the same ISO import with the code this branch started from (``--base``, a
  commit), to show what reading other shapes costs an ISO file;
* **duckdb**: DuckDB alone, ``CREATE TABLE t AS SELECT lead_id, type, <ts read>, url FROM
  read_csv(path)`` with the plain cast (ISO) or ``strptime`` by the one right format.

Timings on a shared machine are noisy: compare the ratios of one run.
Usage: python bench/bench_dates.py [--rows 1000000] [--zone UTC] [--base 1a76817]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
REPORT = "%m/%d/%Y, %I:%M %p"
CHILD = """
import json, sys, time
import duckdb
what, src, db, zone, fmt = sys.argv[1:6]
started = time.perf_counter()
if what == "duckdb":
    con = duckdb.connect(db)
    con.execute(f"SET TimeZone = '{zone}'")
    ts = "CAST(ts AS TIMESTAMP)" if fmt == "-" else f"strptime(ts, '{fmt}')"
    con.execute(f"CREATE TABLE t AS SELECT lead_id, type, timezone('UTC', {ts}::TIMESTAMPTZ) "
                f"AS ts, url FROM read_csv('{src}', all_varchar=true)")
    con.close()
    rejected = 0
else:
    from leadgate.ingest import import_file
    from leadgate.store import Store
    with Store(db) as store:
        options = {} if fmt == "-" else {"date_format": fmt}
        report = import_file(store, src, "events", timezone=zone, **options)
    rejected = report.rows_rejected
print(json.dumps({"seconds": time.perf_counter() - started, "rejected": rejected}))
"""


def write_csv(path: Path, rows: int, fmt: str) -> None:
    if path.exists():
        return
    ts = f"strftime(TIMESTAMP '2024-01-01' + to_minutes(i), '{fmt}')"
    duckdb.sql(
        f"COPY (SELECT 'L' || (i % 50000) AS lead_id, 'page_view' AS type, {ts} AS ts, "
        f"'/p/' || i AS url FROM range({rows}) t(i)) TO '{path}' (HEADER)"
    )


def base_source(commit: str) -> Path:
    """The ``src`` folder of ``commit``, unpacked once under bench/.data."""
    target = DATA / f"src_{commit}"
    if not target.exists():
        archive = DATA / f"src_{commit}.tar"
        subprocess.run(["git", "archive", "-o", str(archive), commit, "src"], cwd=ROOT, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        archive.unlink()
    return target / "src"


def run(what: str, src: Path, zone: str, fmt: str, code: Path, tmp: Path) -> float:
    db = tmp / f"{what}_{src.stem}_{len(os.listdir(tmp))}.duckdb"
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(src), str(db), zone, fmt],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # The code before the local-time checks read a time the zone skips or repeats as some
    # instant; since, each is a reject (the files hold one event a minute from 2024-01-01).
    assert result["rejected"] in (0, unclear_minutes(src, zone)), result
    return float(result["seconds"])


@functools.lru_cache
def unclear_minutes(src: Path, zone: str) -> int:
    """How many of the file's minutes ``zone`` skips or shows twice (zoneinfo's word)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    tz, start = ZoneInfo(zone), dt.datetime(2024, 1, 1)
    rows = int(src.stem.rsplit("_", 1)[1])
    count = 0
    for i in range(rows):
        wall = start + dt.timedelta(minutes=i)
        first, second = wall.replace(tzinfo=tz), wall.replace(tzinfo=tz, fold=1)
        back = first.astimezone(dt.timezone.utc).astimezone(tz).replace(tzinfo=None)
        count += back != wall or first.utcoffset() != second.utcoffset()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--zone", default="UTC")
    parser.add_argument("--base", default="1a76817")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    iso = DATA / f"dates_iso_{args.rows}.csv"
    report = DATA / f"dates_report_{args.rows}.csv"
    write_csv(iso, args.rows, "%Y-%m-%d %H:%M:%S")
    write_csv(report, args.rows, REPORT)
    here, base = ROOT / "src", base_source(args.base)
    cases = [
        ("ISO, base commit", "leadgate", iso, "-", base),
        ("ISO", "leadgate", iso, "-", here),
        ("ISO, duckdb cast", "duckdb", iso, "-", here),
        ("report, date_format", "leadgate", report, REPORT, here),
        ("report, order decided", "leadgate", report, "-", here),
        ("report, duckdb strptime", "duckdb", report, REPORT, here),
    ]
    print(f"{args.rows:,} events, zone {args.zone}; best of 2 runs each, in turns")
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(2):
            for name, what, src, fmt, code in cases:
                took = run(what, src, args.zone, fmt, code, Path(folder))
                best[name] = min(best.get(name, took), took)
    for name, *_ in cases:
        rate = args.rows / best[name]
        print(f"  {name:<26} {best[name]:6.2f} s  {rate:>12,.0f} rows/s")
    print(f"  ISO: this branch / base = {best['ISO'] / best['ISO, base commit']:.2f}")
    print(
        "  report with date_format / duckdb strptime = "
        f"{best['report, date_format'] / best['report, duckdb strptime']:.2f}; "
        f"order decided / date_format = "
        f"{best['report, order decided'] / best['report, date_format']:.2f}"
    )


if __name__ == "__main__":
    main()
