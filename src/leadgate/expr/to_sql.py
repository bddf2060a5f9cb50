"""Compile a checked expression to a SQLGlot expression, for any SQLGlot dialect.

SQL already has the three-valued logic the language promises (a comparison with NULL is
NULL; AND/OR are Kleene), so the translation is direct. Text comparisons lower-case both
sides, as the Python evaluator does. Literals are built as SQLGlot literal nodes and
quoted by SQLGlot, so a string such as ``'; DROP TABLE leads; --`` stays a string.
"""

from __future__ import annotations

from sqlglot import exp

from .ast import Binary, BoolOp, Call, Field, In, IsNull, Lit, Node, TextOp, Unary
from .check import AGGREGATE_FUNCTIONS, TEXT, Checked, _Checker, retype_scope
from .dates import date_argument, days_key


def literal(value: object) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.Cast(this=exp.Literal.number(repr(value)), to=exp.DataType.build("DOUBLE"))
    return exp.Literal.string(str(value))


def as_double(node: exp.Expression) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build("DOUBLE"))


class SqlEmitter:
    """``names`` maps a field, score or aggregate key to the column that holds it."""

    def __init__(self, names: dict[str, str], types: dict[str, str]) -> None:
        self.names = names
        self.types = types

    def emit(self, checked: Checked) -> exp.Expression:
        self._checker = _Checker(retype_scope(self.types), checked)
        return self.node(checked.tree)

    def column(self, name: str) -> exp.Expression:
        return exp.column(self.names[name], quoted=True)

    def is_text(self, node: Node) -> bool:
        return self._checker.type_of(node) == TEXT

    def node(self, node: Node) -> exp.Expression:  # noqa: C901 - one branch per construct
        if isinstance(node, Lit):
            return literal(node.value)
        if isinstance(node, Field):
            return self.column(node.name)
        if isinstance(node, Unary):
            inner = exp.Paren(this=self.node(node.operand))
            return exp.Not(this=inner) if node.op == "not" else exp.Neg(this=inner)
        if isinstance(node, BoolOp):
            items = [exp.Paren(this=self.node(i)) for i in node.items]
            out: exp.Expression = items[0]
            for item in items[1:]:
                out = (
                    exp.And(this=out, expression=item)
                    if node.op == "and"
                    else exp.Or(this=out, expression=item)
                )
            return exp.Paren(this=out)
        if isinstance(node, Binary):
            left, right = self.node(node.left), self.node(node.right)
            if node.op in {"=", "!="} and self.is_text(node.left):
                left, right = self.fold(node.left, left), self.fold(node.right, right)
            if node.op == "/":
                return exp.Case(
                    ifs=[
                        exp.If(
                            this=exp.EQ(
                                this=exp.Paren(this=right), expression=exp.Literal.number(0)
                            ),
                            true=exp.Null(),
                        )
                    ],
                    default=exp.Div(this=as_double(left), expression=as_double(right)),
                )
            cls = {
                "=": exp.EQ,
                "!=": exp.NEQ,
                "<": exp.LT,
                "<=": exp.LTE,
                ">": exp.GT,
                ">=": exp.GTE,
                "+": exp.Add,
                "-": exp.Sub,
                "*": exp.Mul,
            }[node.op]
            return exp.Paren(this=cls(this=exp.Paren(this=left), expression=exp.Paren(this=right)))
        if isinstance(node, In):
            text = self.is_text(node.left)
            left = self.node(node.left)
            values = [item.value for item in node.items.items if isinstance(item, Lit)]
            if text:
                left = exp.Lower(this=left)
                values = [str(v).lower() for v in values]
            test = exp.In(this=left, expressions=[literal(v) for v in values])
            return exp.Not(this=exp.Paren(this=test)) if node.negated else exp.Paren(this=test)
        if isinstance(node, IsNull):
            is_null = exp.Is(this=self.node(node.operand), expression=exp.Null())
            return (
                exp.Not(this=exp.Paren(this=is_null)) if node.negated else exp.Paren(this=is_null)
            )
        if isinstance(node, TextOp):
            left = self.node(node.left)
            if node.op == "matches":
                return exp.RegexpLike(this=left, expression=exp.Literal.string(node.pattern))
            return exp.GT(
                this=exp.StrPosition(
                    this=exp.Lower(this=left), substr=exp.Literal.string(node.pattern.lower())
                ),
                expression=exp.Literal.number(0),
            )
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(f"cannot emit {type(node).__name__}")

    def fold(self, node: Node, sql: exp.Expression) -> exp.Expression:
        if isinstance(node, Lit) and isinstance(node.value, str):
            return exp.Literal.string(node.value.lower())
        return exp.Lower(this=sql)

    def call(self, node: Call) -> exp.Expression:
        date = date_argument(node, self.types)
        if date is not None:  # a column of lead_values (scoring.steps)
            return self.column(days_key(date))
        if node.name in AGGREGATE_FUNCTIONS:
            key = self._checker.aggregate(node).key
            col = self.column(key)
            if node.name == "has":
                return exp.Paren(this=exp.GT(this=col, expression=exp.Literal.number(0)))
            return col
        args = [self.node(a) for a in node.args]
        if node.name == "lower":
            return exp.Lower(this=args[0])
        if node.name == "abs":
            return exp.Abs(this=args[0])
        return exp.Coalesce(this=args[0], expressions=args[1:])
