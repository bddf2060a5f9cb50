"""An undecayed definition whose sales tiers hold wherever the decayed one's do.

Why: a backtest of a definition with a half-life evaluates its plan on every event day of
each lead (:mod:`leadgate.analytics.entries`): about 34 days a lead at 1,000,000 leads,
96 times one scoring (bench/README.md, ``bench_backtest.py``). Most of those days the lead
is in no sales tier, and a cheaper definition can say so.

:func:`upper_bound` is ``c`` with every positive event rule's half-life removed and every
negative event rule that decays left out. Where :func:`why_not` returns None, on every day
and for every lead, **if ``c`` puts the lead in a sales tier, so does the bound**:

1. *Each event rule's points are at least ``c``'s.* A positive rule counts the same events
   (the same type and window); each one's decayed amount, ``floor(cents × 0.5^(age / h) +
   0.5)`` with ``age >= 0``, is at most ``floor(cents + 0.5) = cents``, the undecayed
   amount; so the sum is at least ``c``'s, and so is the sum held to the cap (``min`` is
   monotone). A negative rule that decays is worth at most 0 in ``c`` and 0 in the bound.
   Every other rule is the same in both.
2. *So engagement, the score and the band's input are at least ``c``'s*, and fit, the
   grade, counts, intent and every field are the same: engagement adds the rules' points
   and the engagement rules (which read no score, and the same fields); the engagement
   floor and cap, the weights (none negative: :func:`leadgate.analytics.entries.why_not`
   refuses them) and rounding half up are all monotone.
3. *So the bound puts the lead in a sales tier.* :func:`why_not` asks
   :func:`leadgate.analytics.entries.why_not` with the scores counted as moving: no
   disqualifier reads a score (the lead is disqualified under both or neither), no nurture
   tier before a sales tier reads one (each is false under both, since it is under ``c``),
   and each sales tier asks only for more of them (``score >= 60``, ``engagement > 20``,
   ``and``/``or`` of such): the sales tier that holds under ``c`` holds under the bound,
   so the first tier that holds under the bound is that one or an earlier sales tier.

Leaving a negative decaying rule in at full strength would break 1 (its undecayed
``-cents`` is *below* its decayed points), and keeping its decay would not carry; left
out, it is at its weakest. The bound has no half-life, so where it reads nothing of the
account (:func:`leadgate.analytics.carry.why_not`) its replay carries counts: the
``windowed`` figures, not the ``decayed`` ones.

When every tier, nurture ones too, asks only for more of the scores
(:func:`none_follows`), a lead in no tier under the bound is in none under ``c`` either
(a tier that held under ``c`` would hold under the bound): its last day needs no plan.

**A lead's best day.** The bound's carried plan reads its events only through counts
(:func:`leadgate.analytics.carry.counters`). Given the counts of :func:`best_counts`
instead of a day's (each positive rule's and each windowed ``count``'s at
:data:`MOST`, more than any lead has; each negative rule's at 0), the bound puts a lead
in a sales tier if it does on *any* day: on that day each positive rule counts at most
``MOST`` events and each negative one at least 0, so each rule's points, capped, are at
most the best day's (as in 1); engagement, the score and the band are too (as in 2);
every windowed count is at most ``MOST``; fit, fields and every count with no window
are not read (:func:`best_counts` is None when a tier or a rule reads such a count:
it grows with the days, and a condition may read it either way). The sales tier that
held on that day asks only for more of the scores and of what falls (3, with the
counts: ``count(*, 30d) >= 3``, a fit rule's ``has(demo_request, 14d)``), and no
disqualifier and no nurture tier before it reads either: it holds on the best day. So
a lead the bound puts in no sales tier on its best day (most of them: whatever fit a
sales tier asks for) is in none on any day, under the bound or ``c``, and the bound's
replay need not carry it (its last day alone is evaluated, for :func:`none_follows`).

>>> from leadgate.definition import load_compiled
>>> c = load_compiled(text='''
... name: d
... version: '1'
... engagement:
...   events:
...     - {type: pricing_page, points: 10, half_life: 30d, window: 90d}
...     - {type: careers_page, points: -20, half_life: 7d, window: 30d}
...     - {type: unsubscribe, points: -50, window: 30d}
... tiers:
...   - {name: mql, when: 'score >= 30'}
... ''')
>>> why_not(c) is None
True
>>> [(r.type, r.cents, r.half_life_us) for r in upper_bound(c).event_rules]
[('pricing_page', 1000, None), ('unsubscribe', -5000, None)]
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from ..definition.compile import CompiledDefinition
from .carry import counters
from .carry import why_not as carry_why_not
from .entries import every_tier_rising
from .entries import why_not as entries_why_not

#: A count no lead reaches: the carried counts are INTEGER, and a lead with 2^31 events
#: or more is not carried (:func:`leadgate.analytics.carry._bits`).
MOST = 2**31 - 1


def why_not(c: CompiledDefinition) -> str | None:
    """Why a backtest of ``c`` may not look for sales days only where :func:`upper_bound`
    is in a sales tier (None: it may)."""
    if not any(r.half_life_us for r in c.event_rules):
        return "nothing decays: the definition is its own bound"
    premise = entries_why_not(c, scores_move=True)
    if premise is not None:
        return premise
    return carry_why_not(upper_bound(c))


def upper_bound(c: CompiledDefinition) -> CompiledDefinition:
    """``c`` without decay: positive rules at their undecayed points, negative rules that
    decay left out (the module's docstring says why it bounds ``c`` from above)."""
    rules = [replace(r, half_life_us=None) for r in tight_bound(c).event_rules]
    digest = hashlib.sha256(f"upper bound of {c.hash}".encode()).hexdigest()
    return replace(c, event_rules=rules, hash=digest)


def tight_bound(c: CompiledDefinition) -> CompiledDefinition:
    """``c`` with its negative rules that decay left out, the same rules as
    :func:`upper_bound`'s in the same order with their half-lives kept: its plan over
    carried pairs reads each decaying rule's points from the pairs, where
    :mod:`leadgate.analytics.tight` holds them at least at ``c``'s."""
    kept = [r for r in c.event_rules if r.cents > 0 or not r.half_life_us]
    digest = hashlib.sha256(f"tight bound of {c.hash}".encode()).hexdigest()
    return replace(c, event_rules=kept, hash=digest)


def none_follows(c: CompiledDefinition) -> bool:
    """Whether a lead in no tier under :func:`upper_bound` is in no tier under ``c``."""
    return every_tier_rising(c, scores_move=True)


def best_counts(bound: CompiledDefinition) -> list[int] | None:
    """Each count :func:`leadgate.analytics.carry.counters` lists for ``bound``, at a
    lead's best day (the module's docstring: no sales tier there, none on any day); None
    when a ``count`` with no window is read (it has no best value)."""
    if any(a.kind == "count" and a.window_us is None for a in bound.aggregates.values()):
        return None
    rules = [MOST if r.cents > 0 else 0 for r in bound.event_rules]
    return rules + [MOST] * (len(counters(bound)) - len(rules))
