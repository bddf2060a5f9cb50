"""Crash safety: kill -9 mid-import leaves whole batches; running it again completes it.

Parquet is written in batches of rows (the reader seeks to a row range); a CSV cannot be
read from the middle, so its whole file is one batch: killed mid-write, the store is exactly
as before the import.
"""

from __future__ import annotations

import os
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
ROWS, BATCH = 200_000, 20_000
CHILD = """
import os, signal, sys, threading, time
from leadgate.store import Store
from leadgate.ingest import import_file

def tick(done, total):
    print(done, flush=True)   # after the batch committed
    time.sleep(0.3)           # leave the parent time to kill us mid-import

def trace(sql, params):
    # The whole-file batch of a CSV: kill -9 ourselves while DuckDB is writing its rows.
    if sys.argv[4] == "csv" and sql.startswith("INSERT INTO events"):
        print("writing", flush=True)
        threading.Timer(0.02, os.kill, (os.getpid(), signal.SIGKILL)).start()

with Store(sys.argv[1], tracer=trace) as store:
    import_file(store, sys.argv[2], "events", batch_rows=int(sys.argv[3]), progress=tick)
print("finished", flush=True)
"""


def make_events(path: Path, fmt: str) -> None:
    # No event_id column: keys are content hashes, the harder case for re-running.
    option = "FORMAT parquet" if fmt == "parquet" else "HEADER"
    duckdb.sql(
        f"""COPY (SELECT 'L' || (i % 5000) AS lead_id,
                         ['page_view', 'pricing_page', 'email_open'][1 + i % 3] AS type,
                         TIMESTAMP '2024-01-01' + to_seconds(i) AS ts,
                         '/p/' || i AS url
                  FROM range({ROWS}) t(i)) TO '{path}' ({option})"""
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_kill_9_mid_import_leaves_whole_batches_and_rerun_completes(tmp_path, fmt):
    data = tmp_path / f"events.{fmt}"
    make_events(data, fmt)
    db = tmp_path / "crash.duckdb"
    Store(db).close()
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(data), str(BATCH), fmt],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    # Parquet: blocks until the first batch has committed. CSV: until its write began.
    first = child.stdout.readline().strip()
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert first == "writing" if fmt == "csv" else first.isdigit(), first

    with Store(db) as store:
        loaded = store.scalar("SELECT count(*) FROM events")
        if fmt == "parquet":
            assert 0 < loaded < ROWS
            assert loaded % BATCH == 0  # whole batches only, never part of one
        else:
            assert loaded == 0  # killed mid-write: nothing of the one batch is there
        # The import is on record as started and never finished.
        assert store.scalar("SELECT count(*) FROM imports WHERE finished_at IS NULL") == 1
        report = import_file(store, data, "events", batch_rows=BATCH)
        assert (report.rows_unchanged, report.rows_loaded) == (loaded, ROWS - loaded)
        after_rerun = checksum(store)

    with Store(tmp_path / "clean.duckdb") as clean:
        import_file(clean, data, "events", batch_rows=BATCH)
        assert checksum(clean) == after_rerun
