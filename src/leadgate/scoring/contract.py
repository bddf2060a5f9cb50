"""What the Python evaluator and the SQL plan agree on, in a module that loads no SQLGlot.

Both engines (:mod:`leadgate.scoring.codegen` writes Python, :mod:`leadgate.scoring.sql`
writes SQL) follow one contract:

* amounts are integers in hundredths of a point; an event's decayed amount is
  ``floor(|cents| * 0.5 ** (age / half_life) + 0.5)`` with the rule's sign, so sums are
  exact and independent of order;
* an event counts when ``as_of - window <= ts <= as_of``; later events are ignored;
* caps clamp a sum's magnitude; group floors/caps clamp the group; the weighted method
  scales each group by ``weight * 100 / cap`` and rounds half up;
* an engagement rule per unit of a number ``v`` is worth
  ``floor(min(max(cents * v, -cap), cap) + 0.5)`` (``v`` as a DOUBLE; not judged when
  ``v`` is missing or not finite); ``days_since(date field)`` is
  ``(as_of - date) / 86400000000.0`` days, missing for a date after the as-of time.

The incremental scorer imports from here, not from the SQL generator, so that rescoring one
lead never pays for loading SQLGlot.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..definition.compile import CompiledDefinition


def horizon_us(c: CompiledDefinition) -> int | None:
    """The longest look-back (µs) of any event rule or condition; None when one is unbounded.

    ``days_since`` and window-less counts or contacts read all history.
    """
    windows: list[int | None] = [r.window_us for r in c.event_rules]
    for agg in c.aggregates.values():
        if agg.kind in ("count", "contacts"):
            windows.append(agg.window_us)
        elif agg.kind == "last":
            windows.append(None)
    if not windows or None in windows:
        return None
    return max(w for w in windows if w is not None)


class RawScore(NamedTuple):
    """Every number of one lead's score, as both engines compute it (amounts in hundredths).

    The generated Python function returns one; the SQL plan returns the same values as
    columns named by :mod:`leadgate.scoring.names` (the tuples spread one column each).
    """

    fit: int  # fit_raw held between the fit floor and cap
    engagement: int  # engagement_raw held between the engagement floor and cap
    total: int  # fit_weighted + engagement_weighted
    grade: Any  # the fit ladder's label, or None
    band: Any  # the engagement ladder's label, or None
    disqualifier: int  # index of the first disqualifier that holds, else -1
    tier: int  # index of the first tier that holds, else -1 (always -1 when disqualified)
    fit_verdicts: tuple[bool | None, ...]  # per fit rule; None: a value it reads is missing
    event_capped: tuple[int, ...]  # per event rule: its points, held to its cap
    event_counts: tuple[int, ...]  # per event rule: how many events it counted
    fit_raw: int
    engagement_raw: int
    fit_weighted: int
    engagement_weighted: int
    # per engagement rule (the lead's own fields): its points, held to its cap; None: a
    # value it reads is missing
    engagement_rules: tuple[int | None, ...] = ()


def clamp(var: str, floor: int | None, cap: int | None, low: str = "max", high: str = "min") -> str:
    """``var`` held between ``floor`` and ``cap``, in Python (min/max) or SQL (LEAST/GREATEST).

    >>> clamp("fit_raw", 0, 6000), clamp("x", None, 10, "GREATEST", "LEAST")
    ('max(min(fit_raw, 6000), 0)', 'LEAST(x, 10)')
    """
    out = var
    if cap is not None:
        out = f"{high}({out}, {cap})"
    if floor is not None:
        out = f"{low}({out}, {floor})"
    return out
