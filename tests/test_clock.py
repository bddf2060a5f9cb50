"""The library reads no clock of its own: "now" comes from the clock it is handed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from leadgate.clock import FixedClock
from leadgate.project import init_project

SRC = Path(__file__).resolve().parents[1] / "src" / "leadgate"
# Python's clocks of the calendar, and SQL's (DuckDB's now(), current_timestamp, today()).
READS_THE_CLOCK = re.compile(
    r"datetime\.now\(|date\.today\(|time\.time\(|\bnow\(\)|current_timestamp|\btoday\(\)"
)


def test_only_the_clock_module_reads_the_clock() -> None:
    found = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "clock.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if READS_THE_CLOCK.search(line)
        and not re.search(r"(store|self|clock)\.now\(\)|\.today\(\)`|clock\.today\(\)", line)
    ]
    assert found == []


def test_an_import_records_the_projects_time(tmp_path: Path) -> None:
    at = dt.datetime(2030, 1, 2, 3, 4, 5)
    project = init_project(tmp_path / "p", clock=FixedClock(at))
    leads = project.root / "leads.csv"
    leads.write_text("lead_id,email\na,ana@acme.com\nb,bo@acme.com\n")
    project.import_file(leads, "leads")
    leads.write_text("lead_id,email,title\na,ana@acme.com,VP Sales\n")
    later = dt.datetime(2030, 2, 1)
    init_project(project.root, clock=FixedClock(later)).import_file(leads, "leads")
    with project.store() as store:
        imports = store.execute(
            "SELECT started_at, finished_at FROM imports ORDER BY started_at"
        ).fetchall()
        updated = dict(store.execute("SELECT lead_id, updated_at FROM leads").fetchall())
        accounts = store.execute("SELECT DISTINCT created_at FROM accounts").fetchall()
    assert imports == [(at, at), (later, later)]
    assert updated == {"a": later, "b": at}
    assert accounts == [(at,)]
