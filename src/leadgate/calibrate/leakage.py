"""Columns that know the outcome: set by sales after the fact, they would make a perfect
model and a useless definition.

Three signs, each cheap and each read on the training part only:

- **exists only for converted leads**: where a value is present, the lead converted (95 %
  or more of at least 10 leads), and almost no other lead has one (Olist's closed-deals
  columns, filled in when a deal is won);
- **near-perfect single-column AUC** (≥ 0.9): one column that separates the outcomes alone;
- **too good to be true** (:func:`lift_leak`): a column that lifts the whole model's
  validation AUC by 0.1 or more on its own, when every other column is already in it
  (UCI's ``duration``, the last call's length, only known after the call: 0.82 alone over
  all rows, and 0.94 with the rest against 0.80 without).

A flagged column is left out of the proposal; the report says which and why, and
``--exclude`` leaves out one known to leak without asking.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from .dataset import LeadTable

NEAR_PERFECT = 0.9
SUSPECT_AUC = 0.7
LIFT = 0.1
#: A value present on at least 10 leads, 95 % of them converted, and on ≤ 2 % of the others.
ONLY_CONVERTED = (10, 0.95, 0.02)


@dataclass(frozen=True)
class Leak:
    """A column flagged as leaking, with the figures that flagged it."""

    column: str
    reason: str
    auc: float | None
    present_converted: float
    present_other: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def single_auc(values: np.ndarray[Any, Any], kind: str, y: np.ndarray[Any, Any]) -> float | None:
    """How well one column alone separates the outcomes (0.5 none, 1.0 perfectly), either way.

    Missing is a value of its own; text levels are ranked by their conversion.
    """
    if len(np.unique(y)) < 2:
        return None
    if kind == "text":
        keys = np.asarray(["\0" if v is None else str(v).lower() for v in values], dtype=object)
        levels, index = np.unique(keys, return_inverse=True)
        rate = np.bincount(index, weights=y, minlength=len(levels)) / np.bincount(index)
        score = rate[index]
    else:
        low = np.nanmin(values) - 1 if np.isfinite(values).any() else 0.0
        score = np.where(np.isnan(values), low, values)
    a = float(roc_auc_score(y, score))
    return round(max(a, 1 - a), 4)


def present(values: np.ndarray[Any, Any], kind: str) -> np.ndarray[Any, Any]:
    if kind == "text":
        return np.asarray([v is not None and str(v).strip() != "" for v in values], dtype=bool)
    return np.asarray(~np.isnan(values), dtype=bool)


def scan(table: LeadTable, rows: np.ndarray[Any, Any]) -> tuple[list[Leak], dict[str, float]]:
    """The columns flagged on ``rows``, and every column's single-column AUC."""
    y = table.y[rows]
    leaks, aucs = [], {}
    for name in sorted(table.kinds):
        kind, values = table.kinds[name], table.values[name][rows]
        there = present(values, kind)
        on_yes = float(there[y == 1].mean()) if (y == 1).any() else 0.0
        on_no = float(there[y == 0].mean()) if (y == 0).any() else 0.0
        score = single_auc(values, kind, y)
        aucs[name] = score or 0.5
        figures = (score, round(on_yes, 4), round(on_no, 4))
        n_present = int(there.sum())
        converted = float(y[there].mean()) if n_present else 0.0
        least, share, others = ONLY_CONVERTED
        if n_present >= least and converted >= share and on_no <= others:
            leaks.append(Leak(name, "has a value only for converted leads", *figures))
        elif score is not None and score >= NEAR_PERFECT:
            leaks.append(Leak(name, f"separates the outcomes almost alone (AUC {score})", *figures))
    return leaks, aucs


def suspects(aucs: dict[str, float], flagged: set[str]) -> list[str]:
    """Columns worth the drop-column test: strong alone, not flagged yet."""
    return sorted(c for c, a in aucs.items() if a >= SUSPECT_AUC and c not in flagged)


def lift_leak(column: str, lift: float, table: LeadTable, rows: np.ndarray[Any, Any]) -> Leak:
    y = table.y[rows]
    there = present(table.values[column][rows], table.kinds[column])
    return Leak(
        column,
        f"adds {lift:.2f} AUC on its own, more than is plausible for one field known "
        "before the outcome",
        single_auc(table.values[column][rows], table.kinds[column], y),
        round(float(there[y == 1].mean()), 4),
        round(float(there[y == 0].mean()), 4),
    )
