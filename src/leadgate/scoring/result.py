"""A lead's score and its explanation: every contribution, adding up exactly to the total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from ..definition.compile import (
    CompiledCondition,
    CompiledDefinition,
    CompiledEngagementRule,
    CompiledEventRule,
    CompiledFitRule,
)
from ..expr.ast import Call, Field
from ..expr.check import Checked
from ..expr.describe import days_text, describe, text, value_text
from ..expr.interpret import UNKNOWN, Interpreter, typed
from .contract import RawScore


def points(cents: int) -> Decimal:
    """Hundredths of a point as an exact decimal number of points."""
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True)
class Contribution:
    """One line of an explanation.

    ``status`` is ``matched``, ``not matched``, ``not judged`` (a field it reads is missing),
    ``events`` (an event type's decayed, capped points) or ``adjustment`` (a cap, floor or
    weighting that moves the sum). A fit rule's ``detail`` says the values it read and its
    verdict (``company_size 180 ≥ 50``; see :mod:`leadgate.expr.describe`).
    """

    key: str
    group: str
    label: str
    cents: int
    status: str
    detail: str = ""

    @property
    def points(self) -> Decimal:
        return points(self.cents)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "group": self.group,
            "label": self.label,
            "points": float(self.points),
            "status": self.status,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Judgement:
    """Why a disqualifier or tier held or not: what it read and its verdict.

    ``status`` is ``matched``, ``not matched``, ``not judged`` (a field it reads is
    missing) or ``not tried`` (one above it held first; ``detail`` says which kind).
    """

    group: str
    name: str
    status: str
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
        }


@dataclass
class Score:
    """The score of one lead under one definition as of one time.

    ``contributions`` add up exactly to ``total``; ``conditions`` say, for every
    disqualifier and tier in order, what it read and whether it held.
    """

    lead_id: str | None
    definition_hash: str
    as_of: dt.datetime
    fit_cents: int
    engagement_cents: int
    total_cents: int
    grade: str | None
    band: int | None
    tier: str | None
    disqualified: bool
    dq_reason: str | None
    sla_due: dt.datetime | None
    route: str | None
    sales: bool
    contributions: list[Contribution] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    conditions: list[Judgement] = field(default_factory=list)

    @property
    def fit(self) -> Decimal:
        return points(self.fit_cents)

    @property
    def engagement(self) -> Decimal:
        return points(self.engagement_cents)

    @property
    def total(self) -> Decimal:
        return points(self.total_cents)

    def check_sum(self) -> bool:
        """True when the contributions add up to the total, to the hundredth."""
        return sum(c.cents for c in self.contributions) == self.total_cents

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "definition_hash": self.definition_hash,
            "as_of": self.as_of.isoformat(),
            "fit": float(self.fit),
            "engagement": float(self.engagement),
            "total": float(self.total),
            "grade": self.grade,
            "band": self.band,
            "tier": self.tier,
            "disqualified": self.disqualified,
            "disqualification": self.dq_reason,
            "sla_due": self.sla_due.isoformat() if self.sla_due else None,
            "route": self.route,
            "sales": self.sales,
            "contributions": [c.as_dict() for c in self.contributions],
            "warnings": self.warnings,
            "conditions": [j.as_dict() for j in self.conditions],
        }


def explain(
    c: CompiledDefinition, raw: RawScore, lead: Any, account: Any, as_of_us: int | None = None
) -> list[Contribution]:
    """Build the explanation from the numbers both engines compute (:class:`RawScore`);
    ``as_of_us``, the scoring time, says ``days_since(date field)`` in days."""
    fit_c, eng_c, judged = raw.fit, raw.engagement, raw.fit_verdicts
    events, counts = raw.event_capped, raw.event_counts
    fit_raw, eng_raw = raw.fit_raw, raw.engagement_raw
    fit_w, eng_w = raw.fit_weighted, raw.engagement_weighted
    out = [
        _fit_line(c, rule, verdict, lead, account, as_of_us)
        for rule, verdict in zip(c.fit_rules, judged, strict=True)
    ]
    out += _held("fit", fit_raw, fit_c)
    out += [
        _events_line(rule, cents, n)
        for rule, cents, n in zip(c.event_rules, events, counts, strict=True)
    ]
    read = _Reader(c, lead, account, as_of_us)
    out += [
        _engagement_line(read, rule, cents)
        for rule, cents in zip(c.engagement_rules, raw.engagement_rules, strict=True)
    ]
    out += _held("engagement", eng_raw, eng_c)
    if c.method == "weighted" and c.weights:
        out += _weighting("fit", fit_c, fit_w, c.weights[0], c.fit_cap)
        out += _weighting("engagement", eng_c, eng_w, c.weights[1], c.engagement_cap)
    return out


def _fit_line(
    c: CompiledDefinition,
    rule: CompiledFitRule,
    verdict: bool | None,
    lead: Any,
    account: Any,
    as_of_us: int | None = None,
) -> Contribution:
    """A fit rule's points, with the values it read and its verdict."""
    values = _field_values(c, rule.expr, lead, account)
    if verdict is None:
        said = _unjudged(rule.expr, values, as_of_us)
        return Contribution(rule.key, "fit", rule.name, 0, "not judged", f"not judged: {said}")
    return Contribution(
        rule.key,
        "fit",
        rule.name,
        rule.cents if verdict else 0,
        "matched" if verdict else "not matched",
        describe(rule.expr, values, verdict, as_of_us),
    )


