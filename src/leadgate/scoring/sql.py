"""The definition as one relational plan: a single SQL query, in DuckDB's or Spark's dialect.

How it is built: the query's frame (its CTEs, SELECT lists, joins) is plain text
assembled by one small builder per step (:mod:`leadgate.scoring.steps`,
:mod:`leadgate.scoring.event_steps`); SQLGlot renders
the parts that come from the definition, its conditions and every literal, so user text
is always quoted and each dialect gets its own spelling. Why not a SQLGlot tree for the
frame too: the frame is fixed by this module, holds no user text, and the text is what a
reader compares with the Python evaluator, step for step; building it as a tree would
triple the code for no safety gained. Why SQLGlot and not Ibis: the plan needs exact
control of every arithmetic step (integer hundredths, ``floor(x + 0.5)``, casts to
DOUBLE before each division) so that DuckDB, Spark and the Python evaluator agree to the
last hundredth, with no heavy runtime dependency.

The plan reads four relations (names configurable, :class:`Tables`): leads, accounts,
events resolved to leads (``lead_events``), and intent signals; it returns one row per
lead with the values of a :class:`~leadgate.scoring.contract.RawScore` in columns named
by :mod:`leadgate.scoring.names`, and :func:`store_select` maps them to the ``scores``
table's columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ..definition.compile import CompiledDefinition
from . import names as n
from .evaluate import to_micros
from .event_steps import double, lit
from .plans import DEFAULT_TABLES, AsOf, Tables, Template
from .steps import PlanBuilder


def plan_sql(
    c: CompiledDefinition,
    as_of: dt.datetime | int,
    *,
    lead_columns: Mapping[str, str],
    account_columns: Mapping[str, str],
    tables: Tables = DEFAULT_TABLES,
    dialect: str = "duckdb",
) -> str:
    """The scoring query for ``c`` as of ``as_of``, in ``dialect``.

    ``lead_columns`` / ``account_columns`` map the store's column names to their types; a
    field the store lacks reads as NULL (unknown), never as an error.
    """
    when = AsOf(to_micros(as_of))
    return PlanBuilder(c, when, lead_columns, account_columns, tables, dialect).query()


def plan_template(
    c: CompiledDefinition,
    *,
    lead_columns: Mapping[str, str],
    account_columns: Mapping[str, str],
    tables: Tables = DEFAULT_TABLES,
    dialect: str = "duckdb",
    details: bool = False,
    explained: bool = True,
    live: bool = False,
) -> Template:
    """:func:`store_select` over :func:`plan_sql` with the as-of time left open (a
    :class:`~leadgate.scoring.plans.Template`, rendered for each run). Not ``explained``:
    the plan leaves out each rule's verdict, points and count (``details`` then must be
    off): the same scores from a statement DuckDB binds in two thirds of the time.
    ``live``: the server's columns (:func:`_live_select`), not those of ``scores``."""
    assert explained or not details, "details are the explanation's"
    assert not (live and explained), "the server's scores are not explained"
    when = AsOf(None, Template.new_token())
    builder = PlanBuilder(c, when, lead_columns, account_columns, tables, dialect, explained)
    plan = builder.query()
    if live:
        return Template(_live_select(c, plan, when, dialect), when.token)
    return Template(_store_select(c, plan, when, dialect, details), when.token)


def store_select(
    c: CompiledDefinition,
    plan: str,
    as_of: dt.datetime | int,
    dialect: str = "duckdb",
    *,
    details: bool = True,
) -> str:
    """Map the plan's raw columns to the ``scores`` table's columns.

    With ``details``, ``contributions`` holds each rule's points; without, it is NULL (a
    list per lead is a tenth of the cost of scoring a million leads, and ``leadgate
    explain`` rebuilds any lead's explanation).
    """
    return _store_select(c, plan, AsOf(to_micros(as_of)), dialect, details)


def _store_select(c: CompiledDefinition, plan: str, when: AsOf, dialect: str, details: bool) -> str:
    columns = _score_columns(c, when, dialect, details)
    return f"SELECT {', '.join(f'{e} AS {k}' for k, e in columns.items())} FROM ({plan}) p"


