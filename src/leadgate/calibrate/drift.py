"""Drift: when the leads or their conversion change over time, a definition learned on
the past stops fitting.

The population stability index (PSI) compares each attribute's distribution (its bins and
levels) in the training period with the latest one: PSI = Σ (latest − train) · ln(latest /
train). The usual reading: under 0.1 stable, 0.1 to 0.25 a moderate shift worth watching,
over 0.25 a major shift (recalibrate). Conversion is followed per month (or per tenth of
the leads when the order is not a date).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .dataset import LeadTable
from .features import Feature

MODERATE, MAJOR = 0.1, 0.25
EPS = 1e-4


@dataclass(frozen=True)
class Shift:
    """One attribute's (or rule's) PSI between the training and the latest period."""

    feature: str
    psi: float
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def psi(expected: np.ndarray[Any, Any], actual: np.ndarray[Any, Any]) -> float:
    """The population stability index of two share vectors (each summing to 1).

    >>> psi(np.array([0.5, 0.5]), np.array([0.5, 0.5]))
    0.0
    """
    e, a = np.clip(expected, EPS, None), np.clip(actual, EPS, None)
    return round(float(np.sum((a - e) * np.log(a / e))), 4)


def verdict(value: float) -> str:
    if value >= MAJOR:
        return "major shift"
    if value >= MODERATE:
        return "moderate shift"
    return "stable"


def _shares(met: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Shares of each bin of a group (the columns of ``met``) and of none of them."""
    counts = met.sum(axis=0).astype(float)
    none = float((~met.any(axis=1)).sum())
    total = max(float(len(met)), 1.0)
    return np.append(counts, none) / total


def feature_shifts(
    X: np.ndarray[Any, Any],
    features: list[Feature],
    train: np.ndarray[Any, Any],
    latest: np.ndarray[Any, Any],
) -> list[Shift]:
    """PSI per attribute (its bins together) and per rule or event threshold, worst first."""
    groups: dict[str, list[int]] = defaultdict(list)
    for j, f in enumerate(features):
        groups[f.column or f.name].append(j)
    out = []
    for name, cols in groups.items():
        met = X[:, cols] == 1
        value = psi(_shares(met[train]), _shares(met[latest]))
        out.append(Shift(name, value, verdict(value)))
    return sorted(out, key=lambda s: (-s.psi, s.feature))


def periods(table: LeadTable) -> list[dict[str, Any]]:
    """Conversion per month (a date order) or per tenth of the leads in order."""
    if table.order is None:
        return []
    if table.months is not None:
        labels = table.months
    else:
        ranks = np.argsort(np.argsort(table.order, kind="stable"), kind="stable")
        labels = np.asarray([f"tenth {1 + r * 10 // len(ranks):02d}" for r in ranks], dtype=object)
    out = []
    for label in sorted(set(labels.tolist())):
        mask = labels == label
        out.append(
            {
                "period": str(label),
                "leads": int(mask.sum()),
                "converted": int(table.y[mask].sum()),
                "rate": round(float(table.y[mask].mean()), 4),
            }
        )
    return out


def conversion_words(rows: list[dict[str, Any]], train_rate: float, latest_rate: float) -> str:
    """Conversion drift in plain words (a change by half or more is called drift)."""
    if not rows:
        return "No dates: conversion over time was not measured."
    first, last = rows[0], rows[-1]
    span = (
        f"Conversion went from {first['rate']:.1%} ({first['period']}) to "
        f"{last['rate']:.1%} ({last['period']})"
    )
    ratio = latest_rate / train_rate if train_rate else float("inf")
    if ratio >= 1.5 or ratio <= 1 / 1.5:
        return (
            f"{span}: drift. The latest period converts at {latest_rate:.1%} against "
            f"{train_rate:.1%} in training; probabilities learned on the past will be off, "
            "recalibrate on recent outcomes."
        )
    return f"{span}; the latest period ({latest_rate:.1%}) is close to training ({train_rate:.1%})."


def shift_words(shifts: list[Shift]) -> list[str]:
    """One plain sentence per attribute that crossed 0.1."""
    out = []
    for s in shifts:
        if s.psi >= MAJOR:
            out.append(
                f"{s.feature}: PSI {s.psi:.2f}, a major shift since training (over {MAJOR})."
            )
        elif s.psi >= MODERATE:
            out.append(f"{s.feature}: PSI {s.psi:.2f}, a moderate shift (over {MODERATE}).")
    return out
