"""The meaning checks of a definition: one small function per kind of problem.

They read the raw data (a dict straight from YAML), not the pydantic model, so that they
run even when the structure pass found errors, and every problem is reported at once.
Each check takes a :class:`Checking` (the data, the scopes expressions are checked in, and
the list problems are added to) and adds what it finds; :func:`semantic_problems` runs
them all, in the order of :data:`CHECKS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ExpressionError, Problem
from ..expr.check import NUMBER, Checked, Scope, check
from ..vocabulary import STANDARD_EVENT_TYPES, suggest
from . import codes
from .fields import account_fields, lead_fields
from .load import Source

Items = list[tuple[int, dict[str, Any]]]


@dataclass
class Checking:
    """What every check reads, and the problems they add, in order."""

    src: Source
    today: dt.date | None = None
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.data: dict[str, Any] = self.src.data if isinstance(self.src.data, dict) else {}
        self.declared = [t for t in self.data.get("event_types") or [] if isinstance(t, str)]
        self.event_types = frozenset(STANDARD_EVENT_TYPES) | frozenset(self.declared)
        attrs, acct = _group(self.data, "attributes"), _group(self.data, "account_attributes")
        known = {**lead_fields(attrs), **account_fields(acct)}
        self.fit_scope = Scope(known, self.event_types, allow_scores=False)
        self.score_scope = Scope(known, self.event_types, allow_scores=True)

    def add(
        self, message: str, path: str, code: str, hint: str = "", severity: str = "error"
    ) -> None:
        line = self.src.line_of(path)
        self.problems.append(Problem(message, path, line, code=code, hint=hint, severity=severity))

    def items(self, *keys: str) -> Items:
        """The mapping items of the list at ``keys`` (``"fit", "rules"``), with their index."""
        node: Any = self.data
        for key in keys[:-1]:
            node = _group(node, key)
        value = node.get(keys[-1])
        if not isinstance(value, list):
            return []
        return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]

    def expression(
        self, expr: Any, path: str, scope: Scope, want: str | None = "bool"
    ) -> Checked | None:
        """An expression that does not parse or type-check (LG200; LG128 for a date read
        other than with days_since()); the checked expression when it is right."""
        if not isinstance(expr, str) or not expr.strip():
            return None  # the structure pass reports it
        try:
            return check(expr, scope, want=want)
        except ExpressionError as exc:
            at = exc.position
            where = "" if at is None else f" (at character {at + 1} of the expression)"
            self.add(exc.message + where, path, exc.code, exc.hint)
            return None

    def unique(self, items: Items, key: str, where: str) -> None:
        """Two items of one list with the same ``key`` (LG121)."""
        seen: dict[str, int] = {}
        for i, item in items:
            name = item.get(key)
            if not isinstance(name, str):
                continue
            if name in seen:
                self.add(
                    f"Duplicate {key} '{name}' (also {where}[{seen[name]}])",
                    f"{where}[{i}].{key}",
                    codes.DUPLICATE_NAME,
                    "each must have its own name",
                )
            else:
                seen[name] = i


def _group(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def standard_types_declared_again(ctx: Checking) -> None:
    """A declared event type that is a standard one already (LG120, a warning)."""
    for i, name in enumerate(ctx.declared):
        if name in STANDARD_EVENT_TYPES:
            message = f"'{name}' is a standard event type already"
            ctx.add(message, f"event_types[{i}]", codes.STANDARD_EVENT_TYPE, severity="warning")


def fit_rules(ctx: Checking) -> None:
    """Fit rules: unique names; conditions that read lead and account fields only."""
    rules = ctx.items("fit", "rules")
    ctx.unique(rules, "name", "fit.rules")
    for i, rule in rules:
        ctx.expression(rule.get("when"), f"fit.rules[{i}].when", ctx.fit_scope)


def event_rules(ctx: Checking) -> None:
    """Engagement rules: one per event type, and only types that exist (LG122)."""
    events = ctx.items("engagement", "events")
    ctx.unique(events, "type", "engagement.events")
    for i, rule in events:
        etype = rule.get("type")
        if isinstance(etype, str) and etype not in ctx.event_types:
            near = suggest(etype, ctx.event_types)
            ctx.add(
                f"Unknown event type '{etype}'",
                f"engagement.events[{i}].type",
                codes.UNKNOWN_EVENT_TYPE,
                f"did you mean '{near}'?" if near else "declare it under 'event_types:'",
            )


def engagement_rules(ctx: Checking) -> None:
    """Engagement rules on the lead's fields: unique names, none an event rule's type too
    (LG121); a condition, a number per unit or both (LG127); a per-unit rule's number is a
    number (LG126) and has its cap, and only such a rule has one (LG127)."""
    rules = ctx.items("engagement", "rules")
    ctx.unique(rules, "name", "engagement.rules")
    event_types = {e.get("type") for _, e in ctx.items("engagement", "events")}
    for i, rule in rules:
        path = f"engagement.rules[{i}]"
        name = rule.get("name")
        if name in event_types:
            ctx.add(
                f"Engagement rule '{name}' has the name of an event rule",
                f"{path}.name",
                codes.DUPLICATE_NAME,
                "each must have its own name: explanations list both",
            )
        ctx.expression(rule.get("when"), f"{path}.when", ctx.fit_scope)
        per_unit(ctx, rule, path)


def per_unit(ctx: Checking, rule: dict[str, Any], path: str) -> None:
    """An engagement rule's shape and its number per unit (LG126, LG127)."""
    per, cap = rule.get("per"), rule.get("cap")
    if rule.get("when") is None and per is None:
        ctx.add(
            f"Engagement rule '{rule.get('name')}' says neither 'when' nor 'per'",
            path,
            codes.ENGAGEMENT_RULE,
            "add 'when: <condition>' for points when it holds, or 'per: <number field>' "
            "and 'cap' for points per unit",
        )
    if per is None:
        if cap is not None:
            ctx.add(
                "'cap' bounds points per unit; this rule gives its points once, when it holds",
                f"{path}.cap",
                codes.ENGAGEMENT_RULE,
                "remove 'cap', or add 'per: <number field>' for points per unit",
            )
        return
    if cap is None:
        ctx.add(
            f"Engagement rule '{rule.get('name')}' gives points per unit of '{per}' with no cap",
            f"{path}.cap",
            codes.ENGAGEMENT_RULE,
            "add 'cap: <most points>': an export's counts have no upper bound (a bot's visits)",
        )
    checked = ctx.expression(per, f"{path}.per", ctx.fit_scope, want=None)
    if checked is not None and checked.type != NUMBER:
        ctx.add(
            f"'per' must be a number to count points per unit; '{per}' is "
            + {"text": "text", "bool": "true/false"}.get(checked.type, checked.type),
            f"{path}.per",
            codes.PER_UNIT_NOT_A_NUMBER,
            "name a number field (num_sessions) or declare it under 'attributes:' as number; "
            "for a condition use 'when'",
        )


