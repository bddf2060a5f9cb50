"""The calibration page: which criteria predict conversion here, and the points the data
proposes.

One run (the page's *Run* button) gathers :meth:`Project.lift` (each criterion's conversion
among the leads that met it, did not, could not be judged), the conversion of the current
scores by decile (:func:`.queries.conversion_by_decile`), and :meth:`Project.calibrate`
(the reliability curve, the proposed points and the diff to the current definition). The
calibration needs enough conversions to learn from; when it cannot run, its reason is
shown and the lift and deciles still are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..calibrate.result import Calibration
from ..errors import LeadgateError
from ..project import Project
from ..results import plain
from . import queries
from .versions import diff_line


@dataclass(frozen=True)
class CalibrationPage:
    """One run of the page, for ``outcome``, computed at ``at``."""

    outcome: str
    folds: int | None
    at: dt.datetime
    lift: dict[str, Any] | None
    deciles: list[dict[str, Any]]
    calibration: Calibration | None
    problems: list[str]

    @property
    def decile_bars(self) -> list[dict[str, Any]]:
        """Each decile's conversion in percent, for the bar chart."""
        return [
            {"decile": f"decile {d['decile']}", "percent": round(100 * float(d["rate"]), 1)}
            for d in self.deciles
        ]

    @property
    def proposed_diff(self) -> list[dict[str, str]]:
        """The proposal's diff to the current definition, line by line."""
        if self.calibration is None:
            return []
        return [diff_line(line) for line in self.calibration.diff.splitlines()]

    def as_dict(self) -> dict[str, Any]:
        found = self.calibration
        return {
            "outcome": self.outcome,
            "folds": self.folds,
            "at": plain(self.at),
            "lift": self.lift,
            "conversion_by_decile": plain(self.deciles),
            "calibration": None if found is None else _summary(found),
            "proposed_diff": self.proposed_diff,
            "problems": self.problems,
        }


#: The stages a conversion can be counted at, and the outcome kind each is on record as
#: (lift reads stages, calibration reads the outcomes table).
OUTCOMES = {"won": "won", "opportunity": "opportunity", "sql": "sql", "sal": "accepted"}


class UnknownConversion(LeadgateError, ValueError):
    """A conversion stage the calibration page does not offer."""

    code = "LG923"


def calibration_page(
    project: Project, outcome: str = "won", folds: int | None = None
) -> CalibrationPage:
    """Lift, deciles and the calibration for conversion to the stage ``outcome`` (one of
    :data:`OUTCOMES`); ``folds`` cross-validates instead of holding out the newest leads
    (for a small history)."""
    if outcome not in OUTCOMES:
        raise UnknownConversion(
            f"Converted must mean one of {', '.join(OUTCOMES)}; got {outcome!r}."
        )
    problems: list[str] = []
    lift = None
    try:
        lift = project.lift(outcome=outcome).as_dict()
    except LeadgateError as exc:
        problems.append(f"lift: {exc}")
    with project.store() as store:
        deciles = queries.conversion_by_decile(store, OUTCOMES[outcome], outcome)
    found = None
    try:
        found = project.calibrate(outcome=OUTCOMES[outcome], folds=folds)
    except LeadgateError as exc:
        problems.append(f"calibration: {exc}")
    return CalibrationPage(outcome, folds, project.clock.now(), lift, deciles, found, problems)


def _summary(found: Calibration) -> dict[str, Any]:
    """The calibration without its long texts (the diff is ``proposed_diff``)."""
    out = found.as_dict()
    for long in ("proposed_yaml", "diff", "backtest"):
        out.pop(long, None)
    return out


__all__ = ["OUTCOMES", "CalibrationPage", "UnknownConversion", "calibration_page"]
