"""Where a carried count stops mattering: the value above which the plan reads the same.

Why: the carried replay (:mod:`leadgate.analytics.carry`) evaluates the plan once per
(lead, change day), and a change day is any day one of the lead's counts moves. Most of
those moves change nothing the tier reads: a pricing page worth 10 points capped at 30
adds nothing past its third view, and ``count(*, 30d) >= 3`` reads 3 and 7 alike. Each
count is held to its *saturation* (``min(count, s)``) before change days are compared, so
a day whose held counts equal the day before's is not evaluated: the plan, given the same
lead and the same held counts, gives the same tier, and the lead keeps it.

Exact by construction, not by tolerance:

* an event rule's count is read only through its points, ``cents × count`` held to its
  cap (:meth:`leadgate.scoring.event_steps.EventSteps.capped`); from
  ``ceil(cap / |cents|)`` events on, that is the cap whatever the count (no cap: no
  saturation). A replay asked for each rule's points (``details``) holds nothing;
* a ``count(...)`` or ``has(...)`` aggregate saturates only when every place any condition
  reads it compares it with a number literal (``count(x, 7d) >= 2``, ``3 < count(*)``,
  ``has(x)``, which is ``count > 0``): a whole count above the largest such literal
  compares with each of them as every larger count does, so ``floor(largest) + 1`` holds
  it. Read any other way (arithmetic, ``in``, ``coalesce``, a comparison with a field),
  it does not saturate.

>>> from leadgate.definition import load_compiled
>>> c = load_compiled(text='''
... name: s
... version: '1'
... engagement:
...   events:
...     - {type: pricing_page, points: 10, cap: 25}
...     - {type: demo_request, points: 30}
... tiers:
...   - {name: mql, when: 'engagement >= 40 and count(*, 30d) >= 3'}
... ''')
>>> saturations(c)
[3, None, 4]
"""

from __future__ import annotations

import math

from ..definition.compile import CompiledDefinition
from ..expr.ast import Binary, Call, Lit, Node, walk
from ..expr.check import Checked, aggregate_reader

COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}


def saturations(c: CompiledDefinition) -> list[int | None]:
    """Per count the carried replay reads (event rules, then ``count`` aggregates, in
    :func:`leadgate.analytics.carry.counters` order): its saturation, None for none."""
    out: list[int | None] = [_rule(r.cents, r.cap_cents) for r in c.event_rules]
    held = _aggregate_bounds(c)
    out += [held.get(key) for key, agg in c.aggregates.items() if agg.kind == "count"]
    return out


def _rule(cents: int, cap: int | None) -> int | None:
    if cents == 0:
        return 0
    return None if cap is None else -(-cap // abs(cents))


def _expressions(c: CompiledDefinition) -> list[Checked]:
    out = [r.expr for r in c.fit_rules]
    for rule in c.engagement_rules:
        out += [e for e in (rule.when, rule.per) if e is not None]
    return out + [d.expr for d in c.disqualifiers] + [t.expr for t in c.tiers]


def _aggregate_bounds(c: CompiledDefinition) -> dict[str, int]:
    """Each count aggregate's key → its saturation, for those every condition reads only
    by comparing it with a number literal."""
    aggregate = aggregate_reader(c.fields)
    bounds: dict[str, float] = {}
    free: set[str] = set()
    for checked in _expressions(c):
        compared: set[int] = set()  # the calls read through a comparison with a literal
        for node in walk(checked.tree):
            literal = _compared(node)
            if literal is not None:
                call, value = literal
                compared.add(id(call))
                key = aggregate(call).key
                bounds[key] = max(bounds.get(key, -math.inf), value)
            elif isinstance(node, Call) and node.name == "has":
                compared.add(id(node))
                key = aggregate(node).key
                bounds[key] = max(bounds.get(key, -math.inf), 0)
            elif isinstance(node, Call) and node.name == "count" and id(node) not in compared:
                free.add(aggregate(node).key)
    return {key: max(0, math.floor(b)) + 1 for key, b in bounds.items() if key not in free}


def _compared(node: Node) -> tuple[Call, float] | None:
    """``count(...) OP literal`` (either side): the call and the literal's value."""
    if not isinstance(node, Binary) or node.op not in COMPARISONS:
        return None
    for call, other in ((node.left, node.right), (node.right, node.left)):
        if isinstance(call, Call) and call.name == "count" and number_literal(other):
            assert isinstance(other, Lit)
            return call, float(other.value)  # type: ignore[arg-type]
    return None


def number_literal(node: Node) -> bool:
    """Whether ``node`` is a finite number literal (not a boolean)."""
    return (
        isinstance(node, Lit)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
        and math.isfinite(node.value)
    )
