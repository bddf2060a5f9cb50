"""The one scoring plan, printed for a warehouse: DuckDB, Spark, Snowflake, BigQuery, Postgres.

DuckDB and Spark get the plan as :mod:`leadgate.scoring.sql` builds it for them (both run it
in the test suite). A warehouse dialect gets the DuckDB plan translated by SQLGlot, with the
few spellings SQLGlot has no rule for written here (:func:`_portable`): the epoch in
microseconds of a timestamp. There is no second copy of the scoring logic: every dialect is
the same tree.

What an engine cannot express fails here, at compile time, naming the rule and the engine
(:class:`UnsupportedOnEngine`), never later as a wrong number:

- ``matches`` (a regular expression) on Snowflake and Postgres: their regular expressions
  are not RE2 (Snowflake's ``REGEXP_LIKE`` must match the whole value; Postgres's flavour
  reads some escapes differently), so the same pattern could match other values.
- on Spark, a pattern using RE2 syntax Java's regular expressions read differently
  (``(?P<name>``, ``\\C``, ``\\pN``-style one-letter classes, ``[[:alpha:]]`` classes).

Postgres has no ``TRY_CAST``: a text field holding a malformed number or date makes the
query fail there (DuckDB, Spark, Snowflake and BigQuery read it as unknown).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping

import sqlglot
from sqlglot import exp

from ..definition.compile import CompiledDefinition
from ..errors import ScoringError
from ..expr.ast import Binary as BinaryNode
from ..expr.ast import BoolOp, Call, In, IsNull, TextOp, Unary
from .plans import DEFAULT_TABLES, Tables
from .sql import plan_sql, store_select

NATIVE = ("duckdb", "spark")
WAREHOUSES = ("snowflake", "bigquery", "postgres")
DIALECTS = (*NATIVE, *WAREHOUSES)

#: RE2 syntax that Java's regular expressions read otherwise (or not at all).
_NOT_JAVA = ("(?P<", "\\C", "[[:", "\\pN", "\\pL", "\\pP", "\\pS", "\\pZ", "\\pM", "\\pC")


class UnsupportedOnEngine(ScoringError):
    """A definition uses something an engine cannot run with the same meaning."""

    code = "LG501"


def warehouse_sql(
    c: CompiledDefinition,
    as_of: dt.datetime | int,
    dialect: str,
    *,
    lead_columns: Mapping[str, str],
    account_columns: Mapping[str, str],
    tables: Tables = DEFAULT_TABLES,
    details: bool = True,
) -> str:
    """The query whose rows are the ``scores`` table's, in ``dialect``, as of ``as_of``."""
    if dialect not in DIALECTS:
        raise UnsupportedOnEngine(f"Unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}.")
    check_engine(c, dialect)
    native = dialect if dialect in NATIVE else "duckdb"
    plan = plan_sql(
        c,
        as_of,
        lead_columns=lead_columns,
        account_columns=account_columns,
        tables=tables,
        dialect=native,
    )
    query = store_select(c, plan, as_of, native, details=details)
    if dialect in NATIVE:
        return query
    tree = sqlglot.parse_one(query, read="duckdb").transform(_portable(dialect))
    return str(tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE))


def check_engine(c: CompiledDefinition, engine: str) -> None:
    """Raise :class:`UnsupportedOnEngine` naming every rule ``engine`` cannot run alike."""
    problems = []
    for rule, pattern in _patterns(c):
        if engine in ("snowflake", "postgres"):
            problems.append(
                f"rule {rule!r} uses `matches` (a regular expression), which {engine} reads "
                "with other rules than RE2; use `contains`, or score it on duckdb, spark or "
                "bigquery"
            )
        elif engine == "spark" and any(token in pattern for token in _NOT_JAVA):
            problems.append(
                f"rule {rule!r}: the pattern {pattern!r} uses RE2 syntax Java reads "
                f"otherwise ({', '.join(t for t in _NOT_JAVA if t in pattern)}); rewrite it "
                "with plain classes such as [A-Za-z] or \\d"
            )
    if problems:
        raise UnsupportedOnEngine(f"Cannot score on {engine}: " + "; ".join(problems) + ".")


def _patterns(c: CompiledDefinition) -> Iterator[tuple[str, str]]:
    """(rule name, pattern) of every ``matches`` in the definition."""
    named = [(r.name, r.expr) for r in c.fit_rules]
    named += [(d.name, d.expr) for d in (*c.disqualifiers, *c.tiers)]
    for r in c.engagement_rules:
        named += [(r.name, e) for e in (r.when, r.per) if e is not None]
    for name, checked in named:
        for node in _walk(checked.tree):
            if isinstance(node, TextOp) and node.op == "matches":
                yield name, node.pattern


def _walk(node: object) -> Iterator[object]:
    yield node
    children: tuple[object, ...] = ()
    if isinstance(node, BinaryNode):
        children = (node.left, node.right)
    elif isinstance(node, BoolOp | Call):
        children = node.items if isinstance(node, BoolOp) else node.args
    elif isinstance(node, Unary | IsNull):
        children = (node.operand,)
    elif isinstance(node, In):
        children = (node.left, *node.items.items)
    elif isinstance(node, TextOp):
        children = (node.left,)
    for child in children:
        yield from _walk(child)


def _portable(dialect: str) -> Callable[[exp.Expression], exp.Expression]:
    """Rewrite what SQLGlot leaves in DuckDB's spelling: ``epoch_us(ts)``."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.upper() == "EPOCH_US":
            return _micros(node.expressions[0], dialect)
        return node

    return rewrite


def _micros(ts: exp.Expression, dialect: str) -> exp.Expression:
    if dialect == "bigquery":
        return exp.UnixMicros(this=ts)
    if dialect == "snowflake":
        return exp.Anonymous(this="DATE_PART", expressions=[exp.var("EPOCH_MICROSECOND"), ts])
    # Postgres: EXTRACT(EPOCH ...) is an exact numeric (v14 and later).
    epoch = exp.Extract(this=exp.var("EPOCH"), expression=ts)
    scaled = exp.Mul(this=epoch, expression=exp.Literal.number(1_000_000))
    return exp.Cast(this=scaled, to=exp.DataType.build("BIGINT"))
