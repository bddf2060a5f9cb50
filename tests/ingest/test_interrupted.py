"""An interrupted import is on record: ``leadgate imports`` lists it as interrupted, and the
next import of the same file says so (a notice, not an error) and completes it.

The import runs in a real child process that kills itself (SIGKILL) as its second batch's
``INSERT`` begins: its first batch is committed, nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from leadgate.project import Project, init_project

from ..cli import leadgate

SRC = str(Path(__file__).resolve().parents[2] / "src")
ROWS, BATCH = 20_000, 5_000
CHILD = """
import os, signal, sys
from leadgate.project import Project

root, data, batch = sys.argv[1:4]
inserts = []

def trace(sql, params):
    if sql.startswith("INSERT INTO events"):
        inserts.append(sql)
        if len(inserts) == 2:
            os.kill(os.getpid(), signal.SIGKILL)

Project.open(root, tracer=trace).import_file(data, "events", batch_rows=int(batch))
print("finished", flush=True)
"""


def kill_during_import(root: Path, data: Path) -> None:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(data), str(BATCH)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, (child.stdout, child.stderr)


def test_a_killed_import_is_listed_and_the_next_import_of_the_file_says_so(tmp_path):
    project = init_project(tmp_path / "p")
    data = tmp_path / "events.parquet"
    duckdb.sql(
        f"""COPY (SELECT 'L' || (i % 500) AS lead_id, 'page_view' AS type,
                         TIMESTAMP '2024-01-01' + to_seconds(i) AS ts, '/p/' || i AS url
                  FROM range({ROWS}) t(i)) TO '{data}' (FORMAT parquet)"""
    )
    kill_during_import(project.root, data)

    listed = json.loads(leadgate("imports", "--json", cwd=project.root).stdout)
    [record] = listed["imports"]
    assert (listed["count"], listed["interrupted"]) == (1, 1)
    assert (record["state"], record["kind"], record["file"]) == ("interrupted", "events", str(data))
    assert (record["rows_loaded"], record["finished_at"]) == (BATCH, None)
    table = leadgate("imports", cwd=project.root)
    assert table.returncode == 0, table.stderr
    assert "interrupted" in table.stdout and "events" in table.stdout
    assert "1 interrupted" in table.stderr and "import the same file again" in table.stderr

    # The same file, by a relative path from another folder: it is known again.
    again = leadgate(
        "-C", str(project.root), "import", "events", "events.parquet", "--batch-rows",
        str(BATCH), "--json", cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["rows_unchanged"], report["rows_loaded"]) == (BATCH, ROWS - BATCH)
    [notice] = report["notices"]
    assert notice.startswith("An earlier import of this file was interrupted: the last, ")
    assert f"{record['import_id'][:12]} (events, started " in notice
    assert f"had committed {BATCH:,} rows. This import completes it" in notice
    shown = leadgate("import", "events", str(data), cwd=project.root)
    assert "interrupted" not in shown.stderr  # the finished import is the latest now

    states = [i.state for i in project.imports().imports]
    assert states == ["finished", "finished", "interrupted"]  # the latest first
    assert [i.state for i in project.imports(limit=1).imports] == ["finished"]


def test_an_import_stopped_by_an_error_is_listed_as_failed_with_its_reason(tmp_path):
    init_project(tmp_path / "p")
    leads = tmp_path / "leads.csv"
    leads.write_text("email,company_size\na@x.io,10\nb@x.io,20\n")

    def disk_full(sql: str, params: object) -> None:  # the write fails, as on a full disk
        if sql.startswith("INSERT INTO leads"):
            raise OSError("No space left on device")

    with pytest.raises(OSError):
        Project.open(tmp_path / "p", tracer=disk_full).import_file(leads, "leads")
    project = Project.open(tmp_path / "p")
    [record] = project.imports().imports
    assert (record.state, record.error) == ("failed", "OSError: No space left on device")
    # A failed import is no interrupted one: the next import of the file says nothing of it.
    report = project.import_file(leads, "leads")
    assert (report.notices, report.rows_loaded) == ([], 2)
    assert [i.state for i in project.imports().imports] == ["finished", "failed"]
