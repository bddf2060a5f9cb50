"""Compile a checked expression to Python source, with SQL's three-valued logic.

Missing data is unknown, not false: a comparison with a missing value is ``None``, ``and``
and ``or`` follow Kleene logic (``None and False`` is ``False``), and a rule whose condition
is ``None`` is "not judged". Text comparisons ignore case, as they do in the SQL plan.

The emitted source only ever contains names chosen here and literals written with
:func:`repr`, so user text cannot become code. Constants that are costly to rebuild (sets,
compiled patterns) are hoisted into ``consts`` and referenced by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import re2

from .ast import Binary, BoolOp, Call, Field, In, IsNull, Lit, Node, TextOp, Unary
from .check import AGGREGATE_FUNCTIONS, TEXT, Checked, _Checker, retype_scope
from .dates import date_argument, days_key


def and3(*values: Any) -> bool | None:
    if False in values:
        return False
    return None if None in values else True


def or3(*values: Any) -> bool | None:
    if True in values:
        return True
    return None if None in values else False


def not3(value: Any) -> bool | None:
    return None if value is None else not value


def num(op: str) -> Callable[[Any, Any], Any]:
    import operator

    fn = {
        "+": operator.add,
        "-": operator.sub,
        "*": operator.mul,
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
    }[op]

    def apply(a: Any, b: Any) -> Any:
        return None if a is None or b is None else fn(a, b)

    return apply


def div(a: Any, b: Any) -> Any:
    return None if a is None or b is None or b == 0 else a / b


def eq(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a == b


def lower(a: Any) -> Any:
    return None if a is None else a.lower()


def absolute(a: Any) -> Any:
    return None if a is None else abs(a)


def coalesce(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


RUNTIME: dict[str, Any] = {
    "_and": and3,
    "_or": or3,
    "_not": not3,
    "_div": div,
    "_eq": eq,
    "_lower": lower,
    "_abs": absolute,
    "_coalesce": coalesce,
    **{f"_n{i}": num(op) for i, op in enumerate(["+", "-", "*", "<", "<=", ">", ">="])},
}
_NUM_HELPER = {op: f"_n{i}" for i, op in enumerate(["+", "-", "*", "<", "<=", ">", ">="])}


class PyEmitter:
    """Emit Python source for checked expressions.

    ``names`` maps a field (``company_size``, ``account.industry``, ``fit``) or an
    aggregate key to the local variable holding it; ``consts`` collects hoisted constants.
    """

    def __init__(
        self, names: dict[str, str], types: dict[str, str], consts: dict[str, Any]
    ) -> None:
        self.names = names
        self.types = types
        self.consts = consts

    def const(self, value: Any) -> str:
        name = f"K{len(self.consts)}"
        self.consts[name] = value
        return name

    def emit(self, checked: Checked) -> str:
        self._checker = _Checker(retype_scope(self.types), checked)
        return self.node(checked.tree)

    def is_text(self, node: Node) -> bool:
        return self._checker.type_of(node) == TEXT

    def node(self, node: Node) -> str:  # noqa: C901 - one branch per construct
        if isinstance(node, Lit):
            return repr(node.value)
        if isinstance(node, Field):
            return self.names[node.name]
        if isinstance(node, Unary):
            inner = self.node(node.operand)
            if node.op == "not":
                return f"_not({inner})"
            return f"(None if {inner} is None else -{inner})"
        if isinstance(node, BoolOp):
            helper = "_and" if node.op == "and" else "_or"
            return f"{helper}({', '.join(self.node(i) for i in node.items)})"
        if isinstance(node, Binary):
            inline = self.inline_compare(node)
            if inline is not None:
                return inline
            left, right = self.node(node.left), self.node(node.right)
            if node.op in {"=", "!="}:
                if self.is_text(node.left):
                    left, right = self.fold(node.left, left), self.fold(node.right, right)
                out = f"_eq({left}, {right})"
                return f"_not({out})" if node.op == "!=" else out
            if node.op == "/":
                return f"_div({left}, {right})"
            return f"{_NUM_HELPER[node.op]}({left}, {right})"
        if isinstance(node, In):
            values = [item.value for item in node.items.items if isinstance(item, Lit)]
            text = self.is_text(node.left)
            if text:
                values = [str(v).lower() for v in values]
            k = self.const(frozenset(values))
            left = self.node(node.left)
            tested = f"{left}.lower()" if text else left
            out = f"(None if {left} is None else {tested} {'not in' if node.negated else 'in'} {k})"
            return out
        if isinstance(node, IsNull):
            return f"({self.node(node.operand)} is {'not ' if node.negated else ''}None)"
        if isinstance(node, TextOp):
            left = self.node(node.left)
            if node.op == "matches":
                k = self.const(re2.compile(node.pattern))
                return f"(None if {left} is None else {k}.search({left}) is not None)"
            k = self.const(node.pattern.lower())
            return f"(None if {left} is None else {k} in {left}.lower())"
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(f"cannot emit {type(node).__name__}")

    def inline_compare(self, node: Binary) -> str | None:
        """``field OP literal`` written out in place: the hot path of most fit rules.

        A helper call costs more than the comparison itself; a local and a literal need no
        helper to be evaluated once each.
        """
        if node.op not in {"=", "!=", "<", "<=", ">", ">="}:
            return None
        field, lit, op = node.left, node.right, node.op
        if isinstance(field, Lit) and isinstance(lit, Field):
            field, lit = lit, field
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if not (isinstance(field, Field) and isinstance(lit, Lit)) or lit.value is None:
            return None
        var = self.names[field.name]
        py_op = "==" if op == "=" else op
        if isinstance(lit.value, str):
            return f"(None if {var} is None else {var}.lower() {py_op} {lit.value.lower()!r})"
        return f"(None if {var} is None else {var} {py_op} {lit.value!r})"

    def fold(self, node: Node, code: str) -> str:
        if isinstance(node, Lit) and isinstance(node.value, str):
            return repr(node.value.lower())
        return f"_lower({code})"

    def call(self, node: Call) -> str:
        date = date_argument(node, self.types)
        if date is not None:  # computed once per lead, beside the field (scoring.codegen)
            return self.names[days_key(date)]
        if node.name in AGGREGATE_FUNCTIONS:
            key = self._checker.aggregate(node).key
            var = self.names[key]
            return f"({var} > 0)" if node.name == "has" else var
        args = [self.node(a) for a in node.args]
        helper = {"lower": "_lower", "abs": "_abs", "coalesce": "_coalesce"}[node.name]
        return f"{helper}({', '.join(args)})"
