"""Crash safety: kill -9 in the middle of writing a batch leaves whole batches; running the
import again completes it.

A child process imports a file and kills itself (SIGKILL, from a timer thread) a random time
after the ``INSERT`` of a randomly chosen batch began, so the kill lands inside the write,
or in the rejects, links or commit of that batch. Whatever the point, the store must hold
exactly the file's rows of its first *k* batches (for some *k*), with their rejects and
their count in ``imports``, and nothing of the next one. Parquet is written in batches of
rows; a CSV cannot be read from the middle, so its whole file is one batch: killed in it,
the store is exactly as before the import.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from leadgate.ingest import import_file
from leadgate.store import Store

from .conftest import checksum

SRC = str(Path(__file__).resolve().parents[2] / "src")
ROWS, BATCH = 200_000, 50_000
RUNS = {"parquet": 8, "csv": 4}
CHILD = """
import os, signal, sys, threading, time
from leadgate.store import Store
from leadgate.ingest import import_file

db, data, batch, target, fraction = sys.argv[1:6]
seen = {"inserts": [], "last": "", "after": [], "open": False}

def kill():
    where = "batch" if seen["open"] else "outside"
    print("killed in", where, seen["last"][:18], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

def trace(sql, params):
    now = time.perf_counter()
    if seen.pop("closing", False):
        seen["open"] = False  # the COMMIT traced before this statement has ended
    if sql == "BEGIN TRANSACTION":
        seen["open"] = True
    elif sql in ("COMMIT", "ROLLBACK"):
        seen["closing"] = True
    if len(seen["after"]) < len(seen["inserts"]):
        seen["after"].append(now)  # the statement after an INSERT: when that INSERT ended
    seen["last"] = sql
    if sql.startswith("INSERT INTO events"):
        if len(seen["inserts"]) == int(target):
            # A random point of this INSERT: a fraction of the one before it (batches are
            # alike); the whole file's one INSERT of a CSV takes about 0.15 s.
            took = seen["after"][-1] - seen["inserts"][-1] if seen["inserts"] else 0.15
            threading.Timer(float(fraction) * took, kill).start()
        seen["inserts"].append(now)

with Store(db, tracer=trace) as store:
    import_file(store, data, "events", batch_rows=int(batch))
print("finished", flush=True)
"""


def bad(i: int) -> bool:
    """Whether row ``i`` of the file is spoilt (an unknown event type)."""
    return i % 997 == 5


def make_events(path: Path, fmt: str) -> None:
    # No event_id column: keys are content hashes, the harder case for re-running.
    option = "FORMAT parquet" if fmt == "parquet" else "HEADER"
    duckdb.sql(
        f"""COPY (SELECT 'L' || (i % 5000) AS lead_id,
                         CASE WHEN i % 997 = 5 THEN 'pricng_page'
                              ELSE ['page_view', 'pricing_page', 'email_open'][1 + i % 3] END
                             AS type,
                         TIMESTAMP '2024-01-01' + to_seconds(i) AS ts,
                         '/p/' || i AS url
                  FROM range({ROWS}) t(i)) TO '{path}' ({option})"""
    )


def kill_mid_batch(db: Path, data: Path, target: int, fraction: float) -> str:
    """Run the import in a child that kills itself ``fraction`` of an ``INSERT``'s time
    after the ``INSERT`` of batch ``target`` began; return what it was running then (or
    "finished")."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    args = [str(db), str(data), str(BATCH), str(target), str(fraction)]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env, timeout=120
    )
    said = child.stdout.strip().splitlines()
    if said == ["finished"]:
        return "finished"  # the timer came too late: the import had completed
    assert child.returncode == -signal.SIGKILL, child.stderr
    return said[-1].removeprefix("killed in ")


def assert_whole_batches(store: Store, fmt: str) -> int:
    """The store holds exactly the first k batches of the file, with their rejects and
    their count; return how many rows are loaded."""
    loaded = sorted(
        i for (i,) in store.execute("SELECT CAST(substr(url, 4) AS BIGINT) FROM events").fetchall()
    )
    k = loaded[-1] // BATCH + 1 if loaded else 0
    end = ROWS if fmt == "csv" and k else min(k * BATCH, ROWS)
    assert loaded == [i for i in range(end) if not bad(i)]
    first_line = 2 if fmt == "csv" else 1  # a CSV's header is line 1; else the row number
    lines = [line for (line,) in store.execute("SELECT line FROM rejects ORDER BY 1").fetchall()]
    assert lines == [i + first_line for i in range(end) if bad(i)]
    # The import is on record as started and never finished, with what it committed.
    [(counted, finished)] = store.execute("SELECT rows_loaded, finished_at FROM imports").fetchall()
    assert (counted, finished) == (len(loaded), None)
    return len(loaded)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_kill_9_mid_batch_leaves_whole_batches_and_rerun_completes(tmp_path, fmt):
    data = tmp_path / f"events.{fmt}"
    make_events(data, fmt)
    good = sum(not bad(i) for i in range(ROWS))
    with Store(tmp_path / "clean.duckdb") as clean:
        import_file(clean, data, "events", batch_rows=BATCH)
        complete = checksum(clean)
    empty = tmp_path / "empty.duckdb"
    Store(empty).close()
    rnd = random.Random(f"kill-9 {fmt}")
    # Parquet: batch 1 on, so that the batch before times the INSERT. Up to 1.2 times its
    # time: now and then the kill lands in the batch's rejects or commit instead.
    targets = [0] if fmt == "csv" else range(1, -(-ROWS // BATCH))
    killed_in = []
    for run in range(RUNS[fmt]):
        db = tmp_path / f"crash{run}.duckdb"
        shutil.copy(empty, db)
        target, fraction = rnd.choice(targets), rnd.uniform(0, 1.2)
        killed_in.append(kill_mid_batch(db, data, target, fraction))
        with Store(db) as store:
            if killed_in[-1] == "finished":
                assert store.scalar("SELECT count(*) FROM events") == good
                continue
            loaded = assert_whole_batches(store, fmt)
            report = import_file(store, data, "events", batch_rows=BATCH)
            assert (report.rows_unchanged, report.rows_loaded) == (loaded, good - loaded)
            assert checksum(store) == complete
    # The kills must mostly land inside a batch's write, or the test proves little.
    # The kills land inside a batch's transaction (its COMMIT included), a good share of
    # them in its INSERT, or the test proves little.
    assert all(k.startswith("batch ") or k == "finished" for k in killed_in), killed_in
    assert killed_in.count("batch INSERT INTO events") >= RUNS[fmt] // 4, killed_in
