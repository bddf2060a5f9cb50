"""When a backtest may evaluate a lead only on the days something new reaches it.

Why: a backtest reads two things of each lead's replay (:mod:`leadgate.analytics.backtest`):
the first day its tier is a sales tier (the day it would have become an MQL) and its tier on
the last day. A definition that decays moves every lead's score on every day of its
look-back, so the general replay evaluates the plan on every such (lead, day) pair: at
1,000,000 leads, about 94 times one scoring (bench/README.md, ``bench_backtest.py``).

Most definitions only ever *lower* a lead's standing between two of its events: a decayed
amount shrinks, an event leaving a window takes its points and its count with it, a cap or
a floor keeps that order. If, besides, every sales tier asks for *more* of what moves
(``score >= 60``, ``count(pricing_page, 30d) >= 2``, ``has(demo_request, 14d)``) and no
disqualifier reads what moves, a lead that is in a sales tier on some day was in one on the
last day before it that brought it something new: the day of one of its events, or the day
it was created (the replay's first day for a lead older than it). So the first sales day
is among those days, and the plan, evaluated on them and on the last day, gives the
backtest exactly what the every-day replay gives (the property test
``tests/analytics/test_entries.py`` checks the two against each other).

A definition that reads the account (intent, engaged contacts, ``account.engagement``) is
treated the same way a level up: what falls between events falls for the whole account,
and every lead of an account is evaluated on the days any of its leads has an event or an
intent signal arrives.

:func:`why_not` says, for a definition, why that reasoning does not hold (None: it does).
It is conservative: it reads the conditions' syntax and refuses anything it cannot show
moves the right way, and those definitions replay every day as before.
"""

from __future__ import annotations

from ..definition.compile import CompiledDefinition, CompiledEventRule
from ..expr.ast import Binary, BoolOp, Call, Field, Lit, Node, walk
from ..expr.check import aggregate_reader

#: Functions of events and signals inside a window: each falls as they leave it (intent
#: strengths are 0 to 100, and no signal reads 0).
WINDOWED = ("count", "has", "intent", "engaged_contacts")


def why_not(c: CompiledDefinition, *, scores_move: bool = False) -> str | None:
    """Why a lead of ``c`` may enter a sales tier on a day that brings it nothing new (None:
    it cannot, so a backtest needs only the days of :func:`raising_types`' events in their
    reach, every other event's day, each lead's first day and the last day).

    ``scores_move``: read engagement, the score and the band as moving even where no
    positive event rule ages (:mod:`leadgate.analytics.bound` changes them); stricter,
    so None then implies None without."""
    kinds = {a.kind for a in c.aggregates.values()}
    if "last" in kinds:
        return "days_since of an event grows every day"
    if any(c.fields[f] == "date" for f in c.fields_used):
        return "a date field moves every day"
    if c.weights is not None and min(c.weights) < 0:
        return "a negative weight turns a falling part into a rising score"
    moving = _Moving(c, scores_move=scores_move)
    for rule in c.fit_rules:
        if moving.moves(rule.expr.tree) and not (rule.cents > 0 and moving.rising(rule.expr.tree)):
            return f"fit rule {rule.name!r} can give more points as events or signals age"
    for engagement in c.engagement_rules:
        if any(e is not None and moving.moves(e.tree) for e in (engagement.when, engagement.per)):
            return f"engagement rule {engagement.name!r} reads what moves as events age"
    for d in c.disqualifiers:
        if moving.moves(d.expr.tree):
            return f"disqualifier {d.name!r} reads what moves as events age"
    nurture_moves = None
    for t in c.tiers:
        if not t.sales:
            if nurture_moves is None and moving.moves(t.expr.tree):
                nurture_moves = t.name
            continue
        if nurture_moves is not None:
            return (
                f"nurture tier {nurture_moves!r}, which moves, comes before sales tier {t.name!r}"
            )
        if not moving.rising(t.expr.tree):
            return f"tier {t.name!r} does not ask only for more of what falls as events age"
    return None


