"""Benchmark the MQL queue (issue #9, #11): a page by cursor on a store of 1M leads.

    .venv/bin/python bench/bench_queue.py                 # 1M leads
    .venv/bin/python bench/bench_queue.py --leads 100000  # a quick check

A fresh project of synthetic leads (fit-only scoring, ``--details``, so the rows' reasons
come from the stored scores), about 10 % of them MQLs (hot 4 %, warm 6 %) in two sales
tiers, MQL entries spread over 90 days, each MQL assigned to one of 20 reps. Printed side
by side, in the same run (median of several calls, milliseconds):

* ``Project.queue`` first page, a page 90 % deep by cursor, and filtered pages (owner,
  search), each with its reasons, owners and SLA times;
* baseline: DuckDB alone running the same sort with ``LIMIT 50`` (the bare first page),
  and the ``OFFSET`` page at the same depth as the cursor page (what keyset pagination
  replaces).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from leadgate.clock import FixedClock
from leadgate.handoff.queue import encode_cursor
from leadgate.project import Project, init_project

DEFINITION = """\
name: bench
version: '1'
fit:
  rules:
    - {name: big, when: company_size >= 960, points: 50}
    - {name: mid, when: company_size >= 900, points: 25}
    - {name: senior, when: "seniority in ['vp', 'cxo']", points: 15}
tiers:
  - {name: hot, when: score >= 70, sla: 1h}
  - {name: warm, when: score >= 20, sla: 1d}
"""
T0 = dt.datetime(2026, 3, 2, 9, 0)


def build(root: Path, leads: int) -> Project:
    clock = FixedClock(T0)
    init_project(root, clock=clock)
    (root / "definition.yaml").write_text(DEFINITION, encoding="utf-8")
    project = Project.open(root, clock=clock)
    with project.store() as store:
        store.execute(
            "INSERT INTO leads (lead_id, email, company, company_size, seniority, source) "
            "SELECT 'l' || i, 'p' || i || '@c' || (i % 50000) || '.com', 'Company ' || "
            "(i % 50000), (hash(i) % 1000)::BIGINT, CASE WHEN i % 7 = 0 THEN 'vp' ELSE 'ic' "
            "END, CASE WHEN i % 3 = 0 THEN 'ads' ELSE 'web' END FROM range(?) t(i)",
            [leads],
        )
    started = time.perf_counter()
    project.score(T0, details=True)
    print(f"setup: {leads:,} leads scored and entered in {time.perf_counter() - started:.1f} s")
    with project.store() as store:
        # Entries spread over 90 days; each MQL owned by one of 20 reps.
        store.execute(
            "UPDATE lead_handoff SET mql_at = mql_at - "
            "to_seconds((hash(lead_id) % 7776000)::BIGINT)"
        )
        store.execute(
            "INSERT INTO assignments SELECT row_number() OVER (), lead_id, 'rep' || "
            "(hash(lead_id) % 20), 'everyone', 'bench', NULL, mql_at FROM lead_handoff"
        )
        mqls = store.scalar("SELECT count(*) FROM leads WHERE stage = 'mql'")
    print(f"        {mqls:,} MQLs, 20 reps")
    return project


def median_ms(fn: Callable[[], Any], repeat: int = 7) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


ORDER = (
    "SELECT l.lead_id, coalesce(list_position(['hot', 'warm'], h.mql_tier), 3) AS rank, "
    "h.mql_at AS entered FROM leads l JOIN lead_handoff h USING (lead_id) "
    "WHERE l.stage IN ('mql', 'sal') ORDER BY rank, entered, l.lead_id"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp) / "p", args.leads)
        with project.serving() as store:
            mqls = int(store.scalar("SELECT count(*) FROM leads WHERE stage = 'mql'"))
            depth = int(mqls * 0.9)
            lead_id, rank, entered = store.execute(
                f"{ORDER} LIMIT 1 OFFSET {depth - 1}"
            ).fetchall()[0]
            deep = encode_cursor(rank, entered, lead_id)
            rows = [
                ("first page (50)", lambda: project.queue()),
                (f"page at row {depth:,} by cursor", lambda: project.queue(cursor=deep)),
                ("owner filter", lambda: project.queue(owner="rep7")),
                ("search 'company 123'", lambda: project.queue(q="company 123")),
                ("tier + source filter", lambda: project.queue(tier="warm", source="ads")),
            ]
            baseline = [
                ("DuckDB alone: the sort, LIMIT 50", lambda: store.query(f"{ORDER} LIMIT 50")),
                (
                    f"DuckDB alone: OFFSET {depth:,} LIMIT 50",
                    lambda: store.query(f"{ORDER} LIMIT 50 OFFSET {depth}"),
                ),
            ]
            assert len(project.queue(cursor=deep).rows) == 50
            print(f"\n{'':38}{'median ms':>10}")
            for name, fn in rows + baseline:
                print(f"{name:38}{median_ms(fn):>10.1f}")


if __name__ == "__main__":
    main()
