"""The MQL definition as a typed, frozen, versioned spec (pydantic v2, ``extra="forbid"``).

Points are in the definition's own units (a rule worth 10 points says ``points: 10``);
internally every amount is kept in hundredths of a point so that sums are exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ..errors import ExpressionError
from ..expr.parser import parse_duration

FORMAT_VERSION = 1


def _duration(value: str) -> str:
    try:
        micros = parse_duration(value)
    except ExpressionError as exc:
        raise ValueError(exc.message + "; " + exc.hint) from None
    if micros <= 0:
        raise ValueError(f"a duration must be longer than zero. Got {value!r} instead")
    return value.strip()


def _half_life(value: str) -> str:
    if value.strip().lower() == "none":
        return "none"
    return _duration(value)


def _cents(value: float) -> float:
    if abs(value * 100 - round(value * 100)) > 1e-9:
        raise ValueError(f"points are kept to hundredths. Got {value!r} instead")
    if abs(value) > 1_000_000:
        raise ValueError(f"points must be within ±1,000,000. Got {value!r} instead")
    return value


def _version(value: object) -> object:
    # "version: 3" is a natural thing to write; keep it as the text "3".
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


Duration = Annotated[str, AfterValidator(_duration)]
HalfLife = Annotated[str, AfterValidator(_half_life)]
Points = Annotated[float, AfterValidator(_cents)]
Cap = Annotated[float, Field(gt=0), AfterValidator(_cents)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Expression = Annotated[str, Field(min_length=1, max_length=4000)]
FieldType = Literal["number", "text", "bool", "date"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FitRule(Spec):
    """Points for a lead or account attribute: ``when`` a condition holds, add ``points``."""

    name: Name
    when: Expression
    points: Points
    description: str | None = None


class FitGroup(Spec):
    cap: Cap | None = None
    floor: Points | None = None
    rules: list[FitRule] = Field(default_factory=list, max_length=500)


class EventRule(Spec):
    """Points per event of one type, decayed by age, counted within a window, capped."""

    type: Name
    points: Points
    cap: Cap | None = None
    window: Duration | None = None
    half_life: HalfLife | None = None
    description: str | None = None


class EngagementRule(Spec):
    """Engagement a lead's own fields carry (an export's visit counts, its last activity
    date): ``points`` when ``when`` holds, or, with ``per``, ``points`` per unit of that
    number (``per: num_sessions, points: 2, cap: 20``: 2 points a session, at most 20),
    as an event rule gives points per event up to its cap. A per-unit rule needs its
    cap: an export's counts have no upper bound (a bot with 40,000 page views)."""

    name: Name
    when: Expression | None = None
    per: Expression | None = None
    points: Points
    cap: Cap | None = None
    description: str | None = None


class EngagementGroup(Spec):
    cap: Cap | None = None
    floor: Points | None = None
    window: Duration | None = None
    half_life: HalfLife | None = None
    events: list[EventRule] = Field(default_factory=list, max_length=500)
    rules: list[EngagementRule] = Field(default_factory=list, max_length=500)


class Disqualifier(Spec):
    """A hard stop: when it holds, the lead is in no tier whatever its score."""

    name: Name
    when: Expression
    reason: str | None = None


class Weights(Spec):
    fit: Annotated[float, Field(ge=0, le=1000)]
    engagement: Annotated[float, Field(ge=0, le=1000)]


class ScoreSpec(Spec):
    """How fit and engagement combine: a plain ``sum``, or ``weighted``: each group scaled
    from its cap to its weight (fit 60 / engagement 40 makes a 0–100 score)."""

    method: Literal["sum", "weighted"] = "sum"
    weights: Weights | None = None


class Grade(Spec):
    grade: Annotated[str, Field(min_length=1, max_length=8)]
    min_fit: float | None = None


class Band(Spec):
    band: Annotated[int, Field(ge=1, le=9)]
    min_engagement: float | None = None


class Tier(Spec):
    """A tier; the first whose ``when`` holds wins. ``sales: false`` means nurture only."""

    name: Name
    when: Expression
    sla: Duration | None = None
    #: How the SLA is counted: ``calendar`` (every hour, the default) or ``business`` (the
    #: owner's working hours in their zone; see :mod:`leadgate.handoff.calendar`).
    sla_hours: Literal["calendar", "business"] | None = None
    route: str | None = None
    sales: bool = True
    description: str | None = None


class Lifecycle(Spec):
    """What happens to an MQL over time, judged as of a given time by ``leadgate sweep``
    (:mod:`leadgate.handoff.lifecycle`): recycled when nobody touched it within
    ``recycle_untouched_after``, or (``recycle_below_tiers``) when its score falls below
    every sales tier. A recycled lead re-enters MQL only with new engagement: an event after
    it was recycled, of one of ``reentry_events`` when given (else of any type)."""

    recycle_untouched_after: Duration | None = None
    recycle_below_tiers: bool = False
    reentry_events: list[Name] | None = None


class Definition(Spec):
    """One MQL definition, as agreed by marketing and sales."""

    leadgate: Literal[1] = 1
    name: Name
    version: Annotated[str, BeforeValidator(_version), Field(min_length=1, max_length=60)]
    description: str | None = None
    owners: dict[str, str] = Field(default_factory=dict)
    review_by: dt.date | None = None
    attributes: dict[str, FieldType] = Field(default_factory=dict)
    account_attributes: dict[str, FieldType] = Field(default_factory=dict)
    event_types: list[Name] = Field(default_factory=list)
    fit: FitGroup = Field(default_factory=FitGroup)
    engagement: EngagementGroup = Field(default_factory=EngagementGroup)
    disqualifiers: list[Disqualifier] = Field(default_factory=list, max_length=200)
    score: ScoreSpec = Field(default_factory=ScoreSpec)
    grades: list[Grade] = Field(default_factory=list)
    bands: list[Band] = Field(default_factory=list)
    tiers: list[Tier] = Field(default_factory=list, max_length=50)
    lifecycle: Lifecycle | None = None
