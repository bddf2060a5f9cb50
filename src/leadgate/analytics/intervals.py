"""Confidence intervals for conversion rates and their differences, in plain Python.

Why Wilson and Newcombe and not the textbook ``p ± 1.96·sqrt(p(1-p)/n)``: conversion rates
are small (2 %, 10 %) and groups are often small too, where that interval leaves [0, 1] and
says "± 0" for 0 of 12. Wilson's score interval stays inside [0, 1] and is honest at 0 and
n; Newcombe's hybrid score interval (method 10 of Newcombe 1998) builds the interval of a
difference of two rates from the two Wilson intervals.

The examples are the published ones (Newcombe 1998, Statistics in Medicine 17: 873-890):

>>> [round(x, 4) for x in wilson(81, 263)]
[0.2553, 0.3662]
>>> [round(x, 4) for x in newcombe(56, 70, 48, 80)]
[0.0524, 0.3339]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: The normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of ``successes / n``; (0, 1) when ``n`` is 0 (nothing known)."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n; got {successes} of {n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At 0 or n the bound is exactly 0 or 1; floating point may miss it by an ulp.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def newcombe(a: int, n_a: int, b: int, n_b: int, z: float = Z95) -> tuple[float, float]:
    """Newcombe's interval of ``a/n_a - b/n_b`` (the hybrid score method)."""
    if n_a == 0 or n_b == 0:
        return -1.0, 1.0
    p1, p2 = a / n_a, b / n_b
    l1, u1 = wilson(a, n_a, z)
    l2, u2 = wilson(b, n_b, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return max(-1.0, low), min(1.0, high)


@dataclass(frozen=True)
class Rate:
    """``converted`` of ``n`` with its 95 % Wilson interval (``rate`` None when ``n`` is 0)."""

    converted: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.converted, self.n)

    def as_dict(self) -> dict[str, Any]:
        low, high = self.interval
        rate = self.rate
        return {
            "n": self.n,
            "converted": self.converted,
            "rate": None if rate is None else round(rate, 6),
            "ci_low": round(low, 6),
            "ci_high": round(high, 6),
        }


def difference(a: Rate, b: Rate) -> tuple[float, float] | None:
    """The 95 % interval of ``a.rate - b.rate``; None when either group is empty."""
    if not a.n or not b.n:
        return None
    return newcombe(a.converted, a.n, b.converted, b.n)


def pct(value: float | None, digits: int = 1) -> str:
    """A share as people read it: ``pct(0.10525) == '10.5 %'``; '–' when unknown."""
    return "–" if value is None else f"{100 * value:.{digits}f} %"
