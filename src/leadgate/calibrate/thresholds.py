"""Score thresholds for a stated goal, and tiers sized from them.

A goal is a volume or a rate: sales capacity (``400/month``: the SDRs work 400 MQLs a
month; the threshold is the score whose MQL volume on the validation period fits it) or a
target MQL→SQL rate (``0.3``: the largest volume whose conversion is at least 30 %).
Either becomes a *share* of leads; a share is turned into a score threshold on the scores
the proposal will produce.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .errors import BAD_GOAL, CalibrationError

_PER = {"month": 1.0, "week": 52.0 / 12.0, "day": 365.25 / 12.0}
_CAPACITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(month|week|day))?\s*$")


def parse_capacity(text: str) -> float:
    """MQLs per month from ``400/month``, ``100/week``, ``20/day`` or ``400`` (a month).

    >>> parse_capacity("100/week")
    433.33
    """
    match = _CAPACITY.match(text.lower())
    if match is None or float(match.group(1)) <= 0:
        raise CalibrationError(
            f"--capacity {text!r}: write a number of MQLs per month, week or day, e.g. "
            "400/month or 100/week.",
            code=BAD_GOAL,
        )
    return round(float(match.group(1)) * _PER[match.group(2) or "month"], 2)


def share_for_capacity(per_month: float, months: int, leads: int) -> float:
    """The share of leads the capacity covers over ``months`` months of ``leads`` leads."""
    if months < 1:
        raise CalibrationError(
            "--capacity is per month, and these leads have no dates: pass --split-by a date "
            "field, or use --target-rate.",
            code=BAD_GOAL,
        )
    return min(1.0, per_month * months / max(leads, 1))


def share_for_rate(score: np.ndarray[Any, Any], y: np.ndarray[Any, Any], rate: float) -> float:
    """The largest share of leads, best first, whose conversion is at least ``rate``."""
    if not 0 < rate < 1:
        raise CalibrationError(
            f"--target-rate {rate!r}: give a rate between 0 and 1, e.g. 0.3.", code=BAD_GOAL
        )
    best_share, best_rate = 0.0, 0.0
    for t in np.unique(score)[::-1]:
        chosen = score >= t
        precision = float(y[chosen].mean())
        best_rate = max(best_rate, precision)
        if precision >= rate:
            best_share = float(chosen.mean())
    if best_share == 0.0:
        raise CalibrationError(
            f"No threshold reaches a conversion of {rate:.0%} (the best is {best_rate:.1%}); "
            "set a lower --target-rate.",
            code=BAD_GOAL,
        )
    return best_share


def threshold_at_share(score: np.ndarray[Any, Any], share: float) -> float:
    """The lowest score whose leads at or above it are at most ``share`` of all (at least
    the top score: ties are never split)."""
    values = np.unique(score)[::-1]
    chosen = values[0]
    for t in values:
        if float((score >= t).mean()) > share + 1e-12:
            break
        chosen = t
    return float(chosen)


def at_threshold(
    score: np.ndarray[Any, Any], y: np.ndarray[Any, Any], threshold: float
) -> dict[str, Any]:
    """Volume, conversion (precision) and the share of converters caught (recall)."""
    chosen = score >= threshold
    volume, caught, total = int(chosen.sum()), int(y[chosen].sum()), int(y.sum())
    return {
        "threshold": threshold,
        "mqls": volume,
        "precision": round(caught / volume, 4) if volume else None,
        "recall": round(caught / total, 4) if total else None,
    }


def at_volume(score: np.ndarray[Any, Any], y: np.ndarray[Any, Any], volume: int) -> dict[str, Any]:
    """:func:`at_threshold` at exactly ``volume`` leads, best first: of the leads tied at
    the last score taken, the share needed is counted with their share of conversions, so
    two scores are compared at the same volume even when one has many ties (a threshold
    can only take a tie whole or leave it).

    >>> at_volume(np.array([3, 2, 2, 1]), np.array([1, 1, 0, 0]), 2)["precision"]
    0.75
    """
    order = np.sort(score)[::-1]
    total = int(y.sum())
    if volume <= 0 or len(order) == 0:
        return {"threshold": None, "mqls": 0, "precision": None, "recall": None}
    cut = order[min(volume, len(order)) - 1]
    above, tied = score > cut, score == cut
    take = min(volume, len(order)) - int(above.sum())
    caught = float(y[above].sum()) + take * float(y[tied].sum()) / int(tied.sum())
    n = int(above.sum()) + take
    return {
        "threshold": float(cut),
        "mqls": n,
        "precision": round(caught / n, 4),
        "recall": round(caught / total, 4) if total else None,
    }


def tier_shares(mql_share: float, nurture: bool) -> list[float]:
    """Shares of the tiers, best first: the top quarter of the MQL volume, the rest of it,
    and (when the definition has a nurture tier) as many again below it."""
    shares = [mql_share / 4.0, mql_share]
    if nurture:
        shares.append(min(1.0, 2.0 * mql_share))
    return shares


def assign_tiers(score: np.ndarray[Any, Any], cutoffs: list[float]) -> np.ndarray[Any, Any]:
    """The tier index of each lead (the first whose cutoff it reaches; len: none)."""
    out = np.full(score.shape, len(cutoffs), dtype=np.int64)
    for i in range(len(cutoffs) - 1, -1, -1):
        out[score >= cutoffs[i]] = i
    return out
