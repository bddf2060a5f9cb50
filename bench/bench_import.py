"""Benchmark the event import path against its targets and against DuckDB alone.

    .venv/bin/python bench/bench_import.py               # 50,000,000 events
    .venv/bin/python bench/bench_import.py --events 5e6  # a quicker run
    .venv/bin/python bench/gen_data.py --leads 1000000 --events 50000000 --out bench/.data/big
    .venv/bin/python bench/bench_import.py --formats parquet,noid --noid bench/.data/big

Generates the events once with DuckDB SQL (no Python loops) as Parquet and CSV under
bench/.data/, then, for each format, in fresh child processes (so peak RSS is per phase):

* DuckDB alone scanning the file: ``SELECT count(*), sum(hash(event_id))``;
* DuckDB alone inserting the file into ``events`` with no checks, keys, rejects or batches:
  the ceiling of this machine for writing these rows;
* a first ``import_file`` into an empty store (checks, duplicates, links, batches);
* a second import of the same file, which must load nothing (the idempotency check);
* a later export of 2 % as many rows, half of them stored already, into that full store,
  beside DuckDB's own ``INSERT ... ANTI JOIN events`` of the same file.

``noid`` is another workload: ``gen_data.py``'s ``events.parquet`` without its ``event_id``
column (written once beside it, ``events_noid.parquet``), so that every key is a content hash
(md5 of lead, type, time and URL), and it holds repeated rows as real exports do. Its DuckDB
baseline inserts the same md5 key (no checks, no duplicates found).

Targets (issues #3, #7): Parquet >= 3,000,000 rows/s, CSV >= 1,000,000 rows/s, ``noid``
>= 1,300,000 rows/s; and a first Parquet import at >= 0.6 x the rate of DuckDB's own plain
``INSERT ... SELECT`` of the same file in the same run. The table shows each rate against
its target and against DuckDB's own insert measured in the same run. DuckDB's insert runs
with ``preserve_insertion_order = false``, as leadgate's does.
The machine's load average is printed before and after: the figures are only comparable on
an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from leadgate.ingest import import_file  # noqa: E402
from leadgate.ingest.append import whole_row_groups  # noqa: E402
from leadgate.ingest.kinds import BATCH_ROWS  # noqa: E402
from leadgate.project import DEFAULT_MEMORY_LIMIT  # noqa: E402
from leadgate.store import Store  # noqa: E402

TARGETS = {"parquet": 3_000_000, "csv": 1_000_000, "noid": 1_300_000}
#: A first import's rate against DuckDB's own plain INSERT of the same file, same run.
RATIO_TARGETS = {"parquet": 0.6}
READERS = {"parquet": "read_parquet", "csv": "read_csv", "noid": "read_parquet"}
COLUMNS = "event_id, lead_id, visitor_id, type, ts, url"
# What leadgate stores as the key of an event without an id (normalise._content).
CONTENT_KEY = (
    "md5(concat_ws('|', coalesce(lead_id, visitor_id), type, CAST(ts AS VARCHAR), "
    "coalesce(url, '')))"
)


def generate(n: int, folder: Path, formats: list[str]) -> dict[str, Path]:
    """Write ``n`` synthetic events as Parquet and CSV (skipped when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {fmt: folder / f"events_{n}.{fmt}" for fmt in ("parquet", "csv") if fmt in formats}
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
    for fmt, path in files.items():
        more = increment_file(path)
        if more.exists():
            continue
        # A later export: half of it events the store has, half new ones.
        m = increment_size(n)
        option = "FORMAT parquet, ROW_GROUP_SIZE 122880" if fmt == "parquet" else "HEADER"
        first = select.replace(f"range({n})", f"range({m})")
        con.execute(
            f"COPY (SELECT CASE WHEN CAST(substr(event_id, 4) AS BIGINT) >= {m // 2} "
            "THEN 'new-' || event_id ELSE event_id END AS event_id, * EXCLUDE (event_id) "
            f"FROM ({first})) TO '{more}' ({option})"
        )
    return files


def noid_file(folder: Path) -> Path:
    """``gen_data.py``'s events in ``folder`` without their id column (written once)."""
    path = folder / "events_noid.parquet"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        duckdb.execute(
            f"COPY (SELECT * EXCLUDE (event_id) FROM read_parquet('{folder / 'events.parquet'}')) "
            f"TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 122880)"
        )
        tmp.rename(path)
    return path


def file_rows(path: Path) -> int:
    [(rows,)] = duckdb.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
    return int(rows)


def increment_size(n: int) -> int:
    """Rows of the later export imported into the full store: 2 % of the events."""
    return max(n // 50, 1000)


def increment_file(path: Path) -> Path:
    return path.with_name(path.stem + "_increment" + path.suffix)


def _fresh_db(path: Path, fmt: str, phase: str) -> Path:
    db = path.parent / f"bench_{fmt}_{phase}.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    return db


def run_duckdb(fmt: str, path: Path, n: int) -> dict[str, float]:
    """DuckDB alone: scan the file, then insert it into a fresh store's ``events``."""
    con = duckdb.connect()
    started = time.perf_counter()
    column = "lead_id" if fmt == "noid" else "event_id"
    con.execute(f"SELECT count(*), sum(hash({column})) FROM {READERS[fmt]}('{path}')").fetchall()
    scan = time.perf_counter() - started
    con.close()
    db = _fresh_db(path, fmt, "plain")
    key = CONTENT_KEY if fmt == "noid" else "event_id"
    with Store(db, memory_limit=DEFAULT_MEMORY_LIMIT) as store:
        store.execute("SET preserve_insertion_order = false")
        started = time.perf_counter()
        store.execute(
            f"INSERT INTO events ({COLUMNS}) "
            f"SELECT {key}, lead_id, visitor_id, type, CAST(ts AS TIMESTAMP), url "
            f"FROM {READERS[fmt]}('{path}')"
        )
        insert = time.perf_counter() - started
        threads = store.scalar("SELECT current_setting('threads')")
        if fmt == "noid":  # no later export of this one
            db.unlink(missing_ok=True)
            return {"scan_s": scan, "insert_s": insert, "increment_s": 0.0, "threads": threads}
        started = time.perf_counter()
        store.execute(
            "INSERT INTO events (event_id, lead_id, visitor_id, type, ts, url) "
            "SELECT f.event_id, f.lead_id, f.visitor_id, f.type, CAST(f.ts AS TIMESTAMP), f.url "
            f"FROM {READERS[fmt]}('{increment_file(path)}') AS f "
            "ANTI JOIN events AS e ON e.event_id = f.event_id"
        )
        increment = time.perf_counter() - started
        threads = store.scalar("SELECT current_setting('threads')")
    db.unlink(missing_ok=True)
    return {"scan_s": scan, "insert_s": insert, "increment_s": increment, "threads": threads}


def run_import(fmt: str, path: Path, n: int, batch_rows: int) -> dict[str, float]:
    """leadgate: a first import into an empty store, then the same file again."""
    db = _fresh_db(path, fmt, "import")
    with Store(db, memory_limit=DEFAULT_MEMORY_LIMIT) as store:
        first = import_file(store, path, "events", batch_rows=batch_rows)
        second = import_file(store, path, "events", batch_rows=batch_rows)
        stored = store.scalar("SELECT count(*) FROM events")
        if fmt == "noid":  # repeated rows are rejected: the rest is stored, once
            db.unlink(missing_ok=True)
            assert first.rows_read == n and stored == first.rows_loaded, first.summary()
            assert (second.rows_loaded, second.rows_unchanged) == (0, stored), second.summary()
            return {"first_s": first.seconds, "second_s": second.seconds, "increment_s": 0.0}
        third = import_file(store, increment_file(path), "events", batch_rows=batch_rows)
    m = increment_size(n)
    assert (first.rows_loaded, first.rows_rejected) == (n, 0), first.summary()
    assert (second.rows_loaded, second.rows_unchanged) == (0, n), second.summary()
    assert stored == n, stored
    assert (third.rows_loaded, third.rows_unchanged) == (m - m // 2, m // 2), third.summary()
    db.unlink(missing_ok=True)
    return {"first_s": first.seconds, "second_s": second.seconds, "increment_s": third.seconds}


def child(kind: str, fmt: str, path: Path, n: int, batch_rows: int) -> dict[str, float]:
    args = [sys.executable, __file__, "--events", str(n), "--batch-rows", str(batch_rows)]
    out = subprocess.run(
        [*args, "--child", f"{kind}:{fmt}:{path}"], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=float, default=50_000_000)
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS)
    parser.add_argument("--data", type=Path, default=HERE / ".data")
    parser.add_argument(
        "--noid", type=Path, default=HERE / ".data" / "big", help="gen_data.py's --out folder"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = int(args.events)
    if args.child:
        kind, fmt, path = args.child.split(":", 2)
        if kind == "duckdb":
            result = run_duckdb(fmt, Path(path), n)
        else:
            result = run_import(fmt, Path(path), n, args.batch_rows)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    formats = args.formats.split(",")
    files = generate(n, args.data, formats)
    sizes = dict.fromkeys(files, n)
    if "noid" in formats:
        files["noid"] = noid_file(args.noid)
        sizes["noid"] = file_rows(files["noid"])
    parquet_batch = whole_row_groups(args.batch_rows)
    print(
        f"\n{n:,} events (noid: {sizes.get('noid', 0):,}); Parquet in batches of "
        f"{parquet_batch:,} rows ({args.batch_rows:,} rounded to whole row groups), a CSV in "
        f"one; DuckDB memory limit {DEFAULT_MEMORY_LIMIT} (a project's default), for "
        "leadgate and DuckDB alike"
    )
    print(f"before: {load()}\n")
    head = (
        f"{'format':8} {'phase':26} {'seconds':>8} {'rows/s':>12} {'target':>10} {'vs target':>9}"
    )
    print(f"{head} {'result':6} {'vs DuckDB insert':>16} {'peak RSS':>9}")
    verdicts = []
    for fmt in formats:
        verdicts += report_format(fmt, files[fmt], sizes[fmt], args.batch_rows)
    print(f"\nafter: {load()}")
    print("all targets met" if all(v == "PASS" for v in verdicts) else "some targets missed")


def report_format(fmt: str, path: Path, n: int, batch_rows: int) -> list[str]:
    """Time DuckDB and leadgate on one file; print their rows; return the verdicts."""
    plain = child("duckdb", fmt, path, n, batch_rows)
    ours = child("import", fmt, path, n, batch_rows)
    m = increment_size(n)
    rows = [
        ("DuckDB scan", plain["scan_s"], n, None, plain["peak_rss_mb"]),
        ("DuckDB plain INSERT", plain["insert_s"], n, None, plain["peak_rss_mb"]),
        ("leadgate import", ours["first_s"], n, TARGETS[fmt], ours["peak_rss_mb"]),
        ("leadgate re-import", ours["second_s"], n, TARGETS[fmt], ours["peak_rss_mb"]),
    ]
    if fmt != "noid":
        rows += [
            ("DuckDB ANTI JOIN, +2 %", plain["increment_s"], m, None, plain["peak_rss_mb"]),
            ("leadgate import, +2 %", ours["increment_s"], m, None, ours["peak_rss_mb"]),
        ]
    verdicts = []
    insert_rate = n / plain["insert_s"]
    for phase, seconds, size, target, rss in rows:
        rate = size / seconds
        if phase.endswith("+2 %"):  # the later export: against DuckDB's own anti-join
            insert_rate = m / plain["increment_s"]
        line = f"{fmt:8} {phase:26} {seconds:8.2f} {rate:12,.0f}"
        if target is None:
            line += f" {'':>10} {'':>9} {'':6}"
        else:
            verdict = "PASS" if rate >= target else "FAIL"
            verdicts.append(verdict)
            line += f" {target:>10,} {rate / target:8.0%} {verdict:6}"
        if phase != "DuckDB scan":
            line += f" {rate / insert_rate:16.0%}"
        else:
            line += f" {'':>16}"
        print(f"{line} {rss:7.0f} MB", flush=True)
    if fmt in RATIO_TARGETS:
        ratio = plain["insert_s"] / ours["first_s"]
        verdict = "PASS" if ratio >= RATIO_TARGETS[fmt] else "FAIL"
        verdicts.append(verdict)
        print(
            f"{fmt:8} first import / DuckDB plain INSERT, same run: {ratio:.2f}x "
            f"(target >= {RATIO_TARGETS[fmt]}x) {verdict}"
        )
    print(f"{fmt:8} (DuckDB threads: {plain['threads']}; peak RSS is per child process)")
    return verdicts


if __name__ == "__main__":
    main()
