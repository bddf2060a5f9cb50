"""Benchmark a CRM leads import whose stages become transitions (issue #9).

    .venv/bin/python bench/bench_import_stages.py                 # 200,000 leads
    .venv/bin/python bench/bench_import_stages.py --leads 50000   # a quick check

The same synthetic CRM export imported into two fresh stores, in the same run: once with its
``stage`` column left out (the baseline: the import as it was, nothing to record), once with
it (every lead beyond ``lead`` gets a transition by ``import`` and an outbox event). Then
the export again a day later with a fifth of the stages moved on (the daily sync): only
the changed leads are recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from leadgate.clock import FixedClock
from leadgate.ingest import import_file
from leadgate.store import Store

STAGES = ("lead", "lead", "mql", "sal", "sql")
T0 = dt.datetime(2026, 3, 2, 9, 0)


def write(path: Path, leads: int, shift: int, stage: bool) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("lead_id,email,company,country" + (",stage" if stage else "") + "\n")
        for i in range(leads):
            moved = shift and (i // len(STAGES)) % 5 == 0 and i % len(STAGES) < 4
            step = i % len(STAGES) + (1 if moved else 0)
            row = f"c{i},p{i}@example.com,Co {i % 997},DE"
            f.write(row + (f",{STAGES[step]}" if stage else "") + "\n")


def run(folder: Path, leads: int, stage: bool) -> tuple[float, float, int]:
    store = Store(folder / f"s{int(stage)}.duckdb", clock=FixedClock(T0))
    first, second = folder / f"a{int(stage)}.csv", folder / f"b{int(stage)}.csv"
    write(first, leads, 0, stage)
    write(second, leads, 1, stage)
    started = time.perf_counter()
    import_file(store, first, "leads", enrich=False)
    one = time.perf_counter() - started
    store.clock = FixedClock(T0 + dt.timedelta(days=1))
    started = time.perf_counter()
    import_file(store, second, "leads", enrich=False)
    two = time.perf_counter() - started
    moves = int(store.scalar("SELECT count(*) FROM stage_transitions"))
    store.close()
    return one, two, moves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plain = run(Path(folder), args.leads, False)
        staged = run(Path(folder), args.leads, True)
    print(f"{args.leads:,} leads; the second import a day later moves a fifth of them on")
    print(f"{'import':<22}{'no stage (baseline)':>20}{'with stages':>14}{'ratio':>8}")
    for n, label in enumerate(("first (all new)", "second (daily sync)")):
        print(f"{label:<22}{plain[n]:>19.2f}s{staged[n]:>13.2f}s{staged[n] / plain[n]:>8.2f}")
    print(f"transitions recorded: {staged[2]:,}")


if __name__ == "__main__":
    main()
