"""Benchmark a year of daily backtest replays against one scoring per day (the naive way).

    .venv/bin/python bench/bench_backtest.py                       # 10,000 leads
    .venv/bin/python bench/bench_backtest.py --leads 100000 --naive-days 30
    .venv/bin/python bench/bench_backtest.py --files /work/bigdata/gen-1m-50m \
        --store /work/bigdata/backtest-1m-50m --naive-days 2       # 1M leads, 50M events

For each definition (the demo's ``b2b_saas`` template: 30-day decay, 90-day window,
intent, engaged contacts and ``account.engagement``; ``FLAT`` below: points per event
with no decay and no window; ``WINDOWED``: FLAT with a 90-day window and a 30-day count,
no decay; ``DECAYED``: WINDOWED with a 30-day half-life), it prints, measured in the same
run on the same store:

* **one scoring**: ``score_store`` as of the last day (the unit the issue's target uses:
  a 12-month daily backtest in under 10x one scoring);
* **backtest**: ``leadgate.analytics.backtest.backtest`` over the 365 days, with the
  (lead, day) pairs it evaluated beside the 365 x leads a day-by-day replay scores;
* **naive**: ``score_store`` once per day. With ``--naive-days N`` < 365 it scores N days
  spread over the year and scales the time to 365 (printed as an estimate, marked ``~``).

The store is a demo project (synthetic data from ``leadgate.testing.generate``, imported
through the normal importer) built once per size in ``bench/.data/backtest_<leads>/``.
With ``--files`` it is built instead from ``gen_data.py``'s Parquet files (accounts, leads,
events; 1,000,000 leads and 50,000,000 events need it: ``generate`` holds every event in
memory). Those files have no outcomes, so a few are drawn here (4 % of the leads won, 10 to
120 days after creation, seeded): the replay never reads outcomes, only the precision and
recall printed beside it do, and they mean nothing on this data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import time
from pathlib import Path

from leadgate.analytics.backtest import backtest
from leadgate.clock import FixedClock
from leadgate.definition import load_compiled
from leadgate.project import Project, init_project
from leadgate.scoring import score_store
from leadgate.testing import generate

DATA = Path(__file__).parent / ".data"
START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
FLAT = """
name: flat
version: '1'
fit:
  rules:
    - {name: senior, when: "seniority in ['manager', 'director', 'vp', 'cxo']", points: 15}
    - {name: mid-market, when: company_size >= 50 and company_size <= 5000, points: 10}
engagement:
  events:
    - {type: demo_request, points: 30}
    - {type: contact_sales, points: 30}
    - {type: pricing_page, points: 10, cap: 30}
    - {type: case_study_view, points: 4, cap: 12}
    - {type: email_click, points: 2, cap: 10}
tiers:
  - {name: mql, when: fit >= 15 and engagement >= 40}
  - {name: nurture, when: engagement >= 10, sales: false}
"""

#: FLAT with look-backs and no half-life: each event's part is a step (it enters on its day,
#: leaves when the window ends), so the replay evaluates a lead on those days only.
WINDOWED = (
    FLAT.replace("name: flat", "name: windowed")
    .replace("engagement:\n", "engagement:\n  window: 90d\n")
    .replace(
        "- {name: mql, when: fit >= 15 and engagement >= 40}",
        "- {name: mql, when: 'fit >= 15 and engagement >= 40 and count(*, 30d) >= 3'}",
    )
)
#: WINDOWED with a 30-day half-life: nothing of the account, so each lead is evaluated only
#: on its own event days (``leadgate.analytics.entries``), and of those only where WINDOWED,
#: its undecayed bound, is in a sales tier (``leadgate.analytics.pruned``).
DECAYED = WINDOWED.replace("name: windowed", "name: decayed").replace(
    "  window: 90d\n", "  window: 90d\n  half_life: 30d\n"
)


def build(leads: int) -> Project:
    """The demo project of ``leads`` leads, built once and kept."""
    root = DATA / f"backtest_{leads}"
    if (root / "built").exists():
        return Project.open(root, clock=FixedClock(dt.datetime(2026, 1, 1)))
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    data = generate(seed=11, accounts=max(leads // 8, 10), leads=leads)
    project = init_project(root, clock=FixedClock(dt.datetime(2026, 1, 1)))
    paths = data.write(root / "data", "parquet")
    for kind in ("accounts", "leads", "events", "intent", "outcomes"):
        project.import_file(paths[kind], kind)
    (root / "built").write_text("")
    print(f"built {root} in {time.perf_counter() - started:.1f}s")
    return project


def build_from_files(files: Path, root: Path) -> Project:
    """A project of ``gen_data.py``'s files, with drawn outcomes, built once and kept."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    clock = FixedClock(dt.datetime(2026, 1, 1))
    if (root / "built").exists():
        return Project.open(root / "p", clock=clock)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    started = time.perf_counter()
    project = init_project(root / "p", clock=clock)
    for kind in ("accounts", "leads", "events"):
        report = project.import_file(files / f"{kind}.parquet", kind)
        print(f"  {kind}: {report.rows_loaded:,} rows, {time.perf_counter() - started:.1f}s")
    leads = pq.read_table(files / "leads.parquet", columns=["lead_id", "created_at"])
    rng = np.random.default_rng(3)
    won = np.flatnonzero(rng.random(leads.num_rows) < 0.04)
    created = leads.column("created_at").to_numpy()[won].astype("datetime64[us]")
    delay = (rng.uniform(10, 120, len(won)) * 86_400e6).astype("timedelta64[us]")
    when = created + delay
    keep = when < np.datetime64("2026-01-01")
    outcomes = pa.table({
        "lead_id": leads.column("lead_id").take(pa.array(won[keep])),
        "outcome": ["won"] * int(keep.sum()), "ts": when[keep],
    })  # fmt: skip
    pq.write_table(outcomes, root / "outcomes.parquet")
    project.import_file(root / "outcomes.parquet", "outcomes")
    (root / "built").write_text("")
    print(f"built {root} in {time.perf_counter() - started:.1f}s")
    return project


