"""What :meth:`leadgate.project.Project.calibrate` returns: plain data, ``as_dict()`` for
``--json`` and the HTTP API."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from .drift import Shift
from .leakage import Leak


@dataclass(frozen=True)
class PointsRule:
    """One criterion of the points model: its condition, coefficient and integer points."""

    name: str
    when: str
    section: str
    column: str | None
    coefficient: float
    points: int
    met_share: float  # share of the training leads that meet it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TierOutcome:
    """A proposed tier on the holdout: its score threshold, volume and conversion."""

    tier: str
    threshold: float | None
    leads: int
    converted: int
    rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Calibration:
    """Everything ``leadgate calibrate`` found and proposes.

    ``auc`` holds the holdout ROC AUC of the rounded points (``points``), the unrounded
    model (``unrounded``), the gradient-boosting reference (``boosting``) and the current
    definition (``current``). ``probability`` maps each total of points to its calibrated
    probability of converting (a lead's probability is the entry of its score).
    """

    outcome: str
    split: str
    as_of: dt.datetime
    leads: int
    conversions: int
    unlabelled: int
    excluded: list[str]
    leaks: list[Leak]
    rules: list[PointsRule]
    scale: float
    auc: dict[str, float | None]
    brier: float
    reliability: list[dict[str, Any]]
    probability: list[dict[str, float]]
    goal: dict[str, Any]
    tiers: list[TierOutcome]
    comparison: dict[str, dict[str, Any]]
    shifts: list[Shift]
    conversion_by_period: list[dict[str, Any]]
    drift: list[str]
    current_version: str
    proposed_version: str
    proposed_hash: str
    proposed_yaml: str
    diff: str
    backtest: str
    warnings: list[str] = field(default_factory=list)

    @property
    def auc_given_up(self) -> float | None:
        """How much AUC the rounded points give up against the boosting reference."""
        points, boost = self.auc.get("points"), self.auc.get("boosting")
        if points is None or boost is None:
            return None
        return round(boost - points, 4)

    def as_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["as_of"] = self.as_of.isoformat()
        out["leaks"] = [leak.as_dict() for leak in self.leaks]
        out["rules"] = [rule.as_dict() for rule in self.rules]
        out["tiers"] = [tier.as_dict() for tier in self.tiers]
        out["shifts"] = [shift.as_dict() for shift in self.shifts]
        out["auc_given_up"] = self.auc_given_up
        return out
