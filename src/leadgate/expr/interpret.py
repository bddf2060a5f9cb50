"""Evaluate a checked expression on the values an explanation knows, part by part.

Scoring runs compiled code (:mod:`.to_python`, :mod:`.to_sql`); this small interpreter is
for explanations only: it gives the value of *any* part of a condition, so that each part
can be said with its own verdict. It follows the same rules as the compiled code (missing
data is ``None`` and ``and``/``or`` follow Kleene logic; text compares ignoring case), and
adds one more value, :data:`UNKNOWN`, for what an explanation cannot see: event counts,
intent, the account's engagement. ``UNKNOWN`` spreads like ``None`` but never decides.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import re2

from .ast import Binary, BoolOp, Call, Field, In, IsNull, Lit, Node, TextOp, Unary
from .dates import days_since, to_date


class _Unknown:
    """The value of a part the explanation cannot compute (its inputs are not at hand)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def to_text(value: Any) -> Any:
    """A stored value as text (None stays missing)."""
    if value is None or isinstance(value, str):
        return value
    return str(value)


def to_number(value: Any) -> Any:
    """A stored value as a number; one that reads as none is missing, never zero."""
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


BOOL_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def to_bool(value: Any) -> Any:
    """A stored value as a boolean (true/false, 1/0, yes/no), else missing."""
    if value is None or isinstance(value, bool):
        return value
    return BOOL_WORDS.get(str(value).strip().lower())


#: The one conversion of a stored value to a field's declared type, shared by the
#: compiled scorer (:mod:`leadgate.scoring.codegen`) and the explanations.
CONVERTERS = {"text": to_text, "number": to_number, "bool": to_bool, "date": to_date}


def typed(kind: str, value: Any) -> Any:
    """A stored value as the field's type, as the compiled scorer converts it.

    >>> typed("number", "180"), typed("bool", "yes"), typed("number", "many")
    (180.0, True, None)
    """
    return CONVERTERS[kind](value)


class Interpreter:
    """The value of any node, given ``values``: field name → value (``None`` when missing).

    A field not in ``values`` is :data:`UNKNOWN`, as is every event, intent or contacts
    function. A date field's value is µs since the epoch (:func:`to_date`);
    ``days_since(field)`` is worked out when the scoring time ``as_of_us`` is given.
    """

    def __init__(self, values: Mapping[str, Any], as_of_us: int | None = None) -> None:
        self.values = values
        self.as_of_us = as_of_us

    def value(self, node: Node) -> Any:  # noqa: C901 - one branch per construct
        if isinstance(node, Lit):
            return node.value
        if isinstance(node, Field):
            return self.values.get(node.name, UNKNOWN)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, BoolOp):
            return self.bool_op(node)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, In):
            return self.member(node)
        if isinstance(node, IsNull):
            inner = self.value(node.operand)
            return inner if inner is UNKNOWN else (inner is None) != node.negated
        if isinstance(node, TextOp):
            return self.text_op(node)
        if isinstance(node, Call):
            return self.call(node)
        return UNKNOWN  # durations, lists and '*' only appear inside other constructs

    def unary(self, node: Unary) -> Any:
        inner = self.value(node.operand)
        if inner is UNKNOWN or inner is None:
            return inner
        return (not inner) if node.op == "not" else -inner

    def bool_op(self, node: BoolOp) -> Any:
        decisive = node.op == "or"  # True decides an 'or', False an 'and'
        values = [self.value(item) for item in node.items]
        if any(v is decisive for v in values):
            return decisive
        if any(v is UNKNOWN for v in values):
            return UNKNOWN
        return None if None in values else not decisive

    def binary(self, node: Binary) -> Any:
        left, right = self.value(node.left), self.value(node.right)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if left is None or right is None:
            return None
        if node.op == "/":
            return None if right == 0 else left / right
        if node.op in _ARITHMETIC:
            return _ARITHMETIC[node.op](left, right)
        if isinstance(left, str) and isinstance(right, str):
            left, right = left.lower(), right.lower()
        return _COMPARE[node.op](left, right)

    def member(self, node: In) -> Any:
        left = self.value(node.left)
        if left is UNKNOWN or left is None:
            return left
        items = [item.value for item in node.items.items if isinstance(item, Lit)]
        if isinstance(left, str):
            left, items = left.lower(), [str(item).lower() for item in items]
        return (left in items) != node.negated

    def text_op(self, node: TextOp) -> Any:
        left = self.value(node.left)
        if left is UNKNOWN or left is None:
            return left
        if node.op == "matches":
            return re2.compile(node.pattern).search(left) is not None
        return node.pattern.lower() in left.lower()

    def call(self, node: Call) -> Any:
        if node.name == "coalesce":
            for arg in node.args:
                value = self.value(arg)
                if value is not None:
                    return value
            return None
        if node.name in {"lower", "abs"}:
            inner = self.value(node.args[0])
            if inner is UNKNOWN or inner is None:
                return inner
            return inner.lower() if node.name == "lower" else abs(inner)
        if node.name == "days_since" and self.as_of_us is not None:
            arg = node.args[0]
            date = self.values.get(arg.name, UNKNOWN) if isinstance(arg, Field) else UNKNOWN
            if date is not UNKNOWN and (date is None or date.__class__ is int):
                return days_since(self.as_of_us, date)
        return UNKNOWN  # count, has, days_since of events, intent, engaged_contacts
