"""Benchmark the leads import, enrichment included, against DuckDB alone (issue #7).

    .venv/bin/python bench/bench_leads.py                  # 1,000,000 leads
    .venv/bin/python bench/bench_leads.py --leads 100000   # a quicker run

Generates the leads once with ``gen_data.py`` (same shape as the test data: ~90k company
domains, ~94k email domains, ~660 titles) under bench/.data/leads_<n>/, plus a copy with
10 % of the rows changed (title and source). Three phases, each timed in the same child
process that keeps its store (the re-imports need the stored leads):

1. a first import into an empty store;
2. a re-import of the same file (nothing changes);
3. an import of the file with 10 % of the rows changed.

Three children run them, each in its own process, so peak RSS (``os.wait4``) is each one's:

* ``leadgate``: ``import_file(store, path, "leads")`` with enrichment, memory limit 3.5GB;
* ``plain``: DuckDB's own ``INSERT INTO leads SELECT ... FROM read_parquet`` (no checks,
  no enrichment; the re-imports as ``INSERT ... ON CONFLICT DO UPDATE``): the floor;
* ``hand``: hand-written set-based SQL doing the same enrichment (domains normalised and
  classified once per distinct domain, titles once per distinct title, accounts created,
  one INSERT of the enriched rows; the re-imports write only rows that differ), without
  leadgate's checks, rejects, batches or ``enriched`` bookkeeping on stored rows. Its
  results are compared with leadgate's: the "same" column must say yes.

Target: >= 50,000 leads/s end to end for each phase. Timings on a shared machine are noisy:
compare each figure with the baselines printed beside it; ``--repeat N`` keeps each phase's
best of N runs (the three children take turns, so all see the same load).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from leadgate.enrich.domains import (  # noqa: E402
    NON_COMPANY_TYPES,
    classify_domains_sql,
    load_domain_lists,
    normalise_domain_sql,
)
from leadgate.enrich.titles import title_sql  # noqa: E402
from leadgate.ingest import import_file  # noqa: E402
from leadgate.project import DEFAULT_MEMORY_LIMIT  # noqa: E402
from leadgate.store import Store  # noqa: E402

TARGET = 50_000
PHASES = ("first", "reimport", "changed")
FILE_COLS = (
    "email, first_name, last_name, title, company, country, source, created_at, persona, "
    "form_answer"
)
# What both leadgate and the hand-written SQL must agree on, lead by lead.
CHECK = (
    "SELECT count(*), sum(hash(lead_id, email_domain, email_domain_type, seniority, "
    "department, title_flag, account_id, company_domain, title)) FROM leads"
)


def generate(n: int, data: Path) -> dict[str, Path]:
    out = data / f"leads_{n}"
    files = {"first": out / "leads.parquet", "changed": out / "leads_changed.parquet"}
    if not files["first"].exists():
        subprocess.run(
            [sys.executable, str(HERE / "gen_data.py"), "--leads", str(n), "--events", "1000",
             "--out", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
    if not files["changed"].exists():
        changed = "hash(lead_id) % 10 = 0"
        duckdb.sql(
            f"COPY (SELECT * REPLACE ("
            f"CASE WHEN {changed} THEN 'Head of ' || coalesce(title, 'Sales') ELSE title END "
            f"AS title, CASE WHEN {changed} THEN coalesce(source, 'web') || '-2' ELSE source "
            f"END AS source) FROM read_parquet('{files['first']}')) "
            f"TO '{files['changed']}' (FORMAT parquet)"
        )
    files["reimport"] = files["first"]
    return files


def fresh_store(path: Path) -> Store:
    for p in (path, path.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    return Store(path, memory_limit=DEFAULT_MEMORY_LIMIT)


def run_leadgate(store: Store, path: Path) -> dict[str, Any]:
    report = import_file(store, path, "leads")
    return {"loaded": report.rows_loaded, "rejected": report.rows_rejected}


def run_plain(store: Store, path: Path, upsert: bool) -> dict[str, Any]:
    cols = f"lead_id, {FILE_COLS}, company_domain"
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols.split(", ")[1:])
    conflict = f"ON CONFLICT (lead_id) DO UPDATE SET {sets}" if upsert else ""
    store.execute(f"INSERT INTO leads ({cols}) SELECT {cols} FROM read_parquet(?) {conflict}",
                  [str(path)])  # fmt: skip
    return {}


def run_hand(store: Store, path: Path, upsert: bool) -> dict[str, Any]:
    """The same enrichment as one would write it by hand, set-based, in a few statements."""
    non_company = ", ".join(f"'{t}'" for t in sorted(NON_COMPANY_TYPES))
    ex = store.execute
    ex(
        f"CREATE OR REPLACE TEMP TABLE f AS SELECT * REPLACE (lower(email) AS email) FROM (SELECT "
        f"lead_id, visitor_id, {FILE_COLS}, company_domain AS raw_company, "
        "CASE WHEN email LIKE '%@%' THEN string_split(lower(email), '@')[-1] END AS raw_email "
        "FROM read_parquet(?))",
        [str(path)],
    )
    ex(
        f"CREATE OR REPLACE TEMP TABLE norm AS SELECT raw, {normalise_domain_sql('raw')} AS "
        "domain FROM (SELECT raw_email AS raw FROM f UNION SELECT raw_company FROM f)"
    )
    load_domain_lists(store)
    ex(f"CREATE OR REPLACE TEMP TABLE dt AS {classify_domains_sql('SELECT domain FROM norm')}")
    ex(
        f"CREATE OR REPLACE TEMP TABLE tc AS SELECT title, {title_sql('seniority')} AS "
        f"seniority, {title_sql('department')} AS department, {title_sql('flag')} AS "
        "title_flag FROM (SELECT DISTINCT title FROM f WHERE title IS NOT NULL)"
    )
    ex(
        "CREATE OR REPLACE TEMP TABLE e AS SELECT f.* EXCLUDE (raw_company, raw_email), "
        "ne.domain AS email_domain, nc.domain AS company_domain, de.domain_type AS "
        "email_domain_type, tc.seniority, tc.department, tc.title_flag, "
        f"CASE WHEN dc.domain_type NOT IN ({non_company}) THEN nc.domain "
        f"WHEN de.domain_type NOT IN ({non_company}) THEN ne.domain END AS account_id "
        "FROM f LEFT JOIN norm ne ON ne.raw = f.raw_email LEFT JOIN norm nc ON nc.raw = "
        "f.raw_company LEFT JOIN dt de ON de.domain = ne.domain LEFT JOIN dt dc ON "
        "dc.domain = nc.domain LEFT JOIN tc ON tc.title = f.title"
    )
    ex(
        "INSERT INTO accounts (account_id, domain, created_at, updated_at) SELECT DISTINCT "
        "account_id, account_id, now()::TIMESTAMP, now()::TIMESTAMP FROM e WHERE account_id "
        "IS NOT NULL AND account_id NOT IN (SELECT account_id FROM accounts)"
    )
    ex(
        "INSERT INTO visitor_links SELECT visitor_id, arg_min(lead_id, lead_id), NULL FROM f "
        "WHERE visitor_id IS NOT NULL AND visitor_id NOT IN (SELECT visitor_id FROM "
        "visitor_links) GROUP BY visitor_id"
    )
    fields = ("email_domain", "email_domain_type", "seniority", "department", "title_flag",
              "account_id")  # fmt: skip
    cols = [c for c in store.table_columns("e") if c not in ("lead_id", "visitor_id")]
    names = ", ".join(f"CASE WHEN e.{f} IS NOT NULL THEN '{f}' END" for f in fields)
    picks = ", ".join(f"e.{c}" for c in cols)
    enriched = f"list_filter([{names}], lambda x: x IS NOT NULL)"
    if not upsert:
        ex(f"INSERT INTO leads (lead_id, {', '.join(cols)}, enriched) "
           f"SELECT e.lead_id, {picks}, {enriched} FROM e")  # fmt: skip
        return {}
    differs = " OR ".join(f"e.{c} IS DISTINCT FROM t.{c}" for c in cols)
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols)
    ex(
        f"INSERT INTO leads (lead_id, {', '.join(cols)}) SELECT e.lead_id, {picks} FROM e "
        f"LEFT JOIN leads t USING (lead_id) WHERE t.lead_id IS NULL OR {differs} "
        f"ON CONFLICT (lead_id) DO UPDATE SET {sets}"
    )
    return {}


def child(kind: str, files: dict[str, Path], db: Path) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with fresh_store(db) as store:
        if kind != "leadgate":  # the columns leadgate adds: custom ones and enrichment's
            extra = ("persona", "form_answer", "title_flag")
            store.add_columns("leads", {"enriched": "VARCHAR[]", **dict.fromkeys(extra, "VARCHAR")})
        for phase in PHASES:
            started = time.perf_counter()
            if kind == "leadgate":
                result[phase] = run_leadgate(store, files[phase])
            elif kind == "plain":
                result[phase] = run_plain(store, files[phase], phase != "first")
            else:
                result[phase] = run_hand(store, files[phase], phase != "first")
            result[phase]["seconds"] = time.perf_counter() - started
            if kind != "plain" and phase == "first":
                result["check"] = list(store.execute(CHECK).fetchall()[0])
                result["accounts"] = store.scalar("SELECT count(*) FROM accounts")
    for p in (db, db.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    return result


def run_child(argv: list[str]) -> tuple[dict[str, Any], int]:
    """Run a child; return its JSON result and its own peak RSS in bytes (``os.wait4``)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=HERE / ".data")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    files = generate(args.leads, args.data)
    if args.child:
        print(json.dumps(child(args.child, files, args.data / f"bench_leads_{args.child}.duckdb")))
        return 0
    one, five, _ = os.getloadavg()
    print(f"{args.leads:,} leads from Parquet, memory limit {DEFAULT_MEMORY_LIMIT}; load "
          f"average {one:.2f} / {five:.2f} on {os.cpu_count()} CPUs")  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    rss: dict[str, int] = {}
    argv = [sys.executable, __file__, "--leads", str(args.leads), "--data", str(args.data)]
    for _ in range(args.repeat):  # the kinds take turns, so that all see the same load
        for kind in ("plain", "hand", "leadgate"):
            got, peak = run_child([*argv, "--child", kind])
            rss[kind] = max(rss.get(kind, 0), peak)
            best = results.setdefault(kind, got)
            for phase in PHASES:
                if got[phase]["seconds"] < best[phase]["seconds"]:
                    best[phase] = got[phase]
    ours, hand, plain = results["leadgate"], results["hand"], results["plain"]
    same = (
        "yes" if ours["check"] == hand["check"] and ours["accounts"] == hand["accounts"] else "NO"
    )
    print(f"\n{'phase':10} {'leadgate s':>10} {'leads/s':>10} {'hand SQL s':>10} "
          f"{'DuckDB INSERT s':>15} {'vs hand':>8} {'target':>8}  result")  # fmt: skip
    failed = False
    for phase in PHASES:
        s = ours[phase]["seconds"]
        rate = args.leads / s
        ok = rate >= TARGET
        failed |= not ok
        print(f"{phase:10} {s:10.2f} {rate:10,.0f} {hand[phase]['seconds']:10.2f} "
              f"{plain[phase]['seconds']:15.2f} {s / hand[phase]['seconds']:7.2f}x "
              f"{TARGET:8,}  {'PASS' if ok else 'FAIL'}")  # fmt: skip
    print(f"\nsame enrichment as the hand-written SQL (leads, hash of enriched fields, accounts): "
          f"{same}")  # fmt: skip
    print("peak RSS: " + ", ".join(f"{k} {v / 2**30:.2f} GiB" for k, v in rss.items()))
    one, five, _ = os.getloadavg()
    print(f"after: load average {one:.2f} / {five:.2f}")
    return 1 if failed or same != "yes" else 0


if __name__ == "__main__":
    sys.exit(main())
