"""Account roll-ups and intent for the pure evaluator, computed in plain Python.

The SQL plan computes these inside the query; a caller of the pure function passes them in
``context``. :func:`score_population` is the Python reference for a whole population: the
same numbers as the SQL plan, which the property tests check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from ..definition.compile import CompiledDefinition
from .contract import RawScore
from .evaluate import Scorer


def contexts(
    c: CompiledDefinition,
    leads: Iterable[Mapping[str, Any]],
    events_by_lead: Mapping[str, list[tuple[str, int]]],
    intent_by_account: Mapping[str, list[tuple[str, float, int]]],
    as_of_us: int,
) -> dict[str, dict[str, Any]]:
    """Lead id → the roll-up values its score reads (intent, engaged contacts)."""
    by_account: dict[str, list[str]] = defaultdict(list)
    leads = list(leads)
    for lead in leads:
        if lead.get("account_id") is not None:
            by_account[lead["account_id"]].append(lead["lead_id"])
    out: dict[str, dict[str, Any]] = {}
    for lead in leads:
        account_id = lead.get("account_id")
        ctx: dict[str, Any] = {}
        for agg in c.aggregates.values():
            if account_id is None:
                if agg.kind in ("intent", "contacts"):
                    ctx[agg.key] = None
                continue
            if agg.kind == "intent":
                strengths = [
                    s
                    for topic, s, ts in intent_by_account.get(account_id, ())
                    if ts <= as_of_us
                    and (agg.topic == "*" or topic.lower() == agg.topic)
                    and (agg.window_us is None or as_of_us - ts <= agg.window_us)
                ]
                ctx[agg.key] = float(max(strengths)) if strengths else 0.0
            elif agg.kind == "contacts":
                ctx[agg.key] = sum(
                    1
                    for other in by_account[account_id]
                    if any(
                        ts <= as_of_us and (agg.window_us is None or as_of_us - ts <= agg.window_us)
                        for _, ts in events_by_lead.get(other, ())
                    )
                )
        out[lead["lead_id"]] = ctx
    return out


def score_population(
    scorer: Scorer,
    leads: list[Mapping[str, Any]],
    accounts: Mapping[str, Mapping[str, Any]],
    events_by_lead: Mapping[str, list[tuple[str, int]]],
    intent_by_account: Mapping[str, list[tuple[str, float, int]]],
    as_of_us: int,
) -> dict[str, RawScore]:
    """Lead id → raw result, for every lead, roll-ups included (two passes if needed)."""
    c = scorer.compiled
    ctxs = contexts(c, leads, events_by_lead, intent_by_account, as_of_us)

    def run() -> dict[str, RawScore]:
        return {
            lead["lead_id"]: scorer.raw(
                lead,
                events_by_lead.get(lead["lead_id"], []),
                as_of_us,
                accounts.get(lead.get("account_id") or ""),
                ctxs[lead["lead_id"]],
            )
            for lead in leads
        }

    raws = run()
    if c.uses_rollup:
        # Engagement does not depend on roll-ups, so one more pass settles account totals.
        totals: dict[str, int] = defaultdict(int)
        for lead in leads:
            if lead.get("account_id") is not None:
                totals[lead["account_id"]] += raws[lead["lead_id"]].engagement
        for lead in leads:
            if lead.get("account_id") is not None:
                own = raws[lead["lead_id"]].engagement
                ctxs[lead["lead_id"]]["account.engagement_others"] = (
                    totals[lead["account_id"]] - own
                )
        raws = run()
    return raws
