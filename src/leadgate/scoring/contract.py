"""What the Python evaluator and the SQL plan agree on, in a module that loads no SQLGlot.

Both engines (:mod:`leadgate.scoring.codegen` writes Python, :mod:`leadgate.scoring.sql`
writes SQL) follow one contract:

* amounts are integers in hundredths of a point; an event's decayed amount is
  ``floor(|cents| * 0.5 ** (age / half_life) + 0.5)`` with the rule's sign, so sums are
  exact and independent of order;
* an event counts when ``as_of - window <= ts <= as_of``; later events are ignored;
* caps clamp a sum's magnitude; group floors/caps clamp the group; the weighted method
  scales each group by ``weight * 100 / cap`` and rounds half up.

The incremental scorer imports from here, not from the SQL generator, so that rescoring one
lead never pays for loading SQLGlot.
"""

from __future__ import annotations

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
