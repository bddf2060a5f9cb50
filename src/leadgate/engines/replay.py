"""The replay on Spark: (lead, day) pairs made in Spark, the one scoring plan run over them.

This is :mod:`leadgate.analytics.replay`'s general ("pairs") path in Spark's SQL: each pair
is a lead of its own (``lead_id@k``), every time it reads (events, intent signals, date
fields) is shifted by ``last day - day``, and the definition's own plan
(:func:`~leadgate.scoring.dialects.warehouse_sql`, Spark dialect) runs once, as of the last
day, over all the pairs. No scoring logic is written here, only which pairs exist and how
their rows are read. Two callers:

* the backtest (:func:`backtest_pairs`): per lead, the grid days its inputs may change
  (:class:`~leadgate.analytics.replay.Reach`), merged into ranges and expanded; the
  carried and entries paths of the DuckDB replay are DuckDB-only shortcuts that give the
  same tiers (their tests compare them with this path), so Spark always takes this one;
* calibration (:func:`chosen_pairs`): each lead on the day of its decision, beside the
  other leads of its account when the definition reads the account.

Pair keys are text (``lead_id@k``), not numbers: Spark then needs no global numbering of the
leads (a ``row_number`` over every lead is one task on one core).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..analytics.replay import Grid, Reach, k_range, keyed_days, shifted, stepwise_days
from ..definition.compile import CompiledDefinition
from ..scoring.contract import horizon_us
from ..scoring.dialects import check_engine, warehouse_sql
from ..scoring.event_steps import lit
from ..scoring.plans import Tables
from .spark import VIEWS, column_types, refuse_repeated_leads, register_inputs

#: The relations the plan reads in a Spark replay.
PAIR_VIEWS = Tables(
    leads="lg_r_leads", accounts="lg_r_accounts", events="lg_r_events", intent="lg_r_intent"
)
DIV = "div"


def indexed(spark: Any, inputs: Mapping[str, str], grid: Grid, *, every_lead: bool) -> None:
    """Register the inputs (refusing a repeated lead), then ``lg_r_ix (lead_id, account_id,
    created_us, kc)`` of the leads that exist by the last day (``every_lead``: all) and
    ``lg_r_ev (lead_id, type, ts_us)`` of their events up to it."""
    register_inputs(spark, inputs)
    refuse_repeated_leads(spark, inputs)
    columns = spark.table(VIEWS.leads).columns
    created = "created_at" if "created_at" in columns else "CAST(NULL AS TIMESTAMP)"
    last = f"timestamp_micros({grid.last_us})"
    exists = "TRUE" if every_lead else f"({created} IS NULL OR {created} <= {last})"
    spark.sql(
        f"SELECT lead_id, account_id, unix_micros({created}) AS created_us,"
        f" CASE WHEN {created} IS NULL THEN 0"
        f" ELSE {grid.first_at(f'unix_micros({created})', DIV)} END AS kc"
        f" FROM {VIEWS.leads} WHERE {exists}"
    ).localCheckpoint().createOrReplaceTempView("lg_r_ix")
    spark.sql(
        "SELECT e.lead_id, e.type, unix_micros(e.ts) AS ts_us FROM"
        f" {VIEWS.events} e LEFT SEMI JOIN lg_r_ix i ON i.lead_id = e.lead_id"
        f" WHERE e.ts <= {last}"
    ).createOrReplaceTempView("lg_r_ev")


def _key(reach: Reach, alias: str = "") -> str:
    """A change's key: its lead, or its account's (``a:``) when the definition reads it."""
    p = f"{alias}." if alias else ""
    if not reach.account_level:
        return f"concat('l:', {p}lead_id)"
    return (
        f"CASE WHEN {p}account_id IS NULL THEN concat('l:', {p}lead_id)"
        f" ELSE concat('a:', {p}account_id) END"
    )


def _ranges(grid: Grid, reach: Reach) -> str:
    """Rows (key, lo, hi) of the grid ranges on which a key's inputs may change, as
    :func:`leadgate.analytics.replay._ranges` finds them (its general path)."""
    if reach.every_day:
        return f"SELECT {_key(reach)} AS key, 0 AS lo, {grid.count - 1} AS hi FROM lg_r_ix"
    events = "lg_r_ev e JOIN lg_r_ix i ON i.lead_id = e.lead_id"
    own = _key(reach, "i")
    if reach.daily:
        lo, hi = k_range(
            grid, "e.ts_us", reach.account if reach.account_level else reach.events, DIV
        )
        parts = [f"SELECT {own} AS key, {lo} AS lo, {hi} AS hi FROM {events}"]
    else:
        parts = [stepwise_days(grid, own, "e.ts_us", reach.windows, events, "spark")]
    created = grid.first_at("coalesce(created_us, 0)", DIV)
    parts.append(f"SELECT {_key(reach)} AS key, {created} AS lo, {created} AS hi FROM lg_r_ix")
    if reach.account_level:
        signals = (
            f"{VIEWS.intent} s LEFT SEMI JOIN lg_r_ix i ON i.account_id = s.account_id"
            f" WHERE s.ts <= timestamp_micros({grid.last_us})"
        )
        key = "concat('a:', s.account_id)"
        parts.append(
            stepwise_days(grid, key, "unix_micros(s.ts)", reach.intent_windows, signals, "spark")
        )
    return " UNION ALL ".join(parts)


def backtest_pairs(spark: Any, c: CompiledDefinition, grid: Grid) -> None:
    """``lg_r_pairs (pid, lead_id, k)``: every (lead, day) whose inputs may change, merged
    per key into ranges first (gaps and islands), as the DuckDB replay's pairs path."""
    reach = Reach.of(c)
    spark.sql(
        f"""
        {keyed_days(_ranges(grid, reach), grid.count, "spark")}
        SELECT concat(i.lead_id, '@', k.k) AS pid, i.lead_id, k.k
        FROM keyed k JOIN lg_r_ix i ON {_key(reach, "i")} = k.key WHERE k.k >= i.kc
        """
    ).localCheckpoint().createOrReplaceTempView("lg_r_pairs")