def raising_types(c: CompiledDefinition) -> tuple[str, ...]:
    """The event types whose negative points decay or leave a window: as such an event ages
    its lead's score rises, so each day of its reach is evaluated, not only its own."""
    return tuple(sorted({r.type for r in c.event_rules if r.cents < 0 and _ages(r)}))


def _ages(rule: CompiledEventRule) -> bool:
    return rule.window_us is not None or bool(rule.half_life_us)


class _Moving:
    """Reads expressions for what changes between two days that bring a lead nothing new:
    the score's parts that read events (when some positive event rule decays or has a
    window, or a fit rule reads what moves), and the counts, intent and engaged contacts
    inside a window. A negative event rule that ages is left out: its days are evaluated
    (:func:`raising_types`)."""

    def __init__(self, c: CompiledDefinition, *, scores_move: bool = False) -> None:
        self.aggregate = aggregate_reader(c.fields)
        self.names: set[str] = set()
        if scores_move or any(r.cents > 0 and _ages(r) for r in c.event_rules):
            self.names |= {"engagement", "score", "account.engagement", "band"}
        if any(self.moves(r.expr.tree) for r in c.fit_rules):
            self.names |= {"fit", "score", "grade"}
        #: ``grade = top`` holds exactly when fit reaches the first grade's bound.
        labels = [label for label, _ in c.grades]
        self.top_grade: str | None = None
        if labels and c.grades[0][1] is not None and labels.count(labels[0]) == 1:
            self.top_grade = labels[0]

    def moves(self, node: Node) -> bool:
        """Whether anything in ``node`` changes between a lead's events."""
        return any(self._moving_leaf(n) for n in walk(node))

    def _moving_leaf(self, node: Node) -> bool:
        if isinstance(node, Field):
            return node.name in self.names
        if isinstance(node, Call) and node.name in WINDOWED:
            return self.aggregate(node).window_us is not None
        return False

    def rising(self, node: Node) -> bool:
        """Whether the condition ``node``, true with less of what falls, is true with more:
        and/or of ``X >= / > static``, ``static <= / < X``, ``has(...)`` and ``grade =
        'top grade'``, where X adds up scores, counts, intent and engaged contacts;
        anything static."""
        if not self.moves(node):
            return True
        if isinstance(node, BoolOp):
            return all(self.rising(item) for item in node.items)
        if isinstance(node, Call) and node.name == "has":
            return True
        if isinstance(node, Binary) and node.op in (">=", ">"):
            return self._grows(node.left) and not self.moves(node.right)
        if isinstance(node, Binary) and node.op in ("<=", "<"):
            return self._grows(node.right) and not self.moves(node.left)
        if isinstance(node, Binary) and node.op == "=":
            return self._top_grade(node.left, node.right) or self._top_grade(node.right, node.left)
        return False

    def _top_grade(self, field: Node, value: Node) -> bool:
        return (
            isinstance(field, Field)
            and field.name == "grade"
            and isinstance(value, Lit)
            and self.top_grade is not None
            and value.value == self.top_grade
        )

    def _grows(self, node: Node) -> bool:
        """Whether the number ``node`` is larger (or equal) with more of what falls."""
        if not self.moves(node):
            return True
        if isinstance(node, Field):
            return node.name in ("fit", "engagement", "score", "account.engagement")
        if isinstance(node, Call):
            return node.name in ("count", "intent", "engaged_contacts")
        if isinstance(node, Binary) and node.op == "+":
            return self._grows(node.left) and self._grows(node.right)
        return False


def every_tier_rising(c: CompiledDefinition, *, scores_move: bool = False) -> bool:
    """Whether every tier, nurture ones too, asks only for more of what falls: then a lead
    in no tier with more of it is in none with less (:mod:`leadgate.analytics.bound`)."""
    moving = _Moving(c, scores_move=scores_move)
    return all(moving.rising(t.expr.tree) for t in c.tiers)
