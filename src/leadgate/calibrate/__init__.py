"""Calibration: learn from outcomes which criteria predict conversion, and propose the
points and thresholds as the next version of the definition (``leadgate calibrate``).

See :func:`calibrate` and :class:`Options`; the result is a :class:`Calibration`.
"""

from __future__ import annotations

from .errors import CalibrationError
from .points import PointsModel, to_points
from .result import Calibration, PointsRule, TierOutcome
from .run import Options, calibrate

__all__ = [
    "Calibration",
    "CalibrationError",
    "Options",
    "PointsModel",
    "PointsRule",
    "TierOutcome",
    "calibrate",
    "to_points",
]
