"""Say what a condition read and why it held or not, in words a sales person reads.

Each comparison is said with the value it read and its verdict: ``company_size >= 50``
reads ``company_size 180 ≥ 50`` on a lead of 180 employees and ``company_size 30 < 50``
on one of 30; ``seniority in ['director', 'vp']`` reads ``seniority 'manager' not in
[director, vp]``. The parts of a compound condition are each said that way, with their own
verdicts, joined by commas (``company_size 180 ≥ 50, industry 'saas' in [saas, software]``).
A computed side shows the fields it read, then its value (``company_size 5: 9 = 9``).
What an explanation cannot see (event counts, intent) is written as in the rule.

>>> from leadgate.expr import Scope, check
>>> rule = check("company_size >= 50", Scope({"company_size": "number"}, frozenset()))
>>> describe(rule, {"company_size": 30})
'company_size 30 < 50'
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

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
    walk,
)
from .check import Checked
from .interpret import UNKNOWN, Interpreter

SYMBOL = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
NEGATED = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_TEXT_VERBS = {
    ("contains", True): "contains",
    ("contains", False): "does not contain",
    ("matches", True): "matches",
    ("matches", False): "does not match",
}


def describe(
    checked: Checked,
    values: Mapping[str, Any],
    verdict: Any = UNKNOWN,
    as_of_us: int | None = None,
) -> str:
    """The values ``checked`` read and its verdict, as one line.

    ``values`` maps each field the condition reads (``company_size``, ``account.industry``,
    ``fit``) to its value, typed as the scorer types it; a name left out is one the
    explanation cannot see. ``verdict`` is the condition's outcome when the caller knows it
    (the scorer's own), else it is worked out here. With the scoring time ``as_of_us``,
    ``days_since(date field)`` is said with its days (``last_activity_date 12 days ago``).
    """
    phrases = _Phrases(Interpreter(values, as_of_us))
    if verdict is UNKNOWN:
        verdict = phrases.interpreter.value(checked.tree)
    return ", ".join(dict.fromkeys(phrases.of(checked.tree, verdict)))


def value_text(value: Any) -> str:
    """A value as an explanation shows it: text quoted, numbers without trailing zeros.

    >>> value_text(180.0), value_text(0.25), value_text("saas"), value_text(True)
    ('180', '0.25', "'saas'", 'true')
    """
    if isinstance(value, str):
        return _quote(value)
    return _bare(value)


def _quote(value: str) -> str:
    """Text in single quotes, escaped the way rule expressions escape it."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + escaped.replace("\n", "\\n").replace("\t", "\\t") + "'"


def _bare(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.10g}"
    return str(value)


def days_text(days: float) -> str:
    """Days ago as an explanation says them, to a ten-thousandth of a day (9 seconds):
    close enough to a rule's bound that the verdict beside it never reads wrong.

    >>> days_text(12.0), days_text(1.0), days_text(0.375), days_text(2 / 3)
    ('12 days ago', '1 day ago', '0.375 days ago', '0.6667 days ago')
    """
    shown = f"{days:.4f}".rstrip("0").rstrip(".")
    return f"{shown} day{'' if shown == '1' else 's'} ago"


LIST_SHOWN = 10


def _list_text(values: list[Any]) -> str:
    """An 'in' list as a reader scans it: a long one shows its first items and a count.

    >>> _list_text(["director", "vp"]), _list_text(list(range(12)))
    ('director, vp', '0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more')
    """
    shown = ", ".join(_bare(v) for v in values[:LIST_SHOWN])
    rest = len(values) - LIST_SHOWN
    return f"{shown} and {rest:,} more" if rest > 0 else shown


class _Phrases:
    """The phrases of one condition: one per comparison, each with its verdict."""

    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter

    def of(self, node: Node, verdict: Any) -> list[str]:
        if isinstance(node, BoolOp):
            return self.compound(node, verdict)
        if isinstance(node, Unary) and node.op == "not":
            flipped = verdict if verdict is UNKNOWN or verdict is None else not verdict
            return self.of(node.operand, flipped)
        if isinstance(node, Lit) and isinstance(node.value, bool):
            return ["always" if node.value else "never"]
        if verdict is None:
            return self.unjudged(node)
        if verdict is UNKNOWN:
            return [text(node)]
        return [self.leaf(node, bool(verdict))]

    def compound(self, node: BoolOp, verdict: Any) -> list[str]:
        # When an 'and' held, every part held; when an 'or' failed, every part failed:
        # that settles parts whose values the explanation cannot see.
        forced = verdict if (node.op == "and") == (verdict is True) else UNKNOWN
        out: list[str] = []
        for item in node.items:
            part = self.interpreter.value(item)
            if part is UNKNOWN:
                part = forced
            # A part neither seen nor settled is left out: said as written, it would
            # read like a fact.
            if part is not UNKNOWN:
                out += self.of(item, part)
        if out or verdict is UNKNOWN:
            return out or [text(node)]
        return [text(node) if verdict else f"not ({text(node)})"]

    def unjudged(self, node: Node) -> list[str]:
        missing = [
            n.name for n in walk(node) if isinstance(n, Field) and self.interpreter.value(n) is None
        ]
        if missing:
            return [f"{name} missing" for name in dict.fromkeys(missing)]
        later = [
            n.args[0].name
            for n in walk(node)
            if isinstance(n, Call) and n.name == "days_since" and isinstance(n.args[0], Field)
            if self.interpreter.value(n) is None
        ]
        if later:  # days_since() of a date after the scoring time (see interpret.days_since)
            return [f"{name} is after the scoring time" for name in dict.fromkeys(later)]
        return [f"no value for {text(node)}"]  # no intent signal, a division by zero

    def leaf(self, node: Node, holds: bool) -> str:
        reads: list[str] = []
        if isinstance(node, Binary) and node.op in SYMBOL:
            op = node.op if holds else NEGATED[node.op]
            left, right = self.side(node.left, reads), self.side(node.right, reads)
            said = f"{left} {SYMBOL[op]} {right}"
        elif isinstance(node, In):
            left = self.side(node.left, reads)
            items = _list_text([i.value for i in node.items.items if isinstance(i, Lit)])
            said = f"{left} {'in' if holds != node.negated else 'not in'} [{items}]"
        elif isinstance(node, TextOp):
            verb = _TEXT_VERBS[(node.op, holds)]
            said = f"{self.side(node.left, reads)} {verb} {_quote(node.pattern)}"
        elif isinstance(node, IsNull):
            said = self.side(node.operand, reads)
        elif isinstance(node, Field):
            said = self.side(node, reads)
        else:
            said = text(node) if holds else f"not {text(node)}"
        return f"{', '.join(reads)}: {said}" if reads else said

    def side(self, node: Node, reads: list[str]) -> str:
        """A field with its value, a literal as written, else the computed value (and the
        fields it read, added to ``reads``)."""
        if isinstance(node, Field):
            value = self.interpreter.value(node)
            return node.name if value is UNKNOWN else f"{node.name} {value_text(value)}"
        if isinstance(node, Lit):
            return text(node)
        value = self.interpreter.value(node)
        if value is UNKNOWN:
            return text(node)
        if isinstance(node, Call) and node.name == "days_since" and isinstance(node.args[0], Field):
            return f"{node.args[0].name} {days_text(value)}"
        for field in (n for n in walk(node) if isinstance(n, Field)):
            reads.append(self.side(field, []))
        return value_text(value)


def text(node: Node) -> str:  # noqa: C901 - one branch per construct
    """The expression ``node`` as a rule would write it (for what cannot be computed).

    >>> from leadgate.expr import parse
    >>> text(parse("count([pricing_page,chat],30d)>=3 and not (a+1)*2 in [1,2]"))
    'count([pricing_page, chat], 30d) >= 3 and not (a + 1) * 2 in [1, 2]'
    """
    if isinstance(node, Lit):
        return "null" if node.value is None else value_text(node.value)
    if isinstance(node, Dur):
        return node.text
    if isinstance(node, Field):
        return node.name
    if isinstance(node, Star):
        return "*"
    if isinstance(node, ListLit):
        return "[" + ", ".join(text(item) for item in node.items) + "]"
    if isinstance(node, Unary):
        if node.op == "not":
            return f"not {_wrap(node.operand, _NOT)}"
        return f"-{_wrap(node.operand, _PRIMARY)}"
    if isinstance(node, Binary):
        level = _level(node)
        return f"{_wrap(node.left, level)} {node.op} {_wrap(node.right, level + 1)}"
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(_wrap(item, _level(node) + 1) for item in node.items)
    if isinstance(node, In):
        return f"{_wrap(node.left, _SUM)} {'not in' if node.negated else 'in'} {text(node.items)}"
    if isinstance(node, IsNull):
        return f"{_wrap(node.operand, _SUM)} is {'not ' if node.negated else ''}null"
    if isinstance(node, TextOp):
        return f"{_wrap(node.left, _SUM)} {node.op} {_quote(node.pattern)}"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(text(arg) for arg in node.args)})"
    raise TypeError(f"cannot write {type(node).__name__}")


# How tightly each construct binds, loosest first (the parser's grammar, in numbers).
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _PRIMARY = range(1, 8)


def _level(node: Node) -> int:
    if isinstance(node, BoolOp):
        return _OR if node.op == "or" else _AND
    if isinstance(node, Unary):
        return _NOT if node.op == "not" else _PRIMARY
    if isinstance(node, Binary):
        if node.op in SYMBOL:
            return _COMPARE
        return _SUM if node.op in {"+", "-"} else _PRODUCT
    if isinstance(node, (In, IsNull, TextOp)):
        return _COMPARE
    return _PRIMARY


def _wrap(node: Node, minimum: int) -> str:
    """``node`` written inside a construct that binds at ``minimum``: in parentheses when
    it binds more loosely."""
    inner = text(node)
    return f"({inner})" if _level(node) < minimum else inner