def chosen_pairs(spark: Any, c: CompiledDefinition, wanted: str) -> None:
    """``lg_r_pairs`` of the ``wanted`` view's ``(lead_id, k)``, and, for a definition that
    reads the account, the account's other leads existing on the same day."""
    base = (
        f"SELECT DISTINCT w.lead_id, w.k FROM {wanted} w LEFT SEMI JOIN lg_r_ix i USING (lead_id)"
    )
    if Reach.of(c).account_level:
        base += (
            f" UNION SELECT i.lead_id, w.k FROM (SELECT DISTINCT j.account_id, w.k FROM {wanted}"
            " w JOIN lg_r_ix j USING (lead_id) WHERE j.account_id IS NOT NULL) w"
            " JOIN lg_r_ix i ON i.account_id = w.account_id AND w.k >= i.kc"
        )
    spark.sql(
        f"SELECT concat(lead_id, '@', k) AS pid, lead_id, k FROM ({base})"
    ).localCheckpoint().createOrReplaceTempView("lg_r_pairs")


def _dates(c: CompiledDefinition, frame: Any, prefix: str, k: str, grid: Grid) -> dict[str, str]:
    """The date fields of a relation that the definition reads, shifted to the pair's day."""
    types = column_types(frame)
    out = {}
    for name in sorted(c.fields_used):
        column = name[len(prefix) :] if name.startswith(prefix) else None
        if c.fields[name] != "date" or column is None or "." in column or column not in types:
            continue
        moved = shifted(f"t.`{column}`", types[column], k, grid, "spark")
        if moved is not None:
            out[column] = moved
    return out


def _select(frame: Any, replaced: dict[str, str]) -> str:
    """``t.*`` with some columns replaced (Spark has no ``* REPLACE``)."""
    return ", ".join(
        f"{replaced[name]} AS `{name}`" if name in replaced else f"t.`{name}`"
        for name in frame.columns
    )


