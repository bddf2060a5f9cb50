"""Fitting the points model and the gradient-boosting reference on a split, and the
out-of-sample scores every later figure is read from.

Time-ordered: both models learn on the first 60 %, the calibration (isotonic) and the
thresholds are set on the next 20 %, and every reported figure is read on the latest 20 %.
Cross-validation: each fold is scored by models that never saw it (out-of-fold), the
calibration is cross-fitted the same way, and the proposal's points come from one model
refit on every lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from .dataset import LeadTable
from .evaluate import Split, isotonic
from .features import Feature
from .points import PointsModel

#: The boosting reference runs on one OpenMP thread. Its threads spin while they wait for
#: each other, and on a shared or busy machine that turned a small fit into minutes (186 s
#: for 1,737 rows at a load of 9 on 2 cores, one thread: under a second) and made 1,000,000
#: leads take 569 s; a reference model is not worth starving the machine for.
BOOSTING_THREADS = 1


@dataclass
class Scored:
    """Out-of-sample scores on the evaluation rows ``rows`` and the final points model."""

    model: PointsModel
    rows: np.ndarray[Any, Any]  # the evaluation rows (the holdout, or every row out of fold)
    points: np.ndarray[Any, Any]
    unrounded: np.ndarray[Any, Any]
    boosting: np.ndarray[Any, Any]
    probability: np.ndarray[Any, Any]
    reference: np.ndarray[Any, Any]  # rows whose scores thresholds are chosen on
    reference_points: np.ndarray[Any, Any]
    final_points: np.ndarray[Any, Any]  # the final model's points on the reference rows
    probability_table: list[dict[str, float]]


def boosting_matrix(
    table: LeadTable, X: np.ndarray[Any, Any], features: list[Feature], min_count: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The reference model's inputs: every raw attribute it may use (numbers as they are,
    text as level codes) and every rule and event feature (unknown as missing)."""
    used = sorted({f.column for f in features if f.column is not None})
    cols, categorical = [], []
    for name in used:
        values = table.values[name]
        if table.kinds[name] == "text":
            keys = [None if v is None else str(v).lower() for v in values]
            counts: dict[str, int] = {}
            for k in keys:
                if k is not None:
                    counts[k] = counts.get(k, 0) + 1
            levels = sorted(k for k, n in counts.items() if n >= min_count)[:250]
            code = {k: float(i) for i, k in enumerate(levels)}
            cols.append(np.asarray([code.get(k, np.nan) if k else np.nan for k in keys]))
            categorical.append(True)
        else:
            cols.append(values.astype(float))
            categorical.append(False)
    for j, f in enumerate(features):
        if f.column is None:
            cols.append(np.where(X[:, j] < 0, np.nan, X[:, j]).astype(float))
            categorical.append(False)
    if not cols:
        return np.zeros((len(table.y), 1)), np.zeros(1, dtype=bool)
    return np.column_stack(cols), np.asarray(categorical, dtype=bool)


class _Boosting:
    """The reference model on the columns that vary in its training rows (one without
    two distinct values teaches nothing, and scikit-learn cannot bin an empty one)."""

    def __init__(self, B: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]) -> None:
        self.X, self.mask = B

    def fit(self, rows: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> _Boosting:
        part = self.X[rows]
        self.cols_ = [
            j for j in range(part.shape[1]) if len(np.unique(part[:, j][~np.isnan(part[:, j])])) > 1
        ]
        self.model_ = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.1, categorical_features=self.mask[self.cols_],
            random_state=0,
        )  # fmt: skip
        with threadpool_limits(BOOSTING_THREADS, user_api="openmp"):
            self.model_.fit(part[:, self.cols_], y)
        return self

    def proba(self, rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        with threadpool_limits(BOOSTING_THREADS, user_api="openmp"):
            return np.asarray(self.model_.predict_proba(self.X[rows][:, self.cols_])[:, 1])


def _table(model: Any, scores: np.ndarray[Any, Any]) -> list[dict[str, float]]:
    return [
        {"score": float(s), "probability": round(float(model.predict([s])[0]), 4)}
        for s in np.unique(scores)
    ]


def fit_time(
    M: np.ndarray[Any, Any],
    B: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]],
    y: np.ndarray[Any, Any],
    split: Split,
    make: PointsModel,
) -> Scored:
    model = PointsModel(make.penalty, make.C, make.top).fit(M[split.train], y[split.train])
    boost = _Boosting(B).fit(split.train, y[split.train])
    valid_points = model.score_points(M[split.valid])
    calibrator = isotonic(valid_points, y[split.valid])
    test_points = model.score_points(M[split.test])
    return Scored(
        model=model,
        rows=split.test,
        points=test_points,
        unrounded=model.decision_function(M[split.test]),
        boosting=boost.proba(split.test),
        probability=calibrator.predict(test_points.astype(float)),
        reference=split.valid,
        reference_points=valid_points,
        final_points=valid_points,
        probability_table=_table(calibrator, np.concatenate([valid_points, test_points])),
    )


def fit_folds(
    M: np.ndarray[Any, Any],
    B: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]],
    y: np.ndarray[Any, Any],
    split: Split,
    make: PointsModel,
) -> Scored:
    n = len(y)
    points, unrounded, boosting = np.zeros(n, np.int64), np.zeros(n), np.zeros(n)
    for fold in split.folds:
        rest = np.setdiff1d(np.arange(n), fold)
        model = PointsModel(make.penalty, make.C, make.top).fit(M[rest], y[rest])
        points[fold] = model.score_points(M[fold])
        unrounded[fold] = model.decision_function(M[fold])
        boosting[fold] = _Boosting(B).fit(rest, y[rest]).proba(fold)
    probability = np.zeros(n)
    for fold in split.folds:
        # Each fold's probability comes from a calibration the fold had no part in.
        rest = np.setdiff1d(np.arange(n), fold)
        probability[fold] = isotonic(points[rest], y[rest]).predict(points[fold].astype(float))
    final = PointsModel(make.penalty, make.C, make.top).fit(M, y)
    final_points = final.score_points(M)
    everyone = np.arange(n)
    return Scored(
        model=final,
        rows=everyone,
        points=points,
        unrounded=unrounded,
        boosting=boosting,
        probability=probability,
        reference=everyone,
        reference_points=points,
        final_points=final_points,
        probability_table=_table(isotonic(final_points, y), final_points),
    )
