"""The points model: a regularised logistic regression turned into integer points.

Why a logistic regression on yes/no features: each coefficient is the change in log-odds
when one criterion holds, so scaled and rounded it is a number of points a marketing lead
can read, argue about and write into the definition; the sum of points ranks leads as the
model does, up to the rounding (whose cost in AUC :func:`leadgate.calibrate.evaluate` reports).

>>> to_points([0.9, -0.3, 0.004], top=30)
[30, -10, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

#: The points of the strongest criterion; the others are scaled to it.
TOP_POINTS = 30


def to_points(
    coefficients: Sequence[float] | np.ndarray[Any, Any], top: int = TOP_POINTS
) -> list[int]:
    """Coefficients scaled so the largest magnitude is ``top`` points, rounded to integers.

    The sign of every kept coefficient is kept; one that rounds to 0 is dropped (0 points:
    the proposal leaves that criterion out). All zeros stay all zeros.
    """
    coefs = np.asarray(coefficients, dtype=float)
    if top < 1:
        raise ValueError(f"top must be at least 1 point. Got {top!r} instead.")
    if not np.all(np.isfinite(coefs)):
        raise ValueError("coefficients must be finite numbers.")
    if coefs.size == 0:
        return []
    largest = float(np.max(np.abs(coefs)))
    if largest == 0.0:
        return [0] * coefs.size
    # round-half-away-from-zero keeps the rounding symmetric in sign
    scaled = coefs / largest * top  # divided first: a tiny largest must not overflow
    return [int(np.sign(v) * np.floor(abs(v) + 0.5)) for v in scaled]


def _logistic(penalty: str, C: float) -> LogisticRegression:
    """liblinear: deterministic, and fast on many 0/1 columns. scikit-learn 1.8 names the
    penalty by ``l1_ratio`` (``penalty`` is deprecated there); earlier ones by ``penalty``."""
    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    if (major, minor) >= (1, 8):
        ratio = 1.0 if penalty == "l1" else 0.0
        return LogisticRegression(
            l1_ratio=ratio, C=C, solver="liblinear", random_state=0, max_iter=500
        )
    return LogisticRegression(  # pragma: no cover - older scikit-learn
        penalty=penalty, C=C, solver="liblinear", random_state=0, max_iter=500
    )


class PointsModel:
    """Logistic regression on 0/1 features whose coefficients become integer points.

    Follows scikit-learn's estimator contract: ``__init__`` stores its arguments, ``fit``
    returns ``self``, learned state ends in ``_`` (``coef_``, ``points_``, ``scale_``).
    ``penalty`` is ``"l1"`` (drops weak criteria) or ``"l2"``; ``C`` the inverse strength.
    """

    def __init__(self, penalty: str = "l2", C: float = 0.1, top: int = TOP_POINTS) -> None:
        self.penalty = penalty
        self.C = C
        self.top = top

    def fit(self, X: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> PointsModel:
        if self.penalty not in ("l1", "l2"):
            raise ValueError(f"penalty must be 'l1' or 'l2'. Got {self.penalty!r} instead.")
        if len(np.unique(y)) < 2:
            raise ValueError("The outcome has one value only: nothing to learn from.")
        model = _logistic(self.penalty, self.C).fit(X, y)
        self.model_ = model
        self.coef_ = np.asarray(model.coef_[0], dtype=float)
        self.intercept_ = float(model.intercept_[0])
        self.points_ = np.asarray(to_points(self.coef_, self.top), dtype=np.int64)
        largest = float(np.max(np.abs(self.coef_))) if self.coef_.size else 0.0
        self.scale_ = self.top / largest if largest else 0.0
        return self

    def decision_function(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The unrounded model's log-odds (its ranking)."""
        return np.asarray(X @ self.coef_ + self.intercept_, dtype=float)

    def score_points(self, X: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Each lead's total points: what the proposed definition scores."""
        return np.asarray(X @ self.points_, dtype=np.int64)
