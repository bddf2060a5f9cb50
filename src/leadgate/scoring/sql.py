"""The definition as one relational plan: a single SQL query, generated with SQLGlot.

Why SQLGlot and not Ibis: the plan needs exact control of every arithmetic step (integer
hundredths, ``floor(x + 0.5)``, casts to DOUBLE before each division) so that DuckDB,
Spark and the Python evaluator agree to the last hundredth; SQLGlot builds the expressions
as a typed tree, quotes every literal, and renders the same tree in each dialect
(``duckdb``, ``spark``, ...), with no heavy runtime dependency.

The plan reads four relations (names configurable, :class:`Tables`): leads, accounts,
events resolved to leads (``lead_events``), and intent signals; it returns one row per
lead with the same raw values the Python evaluator returns, and :func:`store_select` maps
them to the ``scores`` table's columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlglot import exp

from ..definition.compile import CompiledDefinition
from ..expr.to_sql import SqlEmitter, literal
from .codegen import SCORE_VALUES, clamp
from .contract import horizon_us
from .evaluate import to_micros
from .plans import DEFAULT_TABLES, AsOf, Tables, Template

NUMERIC_TYPES = (
    "BIGINT",
    "INTEGER",
    "DOUBLE",
    "FLOAT",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "UBIGINT",
    "UINTEGER",
    "REAL",
    "INT",
    "LONG",
)


def _r(node: exp.Expression, dialect: str) -> str:
    return node.sql(dialect=dialect)


def _lit(value: object, dialect: str) -> str:
    return _r(literal(value), dialect)


def _micros(col: str, dialect: str) -> str:
    return f"unix_micros({col})" if dialect == "spark" else f"epoch_us({col})"


def _q(name: str, dialect: str) -> str:
    return _r(exp.to_identifier(name, quoted=True), dialect)


def _dbl(sql: str) -> str:
    return f"CAST({sql} AS DOUBLE)"


def _column_expr(
    source: str, name: str, kind: str, columns: Mapping[str, str], dialect: str
) -> str:
    """A field read with the type the definition declares (TRY_CAST when the store differs)."""
    dtype = columns.get(name)
    want = {
        "number": "DOUBLE",
        "text": "VARCHAR" if dialect != "spark" else "STRING",
        "bool": "BOOLEAN",
    }[kind]
    if dtype is None:
        return f"CAST(NULL AS {want})"
    col = f"{source}.{_q(name, dialect)}"
    upper = dtype.upper()
    if kind == "number" and upper.startswith(NUMERIC_TYPES) and not upper.startswith("DECIMAL"):
        return col
    if kind == "text" and upper.startswith(("VARCHAR", "STRING")):
        return col
    if kind == "bool" and upper.startswith("BOOL"):
        return col
    cast = "TRY_CAST" if dialect != "spark" else "TRY_CAST"
    return f"{cast}({col} AS {want})"


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
    return _plan(c, AsOf(to_micros(as_of)), lead_columns, account_columns, tables, dialect)


def plan_template(
    c: CompiledDefinition,
    *,
    lead_columns: Mapping[str, str],
    account_columns: Mapping[str, str],
    tables: Tables = DEFAULT_TABLES,
    dialect: str = "duckdb",
    details: bool = False,
) -> Template:
    """:func:`store_select` over :func:`plan_sql` with the as-of time left open (a
    :class:`~leadgate.scoring.plans.Template`, rendered for each run)."""
    when = AsOf(None, Template.new_token())
    plan = _plan(c, when, lead_columns, account_columns, tables, dialect)
    return Template(_store_select(c, plan, when, dialect, details), when.token)


def _plan(
    c: CompiledDefinition,
    when: AsOf,
    lead_columns: Mapping[str, str],
    account_columns: Mapping[str, str],
    tables: Tables,
    dialect: str,
) -> str:
    names: dict[str, str] = {}
    ctes: list[str] = []

    # -- events -----------------------------------------------------------------------------
    event_aggs = [a for a in c.aggregates.values() if a.kind in ("count", "last")]
    roll_aggs = [a for a in c.aggregates.values() if a.kind in ("intent", "contacts")]
    needs_all = any(a.types is None for a in event_aggs) or any(
        a.kind == "contacts" for a in roll_aggs
    )
    wanted = sorted(
        {r.type for r in c.event_rules} | {t for a in event_aggs for t in a.types or ()}
    )
    type_filter = ""
    if not needs_all:
        type_filter = " AND type IN (" + ", ".join(_lit(t, dialect) for t in wanted) + ")"
    have_events = bool(c.event_rules or event_aggs or any(a.kind == "contacts" for a in roll_aggs))
    age = f"({when.micros()} - ts_us)"
    select_e: list[str] = []
    if have_events and (needs_all or wanted):
        # When every rule and condition looks back a bounded time, read only that far: the
        # store skips whole blocks of older events (a large share of any long history).
        since = ""
        look_back = horizon_us(c)
        if look_back is not None:
            since = f" AND ts >= {when.ts(look_back)}"
        ctes.append(
            f"ev AS (SELECT lead_id, type, {_micros('ts', dialect)} AS ts_us FROM {tables.events}"
            f" WHERE ts <= {when.ts()}{since}{type_filter})"
        )

        def within(window: int | None) -> list[str]:
            # A window as long as the scan's look-back is already applied by the scan.
            if window is None or (look_back is not None and window >= look_back):
                return []
            return [f"{age} <= {window}"]

        for i, rule in enumerate(c.event_rules):
            cond = " AND ".join([f"type = {_lit(rule.type, dialect)}", *within(rule.window_us)])
            if rule.half_life_us:
                amount = (
                    f"CAST(FLOOR({_dbl(str(abs(rule.cents)))} * POWER({_dbl('0.5')}, "
                    f"{_dbl(age)} / {_dbl(str(rule.half_life_us))}) + {_dbl('0.5')})"
                    " AS BIGINT)"
                )
            else:
                amount = str(abs(rule.cents))
            sign = "-" if rule.cents < 0 else ""
            select_e.append(f"SUM(CASE WHEN {cond} THEN {sign}{amount} ELSE 0 END) AS e{i}")
            select_e.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS n{i}")
        for j, agg in enumerate(event_aggs):
            conds = []
            if agg.types is not None:
                conds.append("type IN (" + ", ".join(_lit(t, dialect) for t in agg.types) + ")")
            if agg.kind == "count":
                conds += within(agg.window_us)
                cond = " AND ".join(conds) or "TRUE"
                select_e.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS g{j}")
            else:
                cond = " AND ".join(conds) or "TRUE"
                select_e.append(f"MAX(CASE WHEN {cond} THEN ts_us END) AS g{j}")
        if select_e:
            ctes.append(f"eagg AS (SELECT lead_id, {', '.join(select_e)} FROM ev GROUP BY lead_id)")

    # -- roll-ups ---------------------------------------------------------------------------
    intents = [a for a in roll_aggs if a.kind == "intent"]
    contacts = [a for a in roll_aggs if a.kind == "contacts"]
    if intents:
        cols = []
        for j, agg in enumerate(intents):
            cond = "TRUE" if agg.topic == "*" else f"LOWER(topic) = {_lit(agg.topic, dialect)}"
            if agg.window_us is not None:
                cond += f" AND {age} <= {agg.window_us}"
            cols.append(f"MAX(CASE WHEN {cond} THEN strength END) AS i{j}")
        ctes.append(
            f"iagg AS (SELECT account_id, {', '.join(cols)} FROM (SELECT account_id, topic, "
            f"strength, {_micros('ts', dialect)} AS ts_us FROM {tables.intent} WHERE ts <= "
            f"{when.ts()}) s GROUP BY account_id)"
        )
    if contacts:
        cols = []
        for j, agg in enumerate(contacts):
            cond = "TRUE" if agg.window_us is None else f"{age} <= {agg.window_us}"
            cols.append(f"COUNT(DISTINCT CASE WHEN {cond} THEN ev.lead_id END) AS k{j}")
        ctes.append(
            f"cagg AS (SELECT l.account_id, {', '.join(cols)} FROM ev JOIN {tables.leads} l ON "
            "l.lead_id = ev.lead_id WHERE l.account_id IS NOT NULL GROUP BY l.account_id)"
        )

    # -- base: one row per lead with every value the rules read --------------------------------
    base = ["l.lead_id AS lead_id", "l.account_id AS account_id"]
    used = c.fields_used
    for k, name in enumerate(sorted(used)):
        names[name] = f"f{k}"
        if name.startswith("account."):
            base.append(
                f"{_column_expr('a', name[8:], c.fields[name], account_columns, dialect)} AS f{k}"
            )
        else:
            base.append(f"{_column_expr('l', name, c.fields[name], lead_columns, dialect)} AS f{k}")
    have_eagg = bool(select_e)
    for i in range(len(c.event_rules)):
        base.append(f"COALESCE(eagg.e{i}, 0) AS e{i}" if have_eagg else f"0 AS e{i}")
        base.append(f"COALESCE(eagg.n{i}, 0) AS n{i}" if have_eagg else f"0 AS n{i}")
    for j, agg in enumerate(event_aggs):
        if agg.kind == "count":
            names[agg.key] = f"g{j}"
            base.append(f"COALESCE(eagg.g{j}, 0) AS g{j}" if have_eagg else f"0 AS g{j}")
        else:
            names[agg.key] = f"g{j}"
            base.append(
                f"CASE WHEN eagg.g{j} IS NULL THEN NULL ELSE {_dbl(f'{when.micros()} - eagg.g{j}')}"
                f" / {_dbl('86400000000')} END AS g{j}"
                if have_eagg
                else f"CAST(NULL AS DOUBLE) AS g{j}"
            )
    for j, agg in enumerate(intents):
        names[agg.key] = f"i{j}"
        base.append(
            f"CASE WHEN l.account_id IS NULL THEN NULL ELSE "
            f"{_dbl(f'COALESCE(iagg.i{j}, 0)')} END AS i{j}"
        )
    for j, agg in enumerate(contacts):
        names[agg.key] = f"k{j}"
        base.append(
            f"CASE WHEN l.account_id IS NULL THEN NULL ELSE COALESCE(cagg.k{j}, 0) END AS k{j}"
        )
    joins = [f"FROM {tables.leads} l"]
    if any(n.startswith("account.") for n in used):
        joins.append(f"LEFT JOIN {tables.accounts} a ON a.account_id = l.account_id")
    if have_eagg:
        joins.append("LEFT JOIN eagg ON eagg.lead_id = l.lead_id")
    if intents:
        joins.append("LEFT JOIN iagg ON iagg.account_id = l.account_id")
    if contacts:
        joins.append("LEFT JOIN cagg ON cagg.account_id = l.account_id")
    ctes.append(f"base AS (SELECT {', '.join(base)} {' '.join(joins)})")

    emitter = SqlEmitter(names, dict(c.fields))

    # -- fit rules and capped event sums --------------------------------------------------------
    fit_cols = [f"{_r(emitter.emit(r.expr), dialect)} AS j{i}" for i, r in enumerate(c.fit_rules)]
    cap_cols = []
    for i, rule in enumerate(c.event_rules):
        if rule.cap_cents is None:
            continue
        fn, bound = ("GREATEST", -rule.cap_cents) if rule.cents < 0 else ("LEAST", rule.cap_cents)
        cap_cols.append(f"{fn}(e{i}, {bound}) AS ce{i}")
    ctes.append(f"s1 AS (SELECT {', '.join(['base.*', *fit_cols, *cap_cols])} FROM base)")
    capped = [f"ce{i}" if r.cap_cents is not None else f"e{i}" for i, r in enumerate(c.event_rules)]
    fit_raw = (
        " + ".join(f"CASE WHEN j{i} THEN {r.cents} ELSE 0 END" for i, r in enumerate(c.fit_rules))
        or "0"
    )
    eng_raw = " + ".join(capped) or "0"
    ctes.append(f"s2 AS (SELECT s1.*, {fit_raw} AS fit_raw, {eng_raw} AS eng_raw FROM s1)")
    ctes.append(
        f"s3 AS (SELECT s2.*, {_clamp('fit_raw', c.fit_floor, c.fit_cap)} AS fit_c, "
        f"{_clamp('eng_raw', c.engagement_floor, c.engagement_cap)} AS eng_c FROM s2)"
    )

    # -- total, grade, band, score values -----------------------------------------------------
    if c.method == "weighted" and c.weights and c.fit_cap and c.engagement_cap:
        fit_w = (
            f"CAST(FLOOR({_dbl('fit_c')} * {_dbl(repr(c.weights[0] * 100.0))} / "
            f"{_dbl(str(c.fit_cap))} + {_dbl('0.5')}) AS BIGINT)"
        )
        eng_w = (
            f"CAST(FLOOR({_dbl('eng_c')} * {_dbl(repr(c.weights[1] * 100.0))} / "
            f"{_dbl(str(c.engagement_cap))} + {_dbl('0.5')}) AS BIGINT)"
        )
    else:
        fit_w, eng_w = "fit_c", "eng_c"
    hundred = _dbl("100")
    cols = [
        f"{fit_w} AS fit_w",
        f"{eng_w} AS eng_w",
        f"{_ladder('fit_c', c.grades, dialect)} AS grade",
        f"{_ladder('eng_c', c.bands, dialect)} AS band",
        f"{_dbl('fit_c')} / {hundred} AS fit_p",
        f"{_dbl('eng_c')} / {hundred} AS eng_p",
    ]
    if c.uses_rollup:
        cols.append(
            "CASE WHEN account_id IS NULL THEN NULL ELSE "
            f"{_dbl('SUM(eng_c) OVER (PARTITION BY account_id)')} / {hundred} END AS acct_p"
        )
    ctes.append(f"s4 AS (SELECT s3.*, {', '.join(cols)} FROM s3)")
    ctes.append(
        f"s5 AS (SELECT s4.*, fit_w + eng_w AS total, {_dbl('fit_w + eng_w')} / {hundred}"
        " AS score_p FROM s4)"
    )
    names.update(SCORE_VALUES)

    # -- disqualifiers and tiers ----------------------------------------------------------
    dq_cases = " ".join(
        f"WHEN {_r(emitter.emit(d.expr), dialect)} THEN {i}" for i, d in enumerate(c.disqualifiers)
    )
    dq = f"CASE {dq_cases} ELSE -1 END" if dq_cases else "-1"
    # Each disqualifier's own verdict too (NULL: could not judge), for coverage reports.
    q_cols = "".join(
        f", {_r(emitter.emit(d.expr), dialect)} AS q{i}" for i, d in enumerate(c.disqualifiers)
    )
    ctes.append(f"s6 AS (SELECT s5.*, {dq} AS dq{q_cols} FROM s5)")
    tier_cases = " ".join(
        f"WHEN {_r(emitter.emit(t.expr), dialect)} THEN {i}" for i, t in enumerate(c.tiers)
    )
    tier = f"CASE WHEN dq >= 0 THEN -1 {tier_cases} ELSE -1 END" if tier_cases else "-1"
    out = [
        "lead_id",
        "account_id",
        "fit_c",
        "eng_c",
        "total",
        "grade",
        "band",
        "dq",
        f"{tier} AS tier",
        "fit_raw",
        "eng_raw",
        "fit_w",
        "eng_w",
    ]
    out += [f"j{i}" for i in range(len(c.fit_rules))]
    out += [f"{col} AS c{i}" for i, col in enumerate(capped)]
    out += [f"n{i}" for i in range(len(c.event_rules))]
    out += [f"q{i}" for i in range(len(c.disqualifiers))]
    return "WITH " + ",\n".join(ctes) + f"\nSELECT {', '.join(out)} FROM s6"


def _clamp(col: str, floor: int | None, cap: int | None) -> str:
    return clamp(col, floor, cap, low="GREATEST", high="LEAST")


def _ladder(col: str, steps: Sequence[tuple[object, int | None]], dialect: str) -> str:
    if not steps:
        return "NULL"
    whens = []
    default = "NULL"
    for label, bound in steps:
        if bound is None:
            default = _lit(label, dialect)
            break
        whens.append(f"WHEN {col} >= {bound} THEN {_lit(label, dialect)}")
    return f"CASE {' '.join(whens)} ELSE {default} END" if whens else default


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
    ts = when.ts()
    hundred = _dbl("100")
    tier_name = (
        "CASE tier "
        + " ".join(f"WHEN {i} THEN {_lit(t.name, dialect)}" for i, t in enumerate(c.tiers))
        + " END"
    )
    route = (
        "CASE tier "
        + " ".join(f"WHEN {i} THEN {_lit(t.route, dialect)}" for i, t in enumerate(c.tiers))
        + " END"
    )
    reason = (
        "CASE dq "
        + " ".join(
            f"WHEN {i} THEN {_lit(d.reason, dialect)}" for i, d in enumerate(c.disqualifiers)
        )
        + " END"
    )
    sla_whens = " ".join(
        f"WHEN {i} THEN {_sla(ts, t.sla_us, dialect)}"
        for i, t in enumerate(c.tiers)
        if t.sla_us is not None
    )
    sla = f"CASE tier {sla_whens} END" if sla_whens else "CAST(NULL AS TIMESTAMP)"
    # Each rule's points in hundredths, in the order of ``c.rule_keys`` (NULL: not judged).
    # A plain list costs a fraction of a JSON object per lead; the keys live once, with the
    # definition.
    values = [
        f"CASE WHEN j{i} THEN {r.cents} WHEN NOT j{i} THEN 0 END" for i, r in enumerate(c.fit_rules)
    ]
    values += [f"CAST(c{i} AS BIGINT)" for i in range(len(c.event_rules))]
    if dialect == "spark":
        contributions = (
            f"array({', '.join(values)})" if values else "CAST(array() AS ARRAY<BIGINT>)"
        )
        if not details:
            contributions = "CAST(NULL AS ARRAY<BIGINT>)"
    else:
        contributions = f"list_value({', '.join(values)})" if values else "CAST([] AS BIGINT[])"
        if not details:
            contributions = "CAST(NULL AS BIGINT[])"
    no_text = "CAST(NULL AS VARCHAR)" if dialect != "spark" else "CAST(NULL AS STRING)"
    return (
        f"SELECT lead_id, {_lit(c.hash, dialect)} AS definition_hash, {ts} AS as_of, "
        f"{_dbl('fit_c')} / {hundred} AS fit, {_dbl('eng_c')} / {hundred} AS engagement, "
        f"{_dbl('total')} / {hundred} AS total, grade, band, "
        f"{tier_name if c.tiers else no_text} AS tier, dq >= 0 AS disqualified, "
        f"{reason if c.disqualifiers else no_text} AS dq_reason, {sla} AS sla_due, "
        f"{route if c.tiers else no_text} AS route, {contributions} AS contributions "
        f"FROM ({plan}) p"
    )


def _sla(ts: str, sla_us: int | None, dialect: str) -> str:
    seconds = (sla_us or 0) // 1_000_000
    return (
        f"{ts} + INTERVAL '{seconds}' SECOND"
        if dialect != "spark"
        else (f"{ts} + make_interval(0, 0, 0, 0, 0, 0, {seconds})")
    )
