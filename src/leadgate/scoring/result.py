"""A lead's score and its explanation: every contribution, adding up exactly to the total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..definition.compile import CompiledDefinition


def points(cents: int) -> Decimal:
    """Hundredths of a point as an exact decimal number of points."""
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True)
class Contribution:
    """One line of an explanation.

    ``status`` is ``matched``, ``not matched``, ``not judged`` (a field it reads is missing),
    ``events`` (an event type's decayed, capped points) or ``adjustment`` (a cap, floor or
    weighting that moves the sum).
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


@dataclass
class Score:
    """The score of one lead under one definition as of one time."""

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
        }


def explain(
    c: CompiledDefinition, raw: tuple[Any, ...], lead: Any, account: Any
) -> list[Contribution]:
    """Build the explanation from the raw tuple the generated function returns."""
    (
        fit_c,
        eng_c,
        total,
        _grade,
        _band,
        _dq,
        _tier,
        judged,
        events,
        counts,
        fit_raw,
        eng_raw,
        fit_w,
        eng_w,
    ) = raw
    out: list[Contribution] = []
    for rule, verdict in zip(c.fit_rules, judged, strict=True):
        if verdict is None:
            missing = [f for f in sorted(rule.expr.fields) if _value(f, lead, account) is None]
            detail = "not judged: " + (", ".join(missing) or "a value") + " missing"
            out.append(Contribution(rule.key, "fit", rule.name, 0, "not judged", detail))
        else:
            out.append(
                Contribution(
                    rule.key,
                    "fit",
                    rule.name,
                    rule.cents if verdict else 0,
                    "matched" if verdict else "not matched",
                    rule.expr.text,
                )
            )
    if fit_c != fit_raw:
        bound = "cap" if fit_c < fit_raw else "floor"
        out.append(
            Contribution(
                f"fit:{bound}",
                "fit",
                f"fit {bound}",
                fit_c - fit_raw,
                "adjustment",
                f"{fit_raw / 100:g} points held to {fit_c / 100:g}",
            )
        )
    for erule, cents, n in zip(c.event_rules, events, counts, strict=True):
        detail = f"{n} event{'s' if n != 1 else ''}"
        if erule.half_life_us:
            detail += f", half-life {erule.half_life_us / 86_400_000_000:g}d"
        if erule.window_us:
            detail += f", last {erule.window_us / 86_400_000_000:g}d"
        if erule.cap_cents is not None and abs(cents) == erule.cap_cents and n:
            detail += f", capped at {erule.cap_cents / 100:g}"
        out.append(
            Contribution(
                erule.key, "engagement", erule.type, cents, "events" if n else "not matched", detail
            )
        )
    if eng_c != eng_raw:
        bound = "cap" if eng_c < eng_raw else "floor"
        out.append(
            Contribution(
                f"engagement:{bound}",
                "engagement",
                f"engagement {bound}",
                eng_c - eng_raw,
                "adjustment",
                f"{eng_raw / 100:g} points held to {eng_c / 100:g}",
            )
        )
    if c.method == "weighted" and c.weights:
        for group, before, after, weight, cap in (
            ("fit", fit_c, fit_w, c.weights[0], c.fit_cap),
            ("engagement", eng_c, eng_w, c.weights[1], c.engagement_cap),
        ):
            if after != before:
                out.append(
                    Contribution(
                        f"weight:{group}",
                        group,
                        f"{group} weighting",
                        after - before,
                        "adjustment",
                        f"{group} scaled from a cap of {(cap or 0) / 100:g} "
                        f"to a weight of {weight:g}",
                    )
                )
    return out


def _value(name: str, lead: Any, account: Any) -> Any:
    if name.startswith("account."):
        return None if account is None else account.get(name[8:])
    return lead.get(name)
