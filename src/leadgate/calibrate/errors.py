"""Calibration's errors: one class, a stable code per reason (LG840-LG859)."""

from __future__ import annotations

from ..errors import LeadgateError

NO_OUTCOME = "LG840"  # no such outcome, a value that is neither yes nor no, nothing labelled
UNKNOWN_COLUMN = "LG841"  # --exclude / --split-by names no lead column, or the wrong type
BAD_GOAL = "LG842"  # --capacity / --target-rate unreadable or impossible here
TOO_FEW = "LG843"  # too few leads or conversions to learn from
NO_FEATURES = "LG844"  # nothing left to learn from once leaking columns are out

CALIBRATION_FAILURES: dict[str, str] = {
    NO_OUTCOME: "no such outcome, an outcome value that is neither yes nor no, none known",
    UNKNOWN_COLUMN: "--exclude or --split-by names no lead column, or one of the wrong type",
    BAD_GOAL: "a goal (--capacity, --target-rate) that cannot be read or met",
    TOO_FEW: "too few leads or conversions to learn from",
    NO_FEATURES: "no criterion left to learn from",
}


class CalibrationError(LeadgateError, ValueError):
    """Calibration cannot run on this data or with these options; ``code`` says why.

    >>> CalibrationError("No outcome 'x'.", code=NO_OUTCOME).code
    'LG840'
    """

    code = "LG840"

    def __init__(self, message: str, *, code: str = NO_OUTCOME) -> None:
        if code not in CALIBRATION_FAILURES:
            raise ValueError(f"{code!r} is not a calibration failure code.")
        super().__init__(message)
        self.code = code