def pair_views(spark: Any, c: CompiledDefinition, grid: Grid) -> None:
    """The relations the plan reads, one row set per pair, with times shifted."""
    leads, accounts = spark.table(VIEWS.leads), spark.table(VIEWS.accounts)
    used = [f for f in leads.columns if f in c.fields_used and f not in ("lead_id", "account_id")]
    lead_frame = leads.select("lead_id", "account_id", *used)
    lead_frame.createOrReplaceTempView("lg_r_lead_rows")
    replaced = {
        "lead_id": "p.pid",
        "account_id": "concat(t.account_id, '@', p.k)",
        **_dates(c, lead_frame, "", "p.k", grid),
    }
    spark.sql(
        f"SELECT {_select(lead_frame, replaced)} FROM lg_r_pairs p"
        " JOIN lg_r_lead_rows t ON t.lead_id = p.lead_id"
    ).createOrReplaceTempView(PAIR_VIEWS.leads)
    spark.sql(
        "SELECT DISTINCT i.account_id, p.k FROM lg_r_pairs p JOIN lg_r_ix i"
        " ON i.lead_id = p.lead_id WHERE i.account_id IS NOT NULL"
    ).createOrReplaceTempView("lg_r_account_days")
    replaced = {"account_id": "concat(t.account_id, '@', x.k)"}
    replaced |= _dates(c, accounts, "account.", "x.k", grid)
    spark.sql(
        f"SELECT {_select(accounts, replaced)} FROM lg_r_account_days x"
        f" JOIN {VIEWS.accounts} t ON t.account_id = x.account_id"
    ).createOrReplaceTempView(PAIR_VIEWS.accounts)
    spark.sql(
        "SELECT concat(x.account_id, '@', x.k) AS account_id, s.topic, s.strength,"
        f" timestamp_micros(unix_micros(s.ts) + {grid.shift('x.k')}) AS ts"
        f" FROM lg_r_account_days x JOIN {VIEWS.intent} s ON s.account_id = x.account_id"
        f" WHERE unix_micros(s.ts) <= {grid.first_us} + x.k * {grid.step_us}"
    ).createOrReplaceTempView(PAIR_VIEWS.intent)
    horizon = horizon_us(c)
    as_of = f"{grid.first_us} + p.k * {grid.step_us}"
    since = "" if horizon is None else f" AND e.ts_us >= {as_of} - {horizon + grid.step_us}"
    spark.sql(
        f"SELECT p.pid AS lead_id, e.type, timestamp_micros(e.ts_us + {grid.shift('p.k')}) AS ts"
        f" FROM lg_r_ev e JOIN lg_r_pairs p ON p.lead_id = e.lead_id AND e.ts_us <= {as_of}{since}"
    ).createOrReplaceTempView(PAIR_VIEWS.events)


def evaluate(spark: Any, c: CompiledDefinition, grid: Grid, *, details: bool) -> Any:
    """The plan over the pairs: a DataFrame of ``(lead_id, k, tier, total, disqualified,
    contributions)``, ``tier`` the tier's index (-1: none), as the DuckDB replay's states."""
    check_engine(c, "spark")
    pair_views(spark, c, grid)
    plan = warehouse_sql(
        c,
        grid.last_us,
        "spark",
        lead_columns=column_types(spark.table(PAIR_VIEWS.leads)),
        account_columns=column_types(spark.table(PAIR_VIEWS.accounts)),
        tables=PAIR_VIEWS,
        details=details,
    )
    names = " ".join(f"WHEN {lit(t.name, 'spark')} THEN {i}" for i, t in enumerate(c.tiers))
    tier = f"CASE s.tier {names} ELSE -1 END" if names else "-1"
    return spark.sql(
        f"SELECT p.lead_id, p.k, {tier} AS tier, s.total, s.disqualified, s.contributions"
        f" FROM ({plan}) s JOIN lg_r_pairs p ON p.pid = s.lead_id"
    )


def sales_tiers(c: CompiledDefinition) -> str:
    """SQL: the tier indices that hand a lead to sales, as a list."""
    return ", ".join(str(i) for i, t in enumerate(c.tiers) if t.sales) or "-2"