def disqualifiers(ctx: Checking) -> None:
    """Disqualifiers: unique names; conditions that may read scores too."""
    rules = ctx.items("disqualifiers")
    ctx.unique(rules, "name", "disqualifiers")
    for i, rule in rules:
        ctx.expression(rule.get("when"), f"disqualifiers[{i}].when", ctx.score_scope)


def tiers(ctx: Checking) -> None:
    """Tiers: unique names; conditions that may read scores too."""
    items = ctx.items("tiers")
    ctx.unique(items, "name", "tiers")
    for i, tier in items:
        ctx.expression(tier.get("when"), f"tiers[{i}].when", ctx.score_scope)


def unreachable_tiers(ctx: Checking) -> None:
    """A tier that can never win: one above has its very condition, or is always true
    (LG123). Tiers are tried in order and the first that holds wins."""
    items = ctx.items("tiers")
    earlier: dict[str, int] = {}
    for i, tier in items:
        norm = " ".join(str(tier.get("when")).split()).lower()
        if norm in earlier:
            ctx.add(
                f"Tier '{tier.get('name')}' can never be reached: tier "
                f"'{items[earlier[norm]][1].get('name')}' above it has the same condition",
                f"tiers[{i}]",
                codes.UNREACHABLE_TIER,
                "tiers are tried in order and the first match wins",
            )
        elif "true" in earlier:
            ctx.add(
                f"Tier '{tier.get('name')}' can never be reached: a tier above it always matches",
                f"tiers[{i}]",
                codes.UNREACHABLE_TIER,
            )
        earlier.setdefault(norm, i)


def weighted_score(ctx: Checking) -> None:
    """A weighted score needs weights, and a cap on each group to scale from (LG124)."""
    if _group(ctx.data, "score").get("method") != "weighted":
        return
    if not isinstance(_group(ctx.data, "score").get("weights"), dict):
        ctx.add(
            "A weighted score needs 'weights' for fit and engagement",
            "score",
            codes.WEIGHTED_SCORE,
            "e.g. weights: {fit: 60, engagement: 40}",
        )
    for group in ("fit", "engagement"):
        if not _group(ctx.data, group).get("cap"):
            ctx.add(
                f"A weighted score needs a 'cap' on {group}: weights scale each group from its cap",
                group,
                codes.WEIGHTED_SCORE,
            )


