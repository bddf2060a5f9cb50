"""Compile a validated definition: resolve defaults, check every expression, hash it.

The compiled form is what scoring runs (in Python or as SQL) and what every stored score
names through :attr:`CompiledDefinition.hash`: a SHA-256 of the definition's canonical JSON,
so the same rules always hash the same whatever the YAML's layout or comments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import yaml

from ..expr.check import NUMBER, Aggregate, Checked, Scope, check
from ..expr.parser import parse_duration
from ..vocabulary import STANDARD_EVENT_TYPES
from .fields import account_fields, lead_fields
from .model import Definition


def _cents(points: float | None) -> int | None:
    return None if points is None else round(points * 100)


def _micros(duration: str | None) -> int | None:
    if duration is None or duration == "none":
        return None
    return parse_duration(duration)


@dataclass(frozen=True)
class CompiledFitRule:
    key: str
    name: str
    cents: int
    expr: Checked


@dataclass(frozen=True)
class CompiledEventRule:
    key: str
    type: str
    cents: int
    cap_cents: int | None
    window_us: int | None
    half_life_us: int | None


@dataclass(frozen=True)
class CompiledEngagementRule:
    """Engagement from the lead's fields: ``cents`` when ``when`` holds (None: always),
    or ``cents`` per unit of ``per``, held within ±``cap_cents``."""

    key: str
    name: str
    cents: int
    when: Checked | None
    per: Checked | None
    cap_cents: int | None

    @property
    def fields(self) -> set[str]:
        return set().union(*(e.fields for e in (self.when, self.per) if e is not None))


@dataclass(frozen=True)
class CompiledCondition:
    name: str
    expr: Checked
    reason: str | None = None
    sla_us: int | None = None
    route: str | None = None
    sales: bool = True


@dataclass
class CompiledDefinition:
    """Everything scoring needs, with amounts in hundredths of a point and times in µs."""

    definition: Definition
    hash: str
    fields: dict[str, str]
    event_types: frozenset[str]
    fit_rules: list[CompiledFitRule]
    fit_cap: int | None
    fit_floor: int | None
    event_rules: list[CompiledEventRule]
    engagement_cap: int | None
    engagement_floor: int | None
    engagement_rules: list[CompiledEngagementRule]
    disqualifiers: list[CompiledCondition]
    tiers: list[CompiledCondition]
    method: str
    weights: tuple[float, float] | None
    grades: list[tuple[str, int | None]]
    bands: list[tuple[int, int | None]]
    aggregates: dict[str, Aggregate] = field(default_factory=dict)

    @property
    def short_hash(self) -> str:
        return self.hash[:12]

    @property
    def uses_rollup(self) -> bool:
        return any(c.expr.uses_rollup for c in (*self.disqualifiers, *self.tiers))

    @property
    def rule_keys(self) -> list[str]:
        """The order of a stored score's ``contributions``: fit rules, event types, then
        engagement rules."""
        keys = [r.key for r in self.fit_rules] + [r.key for r in self.event_rules]
        return keys + [r.key for r in self.engagement_rules]

    @property
    def fields_used(self) -> set[str]:
        """Every field any condition reads: what the evaluator and the plan load per lead."""
        used: set[str] = set()
        for fit in self.fit_rules:
            used |= fit.expr.fields
        for rule in self.engagement_rules:
            used |= rule.fields
        for condition in (*self.disqualifiers, *self.tiers):
            used |= condition.expr.fields
        return used

    def fields_read(self) -> dict[str, set[str]]:
        """Rule name → the fields it reads; what coverage reports on."""
        out = {r.name: set(r.expr.fields) for r in self.fit_rules}
        out.update({r.name: r.fields for r in self.engagement_rules})
        out.update({f"disqualifier {d.name}": set(d.expr.fields) for d in self.disqualifiers})
        return out


def canonical(definition: Definition) -> dict[str, object]:
    data = definition.model_dump(mode="json", exclude_none=True)
    engagement = data.get("engagement")
    # Engagement rules came after definitions were first hashed: a definition with none
    # keeps the hash it always had.
    if isinstance(engagement, dict) and not engagement.get("rules"):
        engagement.pop("rules", None)
    return data


def definition_hash(definition: Definition) -> str:
    blob = json.dumps(canonical(definition), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def dump_yaml(definition: Definition) -> str:
    """The definition as YAML; loading it again gives the same hash."""
    return str(
        yaml.safe_dump(canonical(definition), sort_keys=False, allow_unicode=True, width=100)
    )


def compile_definition(definition: Definition) -> CompiledDefinition:
    """Compile a validated definition (see :func:`leadgate.definition.load_definition`)."""
    event_types = frozenset(STANDARD_EVENT_TYPES) | frozenset(definition.event_types)
    fields = {**lead_fields(definition.attributes), **account_fields(definition.account_attributes)}
    fit_scope = Scope(fields, event_types, allow_scores=False)
    score_scope = Scope(fields, event_types, allow_scores=True)
    aggregates: dict[str, Aggregate] = {}

    def checked(text: str, scope: Scope, want: str = "bool") -> Checked:
        out = check(text, scope, want=want)
        aggregates.update(out.aggregates)
        return out

    group = definition.engagement
    fit_rules = [
        CompiledFitRule(f"fit:{r.name}", r.name, round(r.points * 100), checked(r.when, fit_scope))
        for r in definition.fit.rules
    ]
    event_rules = [
        CompiledEventRule(
            key=f"engagement:{r.type}",
            type=r.type,
            cents=round(r.points * 100),
            cap_cents=_cents(r.cap),
            window_us=_micros(r.window or group.window),
            half_life_us=_micros(r.half_life or group.half_life),
        )
        for r in group.events
    ]
    engagement_rules = [
        CompiledEngagementRule(
            key=f"engagement:{r.name}",
            name=r.name,
            cents=round(r.points * 100),
            when=None if r.when is None else checked(r.when, fit_scope),
            per=None if r.per is None else checked(r.per, fit_scope, NUMBER),
            cap_cents=_cents(r.cap),
        )
        for r in group.rules
    ]
    disqualifiers = [
        CompiledCondition(d.name, checked(d.when, score_scope), reason=d.reason or d.name)
        for d in definition.disqualifiers
    ]
    tiers = [
        CompiledCondition(
            t.name,
            checked(t.when, score_scope),
            sla_us=_micros(t.sla),
            route=t.route,
            sales=t.sales,
        )
        for t in definition.tiers
    ]
    weights = definition.score.weights
    return CompiledDefinition(
        definition=definition,
        hash=definition_hash(definition),
        fields=fields,
        event_types=event_types,
        fit_rules=fit_rules,
        fit_cap=_cents(definition.fit.cap),
        fit_floor=_cents(definition.fit.floor),
        event_rules=event_rules,
        engagement_cap=_cents(group.cap),
        engagement_floor=_cents(group.floor),
        engagement_rules=engagement_rules,
        disqualifiers=disqualifiers,
        tiers=tiers,
        method=definition.score.method,
        weights=(weights.fit, weights.engagement) if weights else None,
        grades=[(g.grade, _cents(g.min_fit)) for g in definition.grades],
        bands=[(b.band, _cents(b.min_engagement)) for b in definition.bands],
        aggregates=aggregates,
    )


def review_due(definition: Definition, today: dt.date) -> bool:
    return definition.review_by is not None and definition.review_by < today
