"""Coverage: for each rule, how many leads it could not judge, before and after enrichment.

A rule could not judge a lead when its condition is unknown (three-valued logic: a field it
needs is missing and nothing else settles it). This is counted exactly, by running the
definition's own plan and counting NULL verdicts, so ``seniority = 'vp' or
account.is_customer = true`` is judged whenever either side is known. "Before enrichment"
runs the same plan over the leads with every value enrichment filled set back to NULL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..definition.compile import CompiledDefinition
from ..store import Store
from . import names
from .plans import Tables
from .sql import plan_sql


@dataclass(frozen=True)
class RuleCoverage:
    rule: str
    kind: str  # fit | engagement | disqualifier
    fields: tuple[str, ...]
    leads: int
    not_judged_before: int
    not_judged_after: int

    @property
    def pct_before(self) -> float:
        return 100.0 * self.not_judged_before / self.leads if self.leads else 0.0

    @property
    def pct_after(self) -> float:
        return 100.0 * self.not_judged_after / self.leads if self.leads else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "fields": list(self.fields),
            "leads": self.leads,
            "not_judged_before": self.not_judged_before,
            "not_judged_after": self.not_judged_after,
            "pct_before": round(self.pct_before, 1),
            "pct_after": round(self.pct_after, 1),
        }


def _unenriched_view(store: Store, c: CompiledDefinition) -> str:
    """A view of ``leads`` as imported: values enrichment filled are NULL again."""
    columns = store.table_columns("leads")
    if "enriched" not in columns:
        return "leads"
    replaced = [
        f'CASE WHEN list_contains(enriched, \'{name}\') THEN NULL ELSE "{name}" END AS "{name}"'
        for name in sorted(c.fields_used | {"account_id"})
        if name in columns
    ]
    if not replaced:
        return "leads"
    store.execute(
        f"CREATE OR REPLACE TEMP VIEW leads_unenriched AS "
        f"SELECT * REPLACE ({', '.join(replaced)}) FROM leads"
    )
    return "leads_unenriched"


def _null_counts(store: Store, c: CompiledDefinition, as_of: dt.datetime, leads: str) -> list[int]:
    plan = plan_sql(
        c,
        as_of,
        lead_columns=store.table_columns("leads"),
        account_columns=store.table_columns("accounts"),
        tables=Tables(leads=leads),
    )
    cols = [names.fit_rule(i) for i in range(len(c.fit_rules))]
    cols += [names.engagement_rule(i) for i in range(len(c.engagement_rules))]
    cols += [names.disqualifier(i) for i in range(len(c.disqualifiers))]
    if not cols:
        return []
    counts = ", ".join(f"count(*) FILTER (WHERE {col} IS NULL)" for col in cols)
    row = store.execute(f"SELECT {counts} FROM ({plan}) p").fetchall()[0]
    return [int(v) for v in row]


def rule_coverage(store: Store, c: CompiledDefinition, as_of: dt.datetime) -> list[RuleCoverage]:
    """Every fit rule, engagement rule and disqualifier with its not-judged counts, before
    and after enrichment."""
    leads = int(store.scalar("SELECT count(*) FROM leads") or 0)
    after = _null_counts(store, c, as_of, "leads")
    before = _null_counts(store, c, as_of, _unenriched_view(store, c))
    rules = [(r.name, "fit", r.expr.fields) for r in c.fit_rules]
    rules += [(r.name, "engagement", r.fields) for r in c.engagement_rules]
    rules += [(d.name, "disqualifier", d.expr.fields) for d in c.disqualifiers]
    return [
        RuleCoverage(name, kind, tuple(sorted(fields)), leads, b, a)
        for (name, kind, fields), b, a in zip(rules, before, after, strict=True)
    ]