def ladders(ctx: Checking) -> None:
    """Grades and bands go from the highest bound down; the last is the catch-all (LG125)."""
    for key, bound in (("grades", "min_fit"), ("bands", "min_engagement")):
        items = ctx.items(key)
        values = [item.get(bound) for _, item in items]
        numeric = [v for v in values if isinstance(v, (int, float))]
        if numeric != sorted(numeric, reverse=True):
            message = f"The {key} must go from the highest '{bound}' to the lowest"
            ctx.add(message, key, codes.LADDER_ORDER, "they are tried in order")
        if items and values[-1] is not None:
            ctx.add(
                f"The last of the {key} needs no '{bound}': it is the catch-all",
                key,
                codes.LADDER_ORDER,
                severity="warning",
            )


def review_date(ctx: Checking) -> None:
    """The definition is past its review date (LG130, a warning), given the caller's
    today: the library never reads the clock."""
    review = ctx.data.get("review_by")
    if ctx.today is not None and isinstance(review, dt.date) and review < ctx.today:
        ctx.add(
            f"The definition was due for review with sales on {review.isoformat()}",
            "review_by",
            codes.REVIEW_DUE,
            "agree the next version and move review_by forward",
            severity="warning",
        )


def sla_hours(ctx: Checking) -> None:
    """A tier that says how its SLA is counted names the SLA too (LG140)."""
    for i, tier in ctx.items("tiers"):
        if tier.get("sla_hours") is not None and tier.get("sla") is None:
            ctx.add(
                f"Tier '{tier.get('name')}' says 'sla_hours' but has no 'sla'",
                f"tiers[{i}].sla_hours",
                codes.SLA_HOURS_WITHOUT_SLA,
                "add 'sla: 4h' (the time sales has to follow up), or remove 'sla_hours'",
            )


def lifecycle(ctx: Checking) -> None:
    """Lifecycle rules: re-entry event types that exist (LG141), a recycle timer longer than
    every sales tier's SLA (LG142, a warning) and a sales tier to apply to (LG143)."""
    rules = _group(ctx.data, "lifecycle")
    if not rules:
        return
    reentry = rules.get("reentry_events")
    for i, etype in enumerate(reentry if isinstance(reentry, list) else []):
        if isinstance(etype, str) and etype not in ctx.event_types:
            near = suggest(etype, ctx.event_types)
            ctx.add(
                f"Unknown event type '{etype}' in lifecycle.reentry_events",
                f"lifecycle.reentry_events[{i}]",
                codes.UNKNOWN_REENTRY_EVENT,
                f"did you mean '{near}'?" if near else "declare it under 'event_types:'",
            )
    sales = [t for _, t in ctx.items("tiers") if t.get("sales", True) is not False]
    if not sales:
        ctx.add(
            "The lifecycle rules apply to MQLs, and no tier makes one (every tier is sales: false)",
            "lifecycle",
            codes.LIFECYCLE_WITHOUT_SALES_TIER,
            severity="warning",
        )
    untouched = _micros_or_none(rules.get("recycle_untouched_after"))
    for tier in sales:
        sla = _micros_or_none(tier.get("sla"))
        if untouched is not None and sla is not None and untouched <= sla:
            ctx.add(
                f"An untouched MQL is recycled after {rules['recycle_untouched_after']}, no later "
                f"than tier '{tier.get('name')}' gives sales to follow up ({tier['sla']})",
                "lifecycle.recycle_untouched_after",
                codes.RECYCLED_BEFORE_SLA,
                "give sales longer than the SLA before an MQL goes back to nurture",
                severity="warning",
            )


def _micros_or_none(value: Any) -> int | None:
    """A duration in µs, or None when it is missing or wrong (the structure pass says so)."""
    from ..expr.parser import parse_duration

    try:
        return parse_duration(value) if isinstance(value, str) else None
    except ExpressionError:
        return None


CHECKS: tuple[Callable[[Checking], None], ...] = (
    standard_types_declared_again,
    fit_rules,
    event_rules,
    engagement_rules,
    disqualifiers,
    tiers,
    unreachable_tiers,
    weighted_score,
    ladders,
    review_date,
    sla_hours,
    lifecycle,
)


def semantic_problems(src: Source, *, today: dt.date | None = None) -> list[Problem]:
    """Every meaning problem of the raw data, whatever the structure pass found."""
    ctx = Checking(src, today)
    for run in CHECKS:
        run(ctx)
    return ctx.problems
