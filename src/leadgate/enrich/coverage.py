"""Coverage: how many leads each rule cannot judge, before and after enrichment.

Missing data is unknown, not false (DESIGN invariant 6): a rule that reads a NULL field
neither adds nor subtracts, so the share of leads it cannot judge is what tells a RevOps
person whether the rule is doing anything. Enrichment exists to shrink that share; this
module shows by how much.

A rule cannot judge a lead when any field it reads is NULL, or the column does not exist.
"Before enrichment" counts a value that enrichment wrote (its name is in the row's
``enriched`` list) as missing; "after" counts only what is still NULL. A field named
``account.x`` is the column ``x`` of the lead's account (``leads.account_id``): it is
missing before enrichment also when enrichment linked the account.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from ..store import Store
from .fill import ENRICHED, quote, run


@dataclass(frozen=True)
class CoverageRow:
    """One rule's coverage over all leads."""

    rule: str
    fields: tuple[str, ...]
    leads: int
    not_judged_before: int
    not_judged_after: int

    @property
    def pct_not_judged_before(self) -> float:
        return 100.0 * self.not_judged_before / self.leads if self.leads else 0.0

    @property
    def pct_not_judged_after(self) -> float:
        return 100.0 * self.not_judged_after / self.leads if self.leads else 0.0


def _missing(store: Store, field: str) -> tuple[str, str]:
    """SQL conditions (missing before enrichment, missing after) for one field."""
    if field.startswith("account."):
        table, alias, column = "accounts", "a", field.split(".", 1)[1]
    else:
        table, alias, column = "leads", "l", field
    columns = {c.lower(): c for c in store.table_columns(table)}
    if column.lower() not in columns:
        return "TRUE", "TRUE"
    col = f"{alias}.{quote(columns[column.lower()])}"
    after = f"{col} IS NULL"
    by_us = ""
    if ENRICHED in columns:
        lit = "'" + columns[column.lower()].replace("'", "''") + "'"
        by_us = f" OR list_contains(coalesce({alias}.{ENRICHED}, []), {lit})"
    before = f"{col} IS NULL{by_us}"
    if table == "accounts":
        linked = ""
        if ENRICHED in {c.lower() for c in store.table_columns("leads")}:
            linked = f" OR list_contains(coalesce(l.{ENRICHED}, []), 'account_id')"
        before = f"({before}{linked})"
    return before, after


def coverage(store: Store, rules: Mapping[str, Collection[str]]) -> list[CoverageRow]:
    """For each rule (name → lead fields it reads), the leads it cannot judge.

    One pass over ``leads`` (left-joined to ``accounts`` when a rule reads ``account.x``)
    computes every rule's counts together.

    >>> store = Store(":memory:")
    >>> _ = store.execute("INSERT INTO leads (lead_id, email, title) VALUES "
    ...                   "('1', 'ana@acme.com', 'VP Sales'), ('2', 'bo@gmail.com', NULL)")
    >>> from .pipeline import enrich_leads; _ = enrich_leads(store)
    >>> [(r.rule, r.not_judged_before, r.not_judged_after)
    ...  for r in coverage(store, {"senior": ["seniority"], "size": ["account.company_size"]})]
    [('senior', 2, 1), ('size', 2, 2)]
    """
    rows = []
    exprs = []
    for rule, fields in rules.items():
        conds = [_missing(store, f) for f in fields]
        before = " OR ".join(f"({b})" for b, _ in conds) or "FALSE"
        after = " OR ".join(f"({a})" for _, a in conds) or "FALSE"
        exprs.append(f"count(*) FILTER (WHERE {before}), count(*) FILTER (WHERE {after})")
        rows.append((rule, tuple(fields)))
    if not rows:
        return []
    uses_accounts = any(f.startswith("account.") for _, fs in rows for f in fs)
    join = " LEFT JOIN accounts a ON a.account_id = l.account_id" if uses_accounts else ""
    counts = run(store, f"SELECT count(*), {', '.join(exprs)} FROM leads l{join}")[0]
    total = int(counts[0])
    return [
        CoverageRow(rule, fields, total, int(counts[1 + 2 * i]), int(counts[2 + 2 * i]))
        for i, (rule, fields) in enumerate(rows)
    ]


__all__ = ["CoverageRow", "coverage"]
