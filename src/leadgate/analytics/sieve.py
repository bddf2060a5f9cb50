"""A necessary condition, in NumPy, for the tight bound to be in a sales tier on a day.

Why: :mod:`leadgate.analytics.tight` evaluated the tight bound's plan in DuckDB on every
entry day of every hopeful lead, 15.2M (lead, day) rows at 1,000,000 leads
(``bench_backtest.py``'s ``decayed``), to keep the few hundred thousand on which it is in
a sales tier: the backtest reads nothing else of those rows but the last day's tier
(:func:`leadgate.analytics.pruned._candidates`). Most of those days are far from any sales
tier: a count or the engagement a sales tier asks for is short, and the row's own counts
and points, already in NumPy, say so.

**The condition** (:class:`Sieve`), read from each sales tier's syntax: a conjunct
``count(...) >= v`` (or ``>``, ``v <= count(...)``, ``has(...)`` as ``count(...) >= 1``)
asks for a count the rows carry exactly (:func:`leadgate.analytics.carry.counters`);
``engagement >= v`` (or ``>``) asks for at least ``v`` points of engagement, which is at
most ``Σ min(P_i, cap_i)`` over the positive event rules (``P_i`` the rule's points in the
row: ``cents × count`` undecayed, or the tight bound's held points), negative rules adding
at most 0, held between the engagement floor and cap (both monotone); with an engagement
rule (it reads the lead's fields) engagement is not read. ``and`` needs any of its
conjuncts' conditions (each is necessary), ``or`` all of its items' to fail; anything else
(a fit or field condition, a sum, ``not``) is taken as holding. A row none of whose sales
tiers' conditions holds is in no sales tier under the tight bound: the first tier that
holds is not a sales tier (disqualified or not). Such a row is dropped unless it is the
last day; the candidates and the last day's tier are those of every row kept, so the
backtest's answers are unchanged (``tests/analytics/test_bound.py``).

The comparisons keep a row when it is within :data:`EPSILON` of the threshold: the plan
compares ``engagement / 100.0`` as a double with a literal DuckDB may read as a decimal;
the margin keeps a row either reading would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..definition.compile import CompiledDefinition
from ..expr.ast import Binary, BoolOp, Call, Field, Lit, Node
from ..expr.check import aggregate_reader
from .carry import AGGREGATE, counters
from .saturation import number_literal

#: A row within this of a threshold is kept (the module's docstring).
EPSILON = 1e-6


@dataclass(frozen=True)
class _Atleast:
    """``what >= value``: ``what`` a counted column's index, or None for engagement (in points)."""

    what: int | None
    value: float


@dataclass(frozen=True)
class _All:
    op: str  # "and" | "or"
    items: tuple[_Need, ...]


_Need = _Atleast | _All


@dataclass(frozen=True)
class Sieve:
    """Whether the tight bound may be in a sales tier on a row (the module's docstring)."""

    tiers: tuple[_Need, ...]  # one a sales tier: in none where each fails
    #: The positive event rules: (counted index, cents, cap in hundredths or None).
    positive: tuple[tuple[int, int, int | None], ...]
    floor: int | None
    cap: int | None

    @classmethod
    def of(cls, tight: CompiledDefinition) -> Sieve | None:
        """The sieve of the tight bound ``tight`` (None: some sales tier says nothing)."""
        reader = aggregate_reader(tight.fields)
        counted = counters(tight)
        columns = {}
        for j, agg in enumerate(tight.aggregates.values()):
            if agg.kind == "count":
                columns[agg.key] = [col for col, _, _ in counted].index(AGGREGATE.format(j))
        engagement = not tight.engagement_rules

        def need(node: Node) -> _Need | None:
            if isinstance(node, BoolOp):
                items = [need(item) for item in node.items]
                if node.op == "and":
                    known = tuple(i for i in items if i is not None)
                    return _All("and", known) if known else None
                if node.op == "or" and all(i is not None for i in items):
                    return _All("or", tuple(i for i in items if i is not None))
                return None
            if isinstance(node, Call) and node.name == "has":
                return _read(node, 1.0)
            if isinstance(node, Binary) and node.op in (">=", ">"):
                return _read(node.left, _number(node.right))
            if isinstance(node, Binary) and node.op in ("<=", "<"):
                return _read(node.right, _number(node.left))
            return None

        def _read(node: Node, value: float | None) -> _Need | None:
            if value is None:
                return None
            if isinstance(node, Call) and node.name in ("count", "has"):
                column = columns.get(reader(node).key)
                return None if column is None else _Atleast(column, value)
            if isinstance(node, Field) and node.name == "engagement" and engagement:
                return _Atleast(None, value)
            return None

        tiers = [need(t.expr.tree) for t in tight.tiers if t.sales]
        if any(t is None for t in tiers):
            return None
        positive = tuple(
            (i, r.cents, r.cap_cents) for i, r in enumerate(tight.event_rules) if r.cents > 0
        )
        return cls(
            tuple(t for t in tiers if t is not None),
            positive,
            tight.engagement_floor,
            tight.engagement_cap,
        )

    def passes(
        self, size: int, counts: list[np.ndarray], points: dict[int, np.ndarray]
    ) -> np.ndarray:
        """Which of ``size`` rows some sales tier's condition may hold on: ``counts`` each
        counted column's values, ``points`` a positive rule's points where not ``cents ×
        count`` (each at least the tight bound's own)."""
        engagement: np.ndarray | None = None

        def holds(n: _Need) -> np.ndarray:
            nonlocal engagement
            if isinstance(n, _Atleast):
                if n.what is not None:
                    return counts[n.what] >= n.value - EPSILON
                if engagement is None:
                    engagement = self.engagement(counts, points, size)
                return engagement / 100.0 >= n.value - EPSILON
            parts = [holds(i) for i in n.items]
            out = parts[0].copy()
            for p in parts[1:]:
                if n.op == "and":
                    out &= p
                else:
                    out |= p
            return out

        keep = np.zeros(size, dtype=bool)
        for tier in self.tiers:
            keep |= holds(tier)
        return keep

    def engagement(
        self, counts: list[np.ndarray], points: dict[int, np.ndarray], size: int
    ) -> np.ndarray:
        """At least the tight bound's engagement, in hundredths, on each row."""
        total = np.zeros(size, dtype=np.int64)
        for i, cents, cap in self.positive:
            p = points[i] if i in points else cents * counts[i].astype(np.int64)
            total += p if cap is None else np.minimum(p, cap)
        if self.floor is not None:
            np.maximum(total, self.floor, out=total)
        if self.cap is not None:
            np.minimum(total, self.cap, out=total)
        return total


def _number(node: Node) -> float | None:
    """A number literal's value (:func:`~leadgate.analytics.saturation.number_literal`);
    None for anything else (the sieve is then off)."""
    if not number_literal(node):
        return None
    assert isinstance(node, Lit)
    return float(node.value)  # type: ignore[arg-type]
