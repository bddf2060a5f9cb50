"""Benchmark the routing read of a run's MQLs (issue #9): one query for all, beside one per lead.

    .venv/bin/python bench/bench_routing_read.py                # 10,000 waiting MQLs
    .venv/bin/python bench/bench_routing_read.py --leads 2000   # a quick check

A store of synthetic leads, half with an account, scored by a fit-only definition, every
sales-tier lead an MQL that nobody owns. Printed side by side, in the same run: the read as
it was (``lead_values`` per lead: an accounts query and a scores query for each, the
baseline), the set-based read (``leads_values``: one query for every waiting lead), and the
whole routing run (read, assign, store) that a scoring run now makes in its transaction.
Both reads must give the same values, lead by lead; the script stops if they do not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

from leadgate.clock import FixedClock
from leadgate.definition import CompiledDefinition, load_compiled
from leadgate.expr.interpret import typed
from leadgate.handoff.routing import ACCOUNT_OWNER, load_setup
from leadgate.handoff.routing_store import leads_values, route_waiting, unassigned_mqls
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
    - {name: fin, when: account.industry = 'finance', points: 5}
tiers:
  - {name: hot, when: score >= 50, sla: 1h}
  - {name: warm, when: score >= 20, sales: false}
"""
REPS = [{"name": f"rep{i}", "teams": ["ae"], "weight": 1 + i % 3} for i in range(8)]
RULES = {
    "rules": [
        {"name": "owner", "to": "account_owner"},
        {"name": "big", "when": "company_size >= 900", "to": "rep:rep0"},
        {"name": "everyone", "to": "team:ae"},
    ]
}
T0 = dt.datetime(2026, 3, 2, 10, 0)


def per_lead(store: Store, compiled: CompiledDefinition, lead: dict[str, Any]) -> dict[str, Any]:
    """The read before this change: two queries for each lead (the baseline)."""
    accounts = (
        store.query("SELECT * FROM accounts WHERE account_id = ?", [lead["account_id"]])
        if lead.get("account_id")
        else []
    )
    row = lead | {f"account.{k}": v for k, v in (accounts[0] if accounts else {}).items()}
    values = {name: typed(kind, row.get(name)) for name, kind in compiled.fields.items()}
    scores = store.query(
        "SELECT fit, engagement, total AS score, grade, band, tier, route FROM scores "
        "WHERE lead_id = ? AND definition_hash = ? ORDER BY as_of DESC LIMIT 1",
        [lead["lead_id"], compiled.hash],
    )
    values.update(scores[0] if scores else dict.fromkeys(("tier", "route")))
    values["lead_id"] = lead["lead_id"]
    values[ACCOUNT_OWNER] = accounts[0].get("owner") if accounts else None
    return values


def fill(store: Store, leads: int) -> None:
    store.execute("ALTER TABLE accounts ADD COLUMN owner VARCHAR")
    store.execute(
        "INSERT INTO accounts (account_id, domain, industry, owner) SELECT 'a' || i || '.com', "
        "'a' || i || '.com', CASE WHEN i % 4 = 0 THEN 'finance' END, "
        "CASE WHEN i % 5 = 0 THEN 'rep' || (i % 8) END FROM range(?) t(i)",
        [leads // 10],
    )
    store.execute(
        "INSERT INTO leads (lead_id, email, company_size, account_id) SELECT 'l' || i, "
        "'l' || i || '@example.com', (i * 7919) % 1000, "
        "CASE WHEN i % 2 = 0 THEN 'a' || (i % ?) || '.com' END FROM range(?) t(i)",
        [leads // 10, leads],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=20_000, help="leads (about half MQLs)")
    args = parser.parse_args()
    compiled = load_compiled(text=DEFINITION)
    setup = load_setup(REPS, RULES)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.duckdb", clock=FixedClock(T0))
        fill(store, args.leads)
        score_store(store, compiled, T0)
        enter_mql(store, compiled.hash, T0, ["hot"])
        waiting = store.query(f"SELECT l.* FROM ({unassigned_mqls(store)}) w "
                              "JOIN leads l USING (lead_id) ORDER BY w._lg_order")  # fmt: skip
        started = time.perf_counter()
        before = [per_lead(store, compiled, lead) for lead in waiting]
        old = time.perf_counter() - started
        started = time.perf_counter()
        after = leads_values(store, compiled, unassigned_mqls(store), [], "owner")
        new = time.perf_counter() - started
        if before != after:
            raise SystemExit("the set-based read differs from the per-lead read")
        started = time.perf_counter()
        with store.atomic():
            routed = route_waiting(store, setup, compiled, FixedClock(T0).now(), apply=True)
        run = time.perf_counter() - started
        store.close()
    print(f"{args.leads:,} leads, {len(waiting):,} MQLs waiting (same values both ways)")
    print(f"{'read per lead (baseline)':<34}{old:>8.2f}s")
    print(f"{'read set-based (one query)':<34}{new:>8.2f}s   {old / new:>6.1f}x faster")
    print(f"{'whole routing run (read+assign+store)':<34}{run:>8.2f}s   "
          f"{sum(r.routed for r in routed):,} routed")  # fmt: skip


if __name__ == "__main__":
    main()
