"""Benchmark MQL entry after a scoring run (issue #9): the set-based INSERT ... SELECT.

    .venv/bin/python bench/bench_stages.py                 # 1M leads
    .venv/bin/python bench/bench_stages.py --leads 100000  # a quick check

A fresh store of synthetic leads (company sizes spread so that about half land in the sales
tier; no events: fit-only scoring keeps the run about the handoff). Printed side by side, in
the same run: the scoring run itself (``score_store``, the baseline: what a user already
waits for), the MQL entry of that run (``enter_mql``: a transition row, ``leads.stage``,
``lead_handoff`` and a ``lead.mql`` outbox message for each entering lead), and the entry
after a re-score one day later (no lead enters again: the cost of checking).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from leadgate.clock import FixedClock
from leadgate.definition import load_compiled
from leadgate.handoff.transitions import enter_mql
from leadgate.scoring import score_store
from leadgate.store import Store

DEFINITION = """\
name: bench
version: '1'
fit:
  rules:
    - {name: big, when: company_size >= 500, points: 60}
    - {name: mid, when: company_size >= 50, points: 20}
tiers:
  - {name: hot, when: score >= 50, sla: 1h}
  - {name: warm, when: score >= 20, sales: false}
"""
T0 = dt.datetime(2026, 3, 2, 9, 0)


def timed(work: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = work() if callable(work) else None
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    compiled = load_compiled(text=DEFINITION)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.duckdb", clock=FixedClock(T0))
        store.execute(
            "INSERT INTO leads (lead_id, email, company_size) SELECT 'l' || i, "
            "'l' || i || '@example.com', (i * 7919) % 1000 FROM range(?) t(i)",
            [args.leads],
        )
        hot = [t.name for t in compiled.tiers if t.sales]
        rows = []
        for day in (0, 1):
            as_of = T0 + dt.timedelta(days=day)
            store.clock = FixedClock(as_of)
            scored, _ = timed(lambda a=as_of: score_store(store, compiled, a))
            entered_s, entered = timed(lambda a=as_of: enter_mql(store, compiled.hash, a, hot))
            rows.append((day, scored, entered_s, entered))
        store.close()
    print(f"{args.leads:,} leads (fit-only definition; about half in the sales tier)")
    print(f"{'run':<10}{'score_store (baseline)':>24}{'enter_mql':>12}{'entered':>12}{'ratio':>8}")
    for day, scored, entered_s, entered in rows:
        label = "first" if day == 0 else "re-score"
        print(
            f"{label:<10}{scored:>23.2f}s{entered_s:>11.2f}s{entered:>12,}"
            f"{entered_s / scored:>8.2f}"
        )


if __name__ == "__main__":
    main()
