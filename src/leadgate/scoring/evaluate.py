"""Score leads with a pure function: no clock, no I/O, the same numbers as the SQL plan.

>>> from leadgate.definition import load_compiled
>>> c = load_compiled(text="name: d\\nversion: '1'\\nengagement:\\n  events:\\n"
...                        "    - {type: demo_request, points: 30}\\n")
>>> scorer = Scorer(c)
>>> import datetime as dt
>>> t = dt.datetime(2026, 1, 10, tzinfo=dt.timezone.utc)
>>> scorer.score({"lead_id": "a"}, [("demo_request", t)], as_of=t).total
Decimal('30.00')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from ..definition.compile import CompiledDefinition
from ..errors import ScoringError
from .codegen import build
from .contract import RawScore, horizon_us
from .result import Score, explain, judge_conditions

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
Event = tuple[str, Any]


def to_micros(value: dt.datetime | int) -> int:
    """µs since the epoch; a naive datetime is taken as UTC (the store's convention)."""
    if isinstance(value, int):
        return value
    if not isinstance(value, dt.datetime):
        raise ScoringError(f"A time must be a datetime. Got {type(value).__name__} instead.")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=micros)


class Scorer:
    """The compiled scoring function of one definition, with helpers around it."""

    def __init__(self, compiled: CompiledDefinition) -> None:
        self.compiled = compiled
        self.fn = build(compiled)
        #: The longest look-back (µs) of the definition, None when some rule looks back
        #: forever (0: events count for nothing); computed once, read per lead state.
        self.horizon: int | None = (
            horizon_us(compiled) if compiled.event_rules or compiled.aggregates else 0
        )

    def raw(
        self,
        lead: Mapping[str, Any],
        events: Iterable[tuple[str, int]],
        as_of_us: int,
        account: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> RawScore:
        """Every number of the score, events as ``(type, µs)``; the fast path for benchmarks."""
        return self.fn(lead, account, events, as_of_us, context)  # type: ignore[no-any-return]

    def score(
        self,
        lead: Mapping[str, Any],
        events: Iterable[Event],
        *,
        as_of: dt.datetime | int,
        account: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Score:
        """Score one lead as of ``as_of``; events are ``(type, datetime or µs)``."""
        as_of_us = to_micros(as_of)
        evs = [(t, to_micros(ts)) for t, ts in events]
        raw = self.fn(lead, account, evs, as_of_us, context)
        return self.to_score(raw, lead, account, as_of_us)

    def to_score(
        self,
        raw: RawScore,
        lead: Mapping[str, Any],
        account: Mapping[str, Any] | None,
        as_of_us: int,
    ) -> Score:
        c = self.compiled
        tier = c.tiers[raw.tier] if raw.tier >= 0 else None
        dq_rule = c.disqualifiers[raw.disqualifier] if raw.disqualifier >= 0 else None
        sla_due = None
        if tier is not None and tier.sla_us is not None:
            sla_due = from_micros(as_of_us + tier.sla_us)
        lead_id = lead.get("lead_id")
        return Score(
            lead_id=None if lead_id is None else str(lead_id),
            definition_hash=c.hash,
            as_of=from_micros(as_of_us),
            fit_cents=raw.fit,
            engagement_cents=raw.engagement,
            total_cents=raw.total,
            grade=raw.grade,
            band=raw.band,
            tier=tier.name if tier else None,
            disqualified=dq_rule is not None,
            dq_reason=dq_rule.reason if dq_rule else None,
            sla_due=sla_due,
            route=tier.route if tier else None,
            sales=tier.sales if tier else False,
            contributions=explain(c, raw, lead, account, as_of_us),
            conditions=judge_conditions(c, raw, lead, account, as_of_us),
        )


def score_lead(
    compiled: CompiledDefinition,
    lead: Mapping[str, Any],
    events: Iterable[Event],
    *,
    as_of: dt.datetime | int,
    account: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Score:
    """Score one lead (see :class:`Scorer` to score many with one compiled function)."""
    return Scorer(compiled).score(lead, events, as_of=as_of, account=account, context=context)
