"""How well a score ranks and how well its probability is calibrated.

Computing a table is kept apart from drawing it (scikit-learn's ``calibration_curve`` vs
``CalibrationDisplay``): these functions return numbers; the CLI and reports draw them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from .dataset import LeadTable
from .errors import TOO_FEW, CalibrationError

#: Shares of a time-ordered table: train on the first 60 %, choose thresholds and calibrate
#: on the next 20 %, judge on the latest 20 % (the holdout).
TRAIN_SHARE, VALID_SHARE = 0.6, 0.2
MIN_CONVERSIONS = 10


@dataclass
class Split:
    """``time``: train / valid / test row indices in time order; ``cv``: the folds."""

    mode: str
    train: np.ndarray[Any, Any]
    valid: np.ndarray[Any, Any]
    test: np.ndarray[Any, Any]
    folds: list[np.ndarray[Any, Any]]


def make_split(table: LeadTable, folds: int | None) -> Split:
    """Time-ordered when the table has a time and no ``folds`` were asked for; else
    stratified ``folds``-fold cross-validation (5 by default)."""
    n, positives = len(table.y), int(table.y.sum())
    if positives < MIN_CONVERSIONS or n - positives < MIN_CONVERSIONS:
        raise CalibrationError(
            f"{positives:,} of {n:,} leads converted: calibration needs at least "
            f"{MIN_CONVERSIONS} conversions and {MIN_CONVERSIONS} non-conversions.",
            code=TOO_FEW,
        )
    empty = np.zeros(0, dtype=np.int64)
    if table.order is not None and folds is None:
        order = np.argsort(table.order, kind="stable")
        a, b = int(n * TRAIN_SHARE), int(n * (TRAIN_SHARE + VALID_SHARE))
        split = Split("time", order[:a], order[a:b], order[b:], [])
        for part, rows in (("training", split.train), ("validation", split.valid)):
            if len(np.unique(table.y[rows])) < 2:
                raise CalibrationError(
                    f"The {part} part (by {table.split_by}) has one outcome only; use "
                    "cross-validation (--folds 5) or more history.",
                    code=TOO_FEW,
                )
        return split
    k = folds or 5
    if k < 2 or k > min(positives, n - positives):
        raise CalibrationError(
            f"--folds {k}: use from 2 to {min(positives, n - positives)} folds.", code=TOO_FEW
        )
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=0)
    parts = [test for _, test in cv.split(np.zeros(n), table.y)]
    return Split("cv", empty, empty, np.arange(n), parts)


def auc(y: np.ndarray[Any, Any], score: np.ndarray[Any, Any]) -> float | None:
    """ROC AUC, or None when only one outcome is present."""
    if len(np.unique(y)) < 2:
        return None
    return round(float(roc_auc_score(y, score)), 4)


def isotonic(score: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> IsotonicRegression:
    """Isotonic calibration: a monotone step from points to probability (more points never
    means a lower probability), no shape assumed."""
    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    return model.fit(score.astype(float), y.astype(float))


def reliability(
    prob: np.ndarray[Any, Any], y: np.ndarray[Any, Any], bins: int = 10
) -> list[dict[str, float | int]]:
    """Predicted vs observed conversion in ``bins`` equal-width bins of probability."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(prob, edges[1:-1], right=False), 0, bins - 1)
    out: list[dict[str, float | int]] = []
    for b in range(bins):
        mask = which == b
        if not mask.any():
            continue
        out.append(
            {
                "low": round(float(edges[b]), 2),
                "high": round(float(edges[b + 1]), 2),
                "predicted": round(float(prob[mask].mean()), 4),
                "observed": round(float(y[mask].mean()), 4),
                "leads": int(mask.sum()),
            }
        )
    return out


def brier(prob: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> float:
    return round(float(brier_score_loss(y, prob)), 4)
