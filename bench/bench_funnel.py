"""Benchmark the funnel, lift and diagnostics (issue #10) beside one batch scoring.

    .venv/bin/python bench/bench_funnel.py                 # 1M leads
    .venv/bin/python bench/bench_funnel.py --leads 100000  # a quick check

A fresh store of synthetic leads is scored once (the baseline, what a user already waits
for; half of the leads enter MQL), then a fifth of the MQLs get an imported ``accepted``
outcome, a tenth an ``sql`` and a twentieth a ``won`` (outcomes, as a CRM import writes
them). Printed side by side, in the same run: the scoring, the funnel in total, grouped by
tier and by cohort, the lift of every criterion, and the diagnostics.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from leadgate.analytics.diagnostics import diagnose
from leadgate.analytics.funnel import compute_funnel
from leadgate.analytics.lift import compute_lift
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
    - {name: finance, when: industry = 'finance', points: 10}
tiers:
  - {name: hot, when: score >= 50, sla: 1h}
  - {name: warm, when: score >= 20, sales: false}
"""
T0 = dt.datetime(2026, 3, 2, 9, 0)
AS_OF = T0 + dt.timedelta(days=200)


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def fill(store: Store, leads: int) -> None:
    store.execute(
        "INSERT INTO leads (lead_id, company_size, industry, source, created_at) "
        "SELECT 'l' || i, (i * 7919) % 1000, CASE WHEN i % 4 = 0 THEN 'finance' END, "
        "'s' || (i % 7), TIMESTAMP '2025-06-01' + INTERVAL (i % 270) DAY FROM range(?) t(i)",
        [leads],
    )
    store.execute("INSERT INTO lead_aliases (alias, lead_id) SELECT lead_id, lead_id FROM leads")


def outcomes(store: Store) -> None:
    for outcome, every in (("accepted", 5), ("sql", 10), ("won", 20)):
        store.execute(
            f"INSERT INTO outcomes (outcome_id, lead_id, outcome, ts) SELECT "
            f"'{outcome}' || lead_id, lead_id, '{outcome}', mql_at + INTERVAL 20 DAY "
            f"FROM lead_handoff WHERE hash(lead_id) % {every} = 0"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    compiled = load_compiled(text=DEFINITION)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.duckdb", clock=FixedClock(T0))
        fill(store, args.leads)
        scoring = timed(lambda: score_store(store, compiled, T0))
        mqls = enter_mql(store, compiled.hash, T0, ["hot"])
        outcomes(store)
        runs = {
            "funnel": lambda: compute_funnel(store, AS_OF),
            "funnel --by tier": lambda: compute_funnel(store, AS_OF, by="tier"),
            "funnel --by cohort": lambda: compute_funnel(store, AS_OF, by="cohort"),
            "lift": lambda: compute_lift(store, compiled, AS_OF),
            "diagnose": lambda: diagnose(
                store,
                compute_funnel(store, AS_OF, by="tier"),
                compiled,
                capacity=None,
                today=AS_OF.date(),
            ),  # fmt: skip
        }
        print(f"{args.leads:,} leads, {mqls:,} MQLs")
        print(f"{'score (baseline)':<22}{scoring:8.2f} s   1.00×")
        for name, work in runs.items():
            seconds = timed(work)
            print(f"{name:<22}{seconds:8.2f} s   {seconds / scoring:.2f}× the scoring")
        store.close()


if __name__ == "__main__":
    main()
