"""Benchmark of value maps: what translating a CRM's words costs an import (issue #8, defect 3).

It writes a leads CSV of ``--rows`` rows with two stage columns: ``stage`` holds leadgate's
own words (``mql``), ``Lifecycle Stage`` HubSpot's labels in assorted case and spacing
(``Marketing Qualified Lead``, `` sales  qualified LEAD``). Then, in the same run, taking
turns, best of ``--repeat``, each into a new store file without enrichment:

* **baseline**: ``import_file`` with no preset: ``stage`` is stored as it is and
  ``Lifecycle Stage`` is kept as the custom attribute ``lifecycle_stage``;
* **mapped**: ``import_file`` with ``preset="hubspot_contacts"``: every stage comes from
  ``Lifecycle Stage`` through HubSpot's lifecycle map (the label is kept as
  ``lifecycle_stage`` all the same; the file's ``stage`` column is ignored).

Both store the same columns, so the difference is the map. The ratio mapped/baseline is the
figure to compare across runs (the machine is shared). Then the same for outcomes: a
``won``/``lost`` column against a ``1``/``0`` one, both through the default outcome map.
Usage: python bench/bench_values.py [--rows 500000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from leadgate.ingest import import_file
from leadgate.store import Store

LABELS = [
    ("Lead", "lead"),
    ("Marketing Qualified Lead", "mql"),
    (" sales  qualified LEAD", "sql"),
    ("Opportunity", "opportunity"),
    ("customer", "won"),
]


def write(path: Path, header: str, rows: int, cell: Any) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for i in range(rows):
            out.write(f"{i},p{i}@acme.com,{cell(i)}\n")
    return path


def timed(tmp: Path, name: str, path: Path, kind: str, **options: Any) -> float:
    store_path = tmp / f"{name.replace('/', '_')}.duckdb"
    store_path.unlink(missing_ok=True)
    started = time.perf_counter()
    with Store(store_path) as store:
        report = import_file(store, path, kind, enrich=False, **options)
    assert report.rows_rejected == 0, report.rejects[:3]
    return time.perf_counter() - started


def compare(tmp: Path, repeat: int, label: str, runs: dict[str, tuple[Path, str, dict[str, Any]]]):
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, (path, kind, options) in runs.items():
            best[name] = min(best[name], timed(tmp, name, path, kind, **options))
    (first, base), (second, other) = best.items()
    print(f"{label}: {first} {base:.2f} s, {second} {other:.2f} s, ratio {other / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        n = len(LABELS)
        both = write(
            tmp / "stages.csv",
            "Record ID,Email,stage,Lifecycle Stage",
            args.rows,
            lambda i: f"{LABELS[i % n][1]},{LABELS[i % n][0]}",
        )
        compare(tmp, args.repeat, f"leads, {args.rows:,} rows", {
            "baseline": (both, "leads", {"mapping": {"lead_id": "Record ID"}}),
            "mapped": (both, "leads", {"preset": "hubspot_contacts"}),
        })  # fmt: skip
        when = {"outcome_time": "2025-06-30", "mapping": {"lead_id": "Record ID", "outcome": "y"}}
        words = write(
            tmp / "words.csv",
            "Record ID,Email,y",
            args.rows,
            lambda i: "won" if i % 9 == 0 else "lost",
        )
        ones = write(tmp / "ones.csv", "Record ID,Email,y", args.rows, lambda i: int(i % 9 == 0))
        compare(tmp, args.repeat, f"outcomes, {args.rows:,} rows", {
            "won/lost": (words, "outcomes", when),
            "1/0": (ones, "outcomes", when),
        })  # fmt: skip


if __name__ == "__main__":
    main()