def _unjudged(checked: Checked, values: dict[str, Any], as_of_us: int | None) -> str:
    """Why a rule could not judge: the fields it reads that are missing, else in words."""
    missing = [f for f in sorted(checked.fields) if values.get(f) is None]
    return f"{', '.join(missing)} missing" if missing else describe(checked, values, None, as_of_us)


@dataclass(frozen=True)
class _Reader:
    """What an engagement rule's explanation reads: the lead's typed values, the time."""

    c: CompiledDefinition
    lead: Any
    account: Any
    as_of_us: int | None

    def values(self, checked: Checked) -> dict[str, Any]:
        return _field_values(self.c, checked, self.lead, self.account)

    def value(self, checked: Checked) -> Any:
        return Interpreter(self.values(checked), self.as_of_us).value(checked.tree)

    def said(self, checked: Checked, verdict: Any) -> str:
        return describe(checked, self.values(checked), verdict, self.as_of_us)


def _engagement_line(
    read: _Reader, rule: CompiledEngagementRule, cents: int | None
) -> Contribution:
    """An engagement rule's points with the values it read: its condition's verdict, the
    number it counts per unit (``num_sessions 7 × 2 = 14 (cap 20)``), what was missing."""
    line = partial(Contribution, rule.key, "engagement", rule.name)
    reads = [e for e in (rule.when, rule.per) if e is not None]
    if cents is None:
        # Only what could not be judged: a condition that held is not the reason.
        unknown = [e for e in reads if read.value(e) is None] or reads
        said = "; ".join(_unjudged(e, read.values(e), read.as_of_us) for e in unknown)
        return line(0, "not judged", f"not judged: {said}")
    verdict = True
    parts = []
    if rule.when is not None:
        verdict = read.value(rule.when)
        verdict = bool(cents) if verdict not in (True, False) else verdict
        parts.append(read.said(rule.when, verdict))
    if rule.per is not None and verdict:
        parts.append(_per_unit(read, rule, cents))
    status = "matched" if verdict else "not matched"
    return line(cents, status, "; ".join(parts))


def _per_unit(read: _Reader, rule: CompiledEngagementRule, cents: int) -> str:
    """``num_sessions 7 × 2 = 14 (cap 20)``; ``capped at 20`` when the cap held it."""
    per = rule.per
    assert per is not None, "only per-unit rules count units"
    value = read.value(per)
    tree = per.tree
    if value is UNKNOWN:  # an event count: the explanation does not see the events
        counted = text(tree)
    elif isinstance(tree, Field):
        counted = f"{tree.name} {value_text(value)}"
    elif isinstance(tree, Call) and tree.name == "days_since" and isinstance(tree.args[0], Field):
        counted = f"{tree.args[0].name} {days_text(value)}"
    else:
        counted = f"{text(tree)} = {value_text(value)}"
    product = f"{counted} × {rule.cents / 100:g}"
    cap = rule.cap_cents or 0
    if value is UNKNOWN and abs(cents) == cap:
        return f"{product}, capped at {cents / 100:g}"
    if value is not UNKNOWN and abs(rule.cents * value) > cap:
        return f"{product} = {value_text(rule.cents * value / 100)}, capped at {cents / 100:g}"
    return f"{product} = {cents / 100:g} (cap {cap / 100:g})"