def naive(project: Project, compiled, days: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Seconds for ``days`` day-end scorings spread over the year, and how many ran."""
    step = max(1, 365 // days)
    picked = [START + dt.timedelta(days=d) for d in range(0, 365, step)][:days]
    with project.store() as store:
        started = time.perf_counter()
        for day in picked:
            end_of_day = dt.datetime.combine(day, dt.time()) + dt.timedelta(days=1, microseconds=-1)
            score_store(store, compiled, end_of_day)
        return time.perf_counter() - started, len(picked)


def run(project: Project, compiled, naive_days: int) -> None:  # type: ignore[no-untyped-def]
    last = dt.datetime.combine(END, dt.time()) + dt.timedelta(days=1, microseconds=-1)
    with project.store() as store:
        score_store(store, compiled, last)  # the plan is generated and kept: warm
        started = time.perf_counter()
        report = score_store(store, compiled, last)
        one = time.perf_counter() - started
        started = time.perf_counter()
        result = backtest(store, compiled, START, END)
        replay = time.perf_counter() - started
    took, ran = naive(project, compiled, naive_days)
    per_year = took / ran * 365
    mark = "" if ran >= 365 else "~"
    everything = 365 * report.leads
    print(f"\n{compiled.definition.name}: {report.leads:,} leads, 365 days")
    print(f"  one scoring            {one:8.2f} s")
    print(
        f"  backtest (365 days)    {replay:8.2f} s  = {replay / one:5.1f}x one scoring; "
        f"{result.pairs:,} pairs of {everything:,} ({result.pairs / everything:.0%})"
    )
    print(
        f"  naive (365 scorings)  {mark}{per_year:8.2f} s  = {per_year / one:5.1f}x one scoring "
        f"({ran} run{'s' if ran > 1 else ''}{', scaled to 365' if mark else ''})"
    )
    print(f"  backtest / naive       {replay / per_year:8.3f}")
    print(f"  backtest phases (s)    {result.phases}")
    print(f"  replay                 {result.replay}")
    print(f"  MQLs {result.mqls:,}, precision {result.precision}, recall {result.recall}")
    # Linux: KiB. The process's peak so far (the scorings, the backtest, DuckDB's buffers).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"  peak memory (process, so far) {peak:.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--naive-days", type=int, default=365)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--files", type=Path, help="gen_data.py's folder (instead of --leads)")
    parser.add_argument("--store", type=Path, help="where to build the --files project")
    parser.add_argument(
        "--only",
        choices=["b2b-saas", "flat", "windowed", "decayed"],
        action="append",
        help="only this definition (repeatable)",
    )
    args = parser.parse_args()
    if args.files is not None:
        project = build_from_files(args.files, args.store or DATA / f"backtest_{args.files.name}")
    else:
        project = build(args.leads)
    if args.build_only:
        return
    others = [load_compiled(text=text) for text in (FLAT, WINDOWED, DECAYED)]
    for compiled in (project.compiled(), *others):
        if args.only is None or compiled.definition.name in args.only:
            run(project, compiled, args.naive_days)


if __name__ == "__main__":
    main()
