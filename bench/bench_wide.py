"""Benchmark of importing wide leads files: many custom columns (issue #8, "wide files hang").

For each width (columns) it writes a leads CSV of ``--rows`` rows: ``email`` and ``width - 1``
custom columns, a third whole numbers, a third decimals and a third text. Then, in the same
run on the same file:

* **leadgate**: ``import_file(store, path, "leads", enrich=False)`` into a new store file
  (typing every custom column, adding it to ``leads``, checking and loading every value);
* **baseline**: DuckDB alone, ``CREATE TABLE t AS SELECT * FROM read_csv(path)`` with its
  own type detection, into a new database file.

The ratio leadgate/baseline is the figure to compare across runs: the machine is shared.
Usage: python bench/bench_wide.py [--widths 100,1000,2000] [--rows 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from leadgate.ingest import import_file
from leadgate.store import Store


def write_csv(path: Path, width: int, rows: int) -> None:
    header = ["email"] + [f"c{j}" for j in range(1, width)]
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(header) + "\n")
        for i in range(rows):
            cells = [f"p{i}@acme.com"]
            for j in range(1, width):
                kind = j % 3
                cells.append(str(i + j) if kind == 0 else f"{i}.{j}" if kind == 1 else f"t{j}")
            out.write(",".join(cells) + "\n")


def time_leadgate(path: Path, tmp: Path) -> float:
    started = time.perf_counter()
    with Store(tmp / f"lg_{path.stem}.duckdb") as store:
        report = import_file(store, path, "leads", enrich=False)
    assert report.rows_rejected == 0, report.rejects[:3]
    return time.perf_counter() - started


def time_duckdb(path: Path, tmp: Path) -> float:
    started = time.perf_counter()
    con = duckdb.connect(str(tmp / f"dd_{path.stem}.duckdb"))
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
    con.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="100,1000,2000")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    print(f"{'columns':>8} {'rows':>7} {'leadgate s':>11} {'duckdb s':>9} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for width in (int(w) for w in args.widths.split(",")):
            path = tmp / f"wide_{width}.csv"
            write_csv(path, width, args.rows)
            base = time_duckdb(path, tmp)
            ours = time_leadgate(path, tmp)
            print(f"{width:>8} {args.rows:>7} {ours:>11.2f} {base:>9.2f} {ours / base:>6.1f}")


if __name__ == "__main__":
    main()
