"""Write a large synthetic dataset as Parquet, streaming, for benchmarks.

    .venv/bin/python bench/gen_data.py --leads 1000000 --events 50000000 --out bench/.data/big

Accounts and leads are generated in memory (a million leads is a few hundred MB); events
are generated for one slice of leads at a time (a few million events a chunk) and appended
to ``events.parquet`` with a ``ParquetWriter`` row group a chunk, so the 50 million events
are never all in memory. The generator functions are the ones ``leadgate.testing.generate``
uses, so the big data has the same shape as the test data; outcomes and the truth are not
written (they need the whole event history at once; use ``generate()`` for those).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from leadgate.testing.data import FILE_COLUMNS, to_arrow, write_table
from leadgate.testing.generate import make_accounts, make_events, make_leads


def _slice(columns: dict, lo: int, hi: int) -> dict:
    return {k: v[lo:hi] for k, v in columns.items()}


def _peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux: the whole process's peak, numpy and Arrow buffers included.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=50_000_000, help="about this many events")
    ap.add_argument("--accounts", type=int, default=None, help="default: leads / 10")
    ap.add_argument("--chunk-events", type=int, default=4_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--end", default="2026-01-01")
    ap.add_argument("--out", type=Path, default=Path("bench/.data/big"))
    args = ap.parse_args(argv)

    started = time.perf_counter()
    end = dt.datetime.fromisoformat(args.end)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    ignore = out.parent / ".gitignore"
    if out.parent.name == ".data" and not ignore.exists():
        ignore.write_text("*\n")  # generated data never goes into git
    rng = np.random.default_rng(args.seed)

    n_acc = args.accounts or max(args.leads // 10, 1)
    accounts = make_accounts(rng, n_acc, end, args.months)
    write_table(to_arrow(accounts, FILE_COLUMNS["accounts"]), out / "accounts.parquet", "parquet")
    leads = make_leads(rng, accounts, args.leads, end, args.months)
    write_table(to_arrow(leads, FILE_COLUMNS["leads"]), out / "leads.parquet", "parquet")
    t_people = time.perf_counter() - started
    print(f"accounts {n_acc:,}, leads {args.leads:,}: {t_people:.1f}s", flush=True)

    target_per_lead = args.events / args.leads
    per_lead = target_per_lead  # adjusted after each chunk to land on --events overall
    chunk_leads = max(1, int(args.chunk_events / target_per_lead))
    written, writer = 0, None
    try:
        for lo in range(0, args.leads, chunk_leads):
            hi = min(lo + chunk_leads, args.leads)
            part = _slice(leads, lo, hi)
            events = make_events(rng, part, end, args.months, per_lead=per_lead, first_id=written)
            table = to_arrow(events, FILE_COLUMNS["events"])
            if writer is None:
                writer = pq.ParquetWriter(out / "events.parquet", table.schema, compression="zstd")
            writer.write_table(table)
            written += table.num_rows
            # Events per lead are not exactly per_lead (lifetimes, bursts): correct the rate.
            made_per_lead = table.num_rows / (hi - lo)
            remaining = args.events - written
            if hi < args.leads and made_per_lead > 0:
                per_lead *= (remaining / (args.leads - hi)) / made_per_lead
            print(
                f"  events {written:,} ({hi:,} leads, {time.perf_counter() - started:.1f}s, "
                f"peak {_peak_rss_mib():,.0f} MiB)",
                flush=True,
            )
    finally:
        if writer is not None:
            writer.close()

    took = time.perf_counter() - started
    sizes = {p.name: p.stat().st_size / 2**20 for p in sorted(out.glob("*.parquet"))}
    print(f"done in {took:.1f}s: {written:,} events, {args.leads:,} leads, {n_acc:,} accounts")
    print("files: " + ", ".join(f"{k} {v:,.1f} MiB" for k, v in sizes.items()))
    print(f"peak memory {_peak_rss_mib():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
