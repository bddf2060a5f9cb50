"""Benchmark ``leadgate calibrate`` on a large lead table: time and peak memory.

    .venv/bin/python bench/bench_calibrate.py                    # 1,000,000 leads
    .venv/bin/python bench/bench_calibrate.py --leads 100000

The table is a CRM export with a known truth: a plan, a company size, a region (no effect),
an industry, visits and pricing-page views, a created_at over two years, and a 0/1
``converted`` column drawn from a logistic model of them. It is written as Parquet and
imported through the normal importer (built once per size in ``bench/.data/``). Then, each
in its own child process so the peak memory (``ru_maxrss``) is that step's alone:

* **one scoring**: ``leadgate score`` of the same store (the baseline of the same run);
* **calibrate**: ``Project.calibrate(outcome="converted")``, time-ordered by created_at.

Targets (the issue): calibration of 1,000,000 leads in under 2 minutes, peak memory under
4 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).parent / ".data"
AS_OF = dt.datetime(2027, 1, 1)


def make_table(n: int, seed: int = 5) -> pa.Table:
    rng = np.random.default_rng(seed)
    plan = rng.choice(["free", "pro", "enterprise"], n, p=[0.5, 0.3, 0.2])
    size = np.round(10 ** rng.uniform(0.5, 4.0, n)).astype(np.int64)
    region = rng.choice(["north", "south", "east", "west", "apac", "latam"], n)
    industry = rng.choice([f"industry {i}" for i in range(12)], n)
    visits = rng.poisson(4, n)
    pricing = rng.poisson(1.2, n)
    created = np.datetime64("2024-10-01") + rng.integers(0, 730 * 86_400, n).astype(
        "timedelta64[s]"
    )
    logit = (-3.2 + 1.6 * (plan == "enterprise") + 0.8 * (plan == "pro")
             + 0.6 * np.log10(size) + 0.9 * (pricing >= 3) + 0.05 * visits
             + 0.3 * (industry == "industry 3"))  # fmt: skip
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pa.table({
        "lead_id": [f"B{i:07d}" for i in range(n)], "created_at": created, "plan": plan,
        "size": size, "region": region, "industry": industry, "visits": visits,
        "pricing_views": pricing, "converted": converted.astype(np.int8),
    })  # fmt: skip


def build(n: int) -> Path:
    """The project for ``n`` leads, imported once."""
    from leadgate.clock import FixedClock
    from leadgate.project import init_project

    root = DATA / f"calibrate_{n}"
    if (root / "p" / "leadgate.duckdb").is_file() and (root / "done").is_file():
        return root / "p"
    root.mkdir(parents=True, exist_ok=True)
    path = root / "leads.parquet"
    pq.write_table(make_table(n), path)
    project = init_project(root / "p", clock=FixedClock(AS_OF))
    started = time.perf_counter()
    report = project.import_file(path, "leads", timezone="UTC")
    print(f"imported {report.rows_loaded:,} leads in {time.perf_counter() - started:.1f}s")
    (root / "done").write_text("ok")
    return root / "p"


def step(kind: str, folder: str) -> None:
    """Run one step in this (child) process and print its figures as JSON."""
    from leadgate.clock import FixedClock
    from leadgate.project import Project

    project = Project.open(folder, clock=FixedClock(AS_OF))
    started = time.perf_counter()
    extra: dict[str, object] = {}
    if kind == "score":
        project.score(AS_OF)
    else:
        result = project.calibrate(outcome="converted")
        extra = {"auc": result.auc, "leads": result.leads, "split": result.split}
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB → GiB
    print(json.dumps({"step": kind, "seconds": round(seconds, 1),
                      "peak_gib": round(peak, 2), **extra}))  # fmt: skip


def child(kind: str, folder: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--step", kind, "--folder", str(folder)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--step", choices=["score", "calibrate"])
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.step:
        step(args.step, args.folder)
        return
    folder = build(args.leads)
    scoring = child("score", folder)
    calibration = child("calibrate", folder)
    print(f"{args.leads:,} leads")
    print(f"  one scoring : {scoring['seconds']:>7}s  peak {scoring['peak_gib']} GiB")
    print(f"  calibrate   : {calibration['seconds']:>7}s  peak {calibration['peak_gib']} GiB "
          f"({calibration['split']}; AUC {calibration['auc']})")  # fmt: skip


if __name__ == "__main__":
    main()
