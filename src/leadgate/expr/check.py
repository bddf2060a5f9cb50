"""Type-checking and name resolution for rule expressions.

A checked expression knows its type (``number``, ``text``, ``bool``), the fields it reads
(for coverage: "how many leads could this rule not judge"), and the event, intent and
account aggregates it needs (each an :class:`Aggregate` with a stable key, so the Python
evaluator and the SQL plan compute each one once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import re2

from ..errors import ExpressionError
from ..vocabulary import suggest
from .ast import (
    Binary,
    BoolOp,
    Call,
    Dur,
    Field,
    In,
    IsNull,
    ListLit,
    Lit,
    Node,
    Star,
    TextOp,
    Unary,
)
from .dates import DATE, NOT_A_DATE, date_argument
from .parser import parse

NUMBER, TEXT, BOOL, NULL = "number", "text", "bool", "null"
SCORE_FIELDS = {
    "fit": NUMBER,
    "engagement": NUMBER,
    "score": NUMBER,
    "grade": TEXT,
    "band": NUMBER,
    "account.engagement": NUMBER,
}
MAX_PATTERN = 300


@dataclass(frozen=True)
class Aggregate:
    """A per-lead value computed from events, intent signals or the account's contacts.

    ``kind`` is ``count`` (events of ``types`` within ``window``), ``last`` (days since
    the most recent), ``intent`` (strongest signal on ``topic``) or ``contacts``
    (distinct engaged contacts at the account). ``types`` None means every type.
    """

    kind: str
    types: tuple[str, ...] | None = None
    window_us: int | None = None
    topic: str | None = None

    @property
    def key(self) -> str:
        types = "*" if self.types is None else "|".join(self.types)
        return f"{self.kind}:{types}:{self.window_us}:{self.topic}"


@dataclass
class Scope:
    """What names an expression may use.

    ``fields`` maps a lead field (``company_size``) or account field (``account.industry``)
    to its type; ``allow_scores`` admits ``fit``, ``engagement``, ``score``, ``grade``,
    ``band`` and ``account.engagement`` (tiers and disqualifiers, not fit rules).
    """

    fields: Mapping[str, str]
    event_types: frozenset[str]
    allow_scores: bool = False


@dataclass
class Checked:
    """A parsed and type-checked expression, with everything it reads."""

    text: str
    tree: Node
    type: str
    fields: set[str] = field(default_factory=set)
    aggregates: dict[str, Aggregate] = field(default_factory=dict)
    uses_scores: bool = False
    uses_rollup: bool = False


_TYPE_WORD = {NUMBER: "a number", TEXT: "text", BOOL: "true/false", NULL: "null", DATE: "a date"}


class _Checker:
    def __init__(self, scope: Scope, out: Checked) -> None:
        self.scope = scope
        self.out = out

    def fail(self, message: str, node: Node, hint: str = "") -> ExpressionError:
        return ExpressionError(message, getattr(node, "pos", None), hint)

    def type_of(self, node: Node) -> str:
        """The type of ``node``, which may not be a date: a date is read with days_since()."""
        got = self.any_type(node)
        if got == DATE:
            name = node.name if isinstance(node, Field) else "a date"
            error = self.fail(
                f"'{name}' is a date: read it with days_since({name})",
                node,
                f"e.g. days_since({name}) <= 30 (days from {name} to the scoring time)",
            )
            error.code = NOT_A_DATE
            raise error
        return got

    def any_type(self, node: Node) -> str:  # noqa: C901 - one branch per construct reads best
        if isinstance(node, Lit):
            return _literal_type(node.value)
        if isinstance(node, Dur):
            raise self.fail(
                f"A duration ({node.text}) can only be a window of an event function",
                node,
                "e.g. count(pricing_page, 30d)",
            )
        if isinstance(node, ListLit):
            raise self.fail("A list can only follow 'in'", node)
        if isinstance(node, Star):
            raise self.fail("'*' can only select event types in an event function", node)
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, BoolOp):
            return self.bool_op(node)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, In):
            return self.membership(node)
        if isinstance(node, IsNull):
            self.any_type(node.operand)
            return BOOL
        if isinstance(node, TextOp):
            return self.text_op(node)
        if isinstance(node, Call):
            return self.call(node)
        raise self.fail(f"Unsupported construct {type(node).__name__}", node)

    def unary(self, node: Unary) -> str:
        inner = self.type_of(node.operand)
        want = BOOL if node.op == "not" else NUMBER
        if inner != want:
            raise self.fail(
                f"'{node.op}' needs {_TYPE_WORD[want]}. Got {_TYPE_WORD[inner]} instead.", node
            )
        return want

    def bool_op(self, node: BoolOp) -> str:
        for item in node.items:
            got = self.type_of(item)
            if got != BOOL:
                raise self.fail(
                    f"Each side of '{node.op}' must be a condition. Got {_TYPE_WORD[got]} instead.",
                    item,
                    "compare it with something, e.g. x = 'value'",
                )
        return BOOL

    def membership(self, node: In) -> str:
        """``x in [...]``: a number or text tested against literals of the same type."""
        left = self.type_of(node.left)
        if left not in (NUMBER, TEXT):
            raise self.fail(
                f"'in' needs a number or text on its left. Got {_TYPE_WORD[left]} instead.", node
            )
        for item in node.items.items:
            if not isinstance(item, Lit) or item.value is None:
                raise self.fail("The items of an 'in' list must be literal numbers or texts", item)
            if self.type_of(item) != left:
                raise self.fail(
                    f"The list holds {_TYPE_WORD[self.type_of(item)]} ({item.value!r}) but the "
                    f"value tested is {_TYPE_WORD[left]}",
                    item,
                )
        return BOOL

    def text_op(self, node: TextOp) -> str:
        left = self.type_of(node.left)
        if left != TEXT:
            raise self.fail(
                f"'{node.op}' needs text on its left. Got {_TYPE_WORD[left]} instead.", node
            )
        if node.op == "matches":
            self.check_pattern(node)
        return BOOL

    def check_pattern(self, node: TextOp) -> None:
        if len(node.pattern) > MAX_PATTERN:
            raise self.fail(f"A pattern may be at most {MAX_PATTERN} characters", node)
        try:
            re2.compile(node.pattern)
        except Exception as exc:  # re2 raises its own error type
            raise self.fail(
                f"{node.pattern!r} is not a valid pattern: {exc}",
                node,
                "patterns use RE2 syntax: no look-arounds or back-references",
            ) from None

    def field(self, node: Field) -> str:
        name = node.name
        if name in SCORE_FIELDS:
            if not self.scope.allow_scores:
                raise self.fail(
                    f"'{name}' is a score and cannot be used here",
                    node,
                    "scores can be used in tiers and disqualifiers",
                )
            self.out.uses_scores = True
            self.out.uses_rollup |= name == "account.engagement"
            return SCORE_FIELDS[name]
        if name in self.scope.fields:
            self.out.fields.add(name)
            return self.scope.fields[name]
        known = list(self.scope.fields) + (list(SCORE_FIELDS) if self.scope.allow_scores else [])
        near = suggest(name, known)
        hint = f"did you mean '{near}'?" if near else "declare custom fields under 'attributes:'"
        if name in self.scope.event_types:
            hint = f"'{name}' is an event type: write has({name}, 30d) or count({name}, 30d)"
        raise self.fail(f"Unknown field '{name}'", node, hint)

    def binary(self, node: Binary) -> str:
        left, right = self.type_of(node.left), self.type_of(node.right)
        if node.op in {"+", "-", "*", "/"}:
            for side, got in ((node.left, left), (node.right, right)):
                if got != NUMBER:
                    raise self.fail(
                        f"'{node.op}' needs numbers. Got {_TYPE_WORD[got]} instead.", side
                    )
            return NUMBER
        if NULL in (left, right):
            raise self.fail("Nothing equals null; test for a missing value with 'is null'", node)
        if node.op in {"<", "<=", ">", ">="} and (left != NUMBER or right != NUMBER):
            bad = node.left if left != NUMBER else node.right
            raise self.fail(
                f"'{node.op}' compares numbers, but {_describe(bad)} is "
                f"{_TYPE_WORD[left if bad is node.left else right]}",
                node,
                "use = or 'in [...]' for text",
            )
        if left != right:
            raise self.fail(
                f"Cannot compare {_TYPE_WORD[left]} with {_TYPE_WORD[right]} using '{node.op}'",
                node,
            )
        return BOOL

    def event_types(self, node: Node, fname: str) -> tuple[str, ...] | None:
        if isinstance(node, Star):
            return None
        items = node.items if isinstance(node, ListLit) else (node,)
        types: list[str] = []
        for item in items:
            if isinstance(item, Field):
                name = item.name
            elif isinstance(item, Lit) and isinstance(item.value, str):
                name = item.value
            else:
                raise self.fail(
                    f"{fname}() takes an event type, a list of them or '*' first",
                    item,
                    f"e.g. {fname}(pricing_page, 30d)",
                )
            if name not in self.scope.event_types:
                near = suggest(name, self.scope.event_types)
                raise self.fail(
                    f"Unknown event type '{name}'",
                    item,
                    f"did you mean '{near}'?" if near else "declare it under 'event_types:'",
                )
            types.append(name)
        return tuple(sorted(set(types)))

    def window(self, args: tuple[Node, ...], index: int, fname: str) -> int | None:
        if len(args) <= index:
            return None
        node = args[index]
        if not isinstance(node, Dur):
            raise self.fail(f"The window of {fname}() must be a duration such as 30d", node)
        if node.micros <= 0:
            raise self.fail("A window must be longer than zero", node)
        return node.micros

    def arity(self, node: Call, low: int, high: int) -> None:
        if not low <= len(node.args) <= high:
            want = str(low) if low == high else f"{low} to {high}"
            raise self.fail(
                f"{node.name}() takes {want} arguments. Got {len(node.args)} instead.", node
            )

    def aggregate(self, node: Call) -> Aggregate:
        """The aggregate an event, intent or contacts function reads."""
        name, args = node.name, node.args

        def arity(low: int, high: int) -> None:
            self.arity(node, low, high)

        if name in {"count", "has"}:
            arity(1, 2)
            return Aggregate("count", self.event_types(args[0], name), self.window(args, 1, name))
        if name == "days_since":
            arity(1, 1)
            return Aggregate("last", self.event_types(args[0], name))
        if name == "intent":
            arity(1, 2)
            topic = args[0]
            if isinstance(topic, Star):
                topic_name = "*"
            elif isinstance(topic, Lit) and isinstance(topic.value, str):
                topic_name = topic.value.lower()
            else:
                raise self.fail(
                    "intent() takes a quoted topic or '*' first",
                    topic,
                    "e.g. intent('crm software', 30d) >= 60",
                )
            return Aggregate("intent", None, self.window(args, 1, name), topic_name)
        arity(0, 1)
        return Aggregate("contacts", None, self.window(args, 0, name))

    def days_of_field(self, node: Call) -> bool:
        """``days_since(field)``: true for a date field (read, as every field, for
        coverage); an error for a field of another type that is no event type."""
        arg = node.args[0]
        if date_argument(node, self.scope.fields) is not None and isinstance(arg, Field):
            self.out.fields.add(arg.name)
            return True
        if isinstance(arg, Field) and arg.name in self.scope.fields:
            if arg.name not in self.scope.event_types:
                kind = _TYPE_WORD[self.scope.fields[arg.name]]
                error = self.fail(
                    f"days_since() takes an event type or a date field; '{arg.name}' is {kind}",
                    arg,
                    f"declare it as a date under 'attributes:' ({arg.name}: date) if it holds "
                    "dates",
                )
                error.code = NOT_A_DATE
                raise error
        return False

    def call(self, node: Call) -> str:
        name, args = node.name, node.args

        def arity(low: int, high: int) -> None:
            self.arity(node, low, high)

        if name == "days_since":
            self.arity(node, 1, 1)
            if self.days_of_field(node):
                return NUMBER
        if name in AGGREGATE_FUNCTIONS:
            agg = self.aggregate(node)
            self.out.aggregates[agg.key] = agg
            return AGGREGATE_FUNCTIONS[name]
        if name == "lower":
            arity(1, 1)
            if self.type_of(args[0]) != TEXT:
                raise self.fail("lower() takes text", node)
            return TEXT
        if name == "abs":
            arity(1, 1)
            if self.type_of(args[0]) != NUMBER:
                raise self.fail("abs() takes a number", node)
            return NUMBER
        if name == "coalesce":
            arity(2, 10)
            kinds = {self.type_of(a) for a in args} - {NULL}
            if len(kinds) != 1:
                raise self.fail("coalesce() takes values of one type", node)
            return kinds.pop()
        near = suggest(name, FUNCTIONS)
        raise self.fail(
            f"Unknown function '{name}'",
            node,
            f"did you mean '{near}'?" if near else "functions: " + ", ".join(FUNCTIONS),
        )


class _EveryType(frozenset[str]):
    def __contains__(self, item: object) -> bool:
        return True


def retype_scope(types: Mapping[str, str]) -> Scope:
    """A scope for re-walking trees that were already checked (every name is known valid)."""
    return Scope({**types, **SCORE_FIELDS}, _EveryType(), allow_scores=True)


def aggregate_reader(types: Mapping[str, str]) -> Callable[[Call], Aggregate]:
    """For trees already checked over fields of ``types``: the aggregate each event,
    intent or contacts call in them reads (what an analysis of a compiled definition asks
    of a ``count(...)`` it finds)."""
    return _Checker(retype_scope(types), Checked("", Lit(None), BOOL)).aggregate


AGGREGATE_FUNCTIONS = {
    "count": NUMBER,
    "has": BOOL,
    "days_since": NUMBER,
    "intent": NUMBER,
    "engaged_contacts": NUMBER,
}
FUNCTIONS = ("count", "has", "days_since", "intent", "engaged_contacts", "lower", "abs", "coalesce")


def _literal_type(value: object) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    return NUMBER if isinstance(value, (int, float)) else TEXT


def _describe(node: Node) -> str:
    if isinstance(node, Field):
        return f"'{node.name}'"
    if isinstance(node, Lit):
        return repr(node.value)
    return "that side"


def check(text: str, scope: Scope, *, want: str | None = BOOL) -> Checked:
    """Parse and type-check ``text`` in ``scope``; raise :class:`ExpressionError` if wrong.

    >>> scope = Scope({"company_size": "number"}, frozenset({"pricing_page"}))
    >>> check("company_size >= 50 and has(pricing_page, 30d)", scope).fields
    {'company_size'}
    """
    tree = parse(text)
    out = Checked(text=text, tree=tree, type="")
    out.type = _Checker(scope, out).type_of(tree)
    if want is not None and out.type != want:
        raise ExpressionError(
            f"This must be a condition (true/false). Got {_TYPE_WORD[out.type]} instead.",
            0,
            "compare it with something, e.g. x >= 10",
        )
    return out