#: The columns of the server's scores (:class:`leadgate.api.live.LiveScore`, in its order)
#: before ``sales``: those of ``scores`` less the definition's hash, the SLA's due time,
#: the route and the contributions, which the server does not read.
LIVE_COLUMNS = ("lead_id", "as_of", "fit", "engagement", "total", "grade", "band", "tier",
                "disqualified", "dq_reason")  # fmt: skip


def _live_select(c: CompiledDefinition, plan: str, when: AsOf, dialect: str) -> str:
    """The server's scores over the plan's raw columns: :data:`LIVE_COLUMNS`, then
    ``sales`` (the tier is a sales tier). Bound at every group the plan scores: with the
    columns of ``scores`` as well, a plan of 2,000 leads took 56.0 ms in process against
    51.6 (session 21)."""
    columns = _score_columns(c, when, dialect, details=False)
    sales = [str(i) for i, t in enumerate(c.tiers) if t.sales]
    is_sales = f"{n.TIER} IN ({', '.join(sales)})" if sales else "false"
    chosen = [f"{columns[k]} AS {k}" for k in LIVE_COLUMNS] + [f"{is_sales} AS sales"]
    return f"SELECT {', '.join(chosen)} FROM ({plan}) p"


def _score_columns(
    c: CompiledDefinition, when: AsOf, dialect: str, details: bool
) -> dict[str, str]:
    """The ``scores`` table's columns as expressions over the plan's raw columns, in order."""
    ts = when.ts()
    no_text = "CAST(NULL AS VARCHAR)" if dialect != "spark" else "CAST(NULL AS STRING)"

    def by_tier(values: list[str]) -> str:
        whens = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values))
        return f"CASE {n.TIER} {whens} END" if c.tiers else no_text

    reasons = " ".join(
        f"WHEN {i} THEN {lit(d.reason, dialect)}" for i, d in enumerate(c.disqualifiers)
    )
    reason = f"CASE {n.DISQUALIFIER} {reasons} END" if c.disqualifiers else no_text
    sla_whens = " ".join(
        f"WHEN {i} THEN {_sla(ts, t.sla_us, dialect)}"
        for i, t in enumerate(c.tiers)
        if t.sla_us is not None
    )
    sla = f"CASE {n.TIER} {sla_whens} END" if sla_whens else "CAST(NULL AS TIMESTAMP)"
    hundred = double("100")
    return {
        "lead_id": "lead_id",
        "definition_hash": lit(c.hash, dialect),
        "as_of": ts,
        "fit": f"{double(n.FIT)} / {hundred}",
        "engagement": f"{double(n.ENGAGEMENT)} / {hundred}",
        "total": f"{double(n.TOTAL)} / {hundred}",
        "grade": n.GRADE,
        "band": n.BAND,
        "tier": by_tier([lit(t.name, dialect) for t in c.tiers]),
        "disqualified": f"{n.DISQUALIFIER} >= 0",
        "dq_reason": reason,
        "sla_due": sla,
        "route": by_tier([lit(t.route, dialect) for t in c.tiers]),
        "contributions": _contributions(c, dialect, details),
    }


def _contributions(c: CompiledDefinition, dialect: str, details: bool) -> str:
    """Each rule's points in hundredths, in the order of ``c.rule_keys`` (NULL: not judged).

    A plain list costs a fraction of a JSON object per lead; the keys live once, with the
    definition.
    """
    array_type = "ARRAY<BIGINT>" if dialect == "spark" else "BIGINT[]"
    if not details:
        return f"CAST(NULL AS {array_type})"
    values = [
        f"CASE WHEN {n.fit_rule(i)} THEN {r.cents} WHEN NOT {n.fit_rule(i)} THEN 0 END"
        for i, r in enumerate(c.fit_rules)
    ]
    values += [f"CAST({n.event_capped(i)} AS BIGINT)" for i in range(len(c.event_rules))]
    values += [n.engagement_rule(i) for i in range(len(c.engagement_rules))]
    if dialect == "spark":
        return f"array({', '.join(values)})" if values else f"CAST(array() AS {array_type})"
    return f"list_value({', '.join(values)})" if values else f"CAST([] AS {array_type})"


def _sla(ts: str, sla_us: int | None, dialect: str) -> str:
    seconds = (sla_us or 0) // 1_000_000
    if dialect == "spark":
        return f"{ts} + make_interval(0, 0, 0, 0, 0, 0, {seconds})"
    return f"{ts} + INTERVAL '{seconds}' SECOND"