def _events_line(rule: CompiledEventRule, cents: int, n: int) -> Contribution:
    """An event type's points: how many events, their decay, window and cap."""
    detail = f"{n} event{'s' if n != 1 else ''}"
    if rule.half_life_us:
        detail += f", half-life {rule.half_life_us / 86_400_000_000:g}d"
    if rule.window_us:
        detail += f", last {rule.window_us / 86_400_000_000:g}d"
    if rule.cap_cents is not None and abs(cents) == rule.cap_cents and n:
        detail += f", capped at {rule.cap_cents / 100:g}"
    status = "events" if n else "not matched"
    return Contribution(rule.key, "engagement", rule.type, cents, status, detail)


def _held(group: str, before: int, after: int) -> list[Contribution]:
    """The group's cap or floor, when it moved the group's sum."""
    if after == before:
        return []
    bound = "cap" if after < before else "floor"
    detail = f"{before / 100:g} points held to {after / 100:g}"
    return [
        Contribution(
            f"{group}:{bound}", group, f"{group} {bound}", after - before, "adjustment", detail
        )
    ]


def _weighting(
    group: str, before: int, after: int, weight: float, cap: int | None
) -> list[Contribution]:
    """A weighted score's scaling of one group, when it moved the group's points."""
    if after == before:
        return []
    detail = f"{group} scaled from a cap of {(cap or 0) / 100:g} to a weight of {weight:g}"
    return [
        Contribution(
            f"weight:{group}", group, f"{group} weighting", after - before, "adjustment", detail
        )
    ]


def judge_conditions(
    c: CompiledDefinition, raw: RawScore, lead: Any, account: Any, as_of_us: int | None = None
) -> list[Judgement]:
    """Every disqualifier and tier in order, with the values it read and its verdict.

    The scorer tries disqualifiers, then (when none held) tiers, each list in order until
    one holds; those after the one that held are ``not tried``.
    """
    dq, tier = raw.disqualifier, raw.tier
    judge = _Judge(c, raw, lead, account, as_of_us)
    out = []
    for i, rule in enumerate(c.disqualifiers):
        skipped = "a disqualifier above held" if 0 <= dq < i else ""
        out.append(judge("disqualifier", rule, i == dq, skipped))
    for i, rule in enumerate(c.tiers):
        skipped = "the lead is disqualified" if dq >= 0 else ""
        skipped = skipped or ("a tier above matched" if 0 <= tier < i else "")
        out.append(judge("tier", rule, i == tier, skipped))
    return out


class _Judge:
    """Judges one lead's conditions, which may read its fields and its scores."""

    def __init__(
        self, c: CompiledDefinition, raw: RawScore, lead: Any, account: Any, as_of_us: int | None
    ):
        self.c, self.lead, self.account, self.as_of_us = c, lead, account, as_of_us
        self.scores = {
            "fit": raw.fit / 100,
            "engagement": raw.engagement / 100,
            "score": raw.total / 100,
            "grade": raw.grade,
            "band": raw.band,
        }

    def __call__(self, group: str, rule: CompiledCondition, held: bool, skipped: str) -> Judgement:
        """``held`` is the scorer's verdict; ``skipped`` says why it was not tried."""
        if skipped:
            return Judgement(group, rule.name, "not tried", skipped)
        values = {**_field_values(self.c, rule.expr, self.lead, self.account), **self.scores}
        when = self.as_of_us
        if held:
            return Judgement(group, rule.name, "matched", describe(rule.expr, values, True, when))
        if Interpreter(values, when).value(rule.expr.tree) is None:
            detail = "not judged: " + describe(rule.expr, values, None, when)
            return Judgement(group, rule.name, "not judged", detail)
        said = describe(rule.expr, values, False, when)
        return Judgement(group, rule.name, "not matched", said)


def _field_values(
    c: CompiledDefinition, checked: Checked, lead: Any, account: Any
) -> dict[str, Any]:
    """The lead's and account's values of the fields ``checked`` reads, typed as scored."""
    return {name: typed(c.fields[name], _value(name, lead, account)) for name in checked.fields}


def _value(name: str, lead: Any, account: Any) -> Any:
    if name.startswith("account."):
        return None if account is None else account.get(name[8:])
    return lead.get(name)
