"""``backtest``: what a definition would have produced, day by day, had it been live.

The replay (:mod:`leadgate.analytics.replay`) gives each lead's tier on every day from
``start`` to ``end`` using only what was known that day. A lead is an **MQL** on the first
replay day its tier is a sales tier. Outcomes are read only here, as labels, never by the
replay:

* **precision**: of the MQLs whose window (``window_days`` after the MQL day) had closed by
  ``observed_until``, the share with a conversion outcome inside it. MQLs whose window is
  still open are *censored*: counted, shown, never taken as failures;
* **recall**: of the leads that first converted between ``start`` and ``end``, the share
  that were MQLs on a day before they converted (an MQL on the day of the conversion or
  later was not caught *before*);
* **days to MQL**: from the first touch (the earlier of ``created_at`` and the first
  event) to the MQL day's end, the median over MQLs;
* the converters it **missed**, never an MQL or an MQL only after converting, with
  sample ids.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..definition.compile import CompiledDefinition
from ..results import plain
from ..scoring.evaluate import from_micros, to_micros
from ..store import Store
from .replay import DAY_US, BacktestError, Grid, replay_path, replayed

DEFAULT_OUTCOMES = ("won",)
DEFAULT_WINDOW_DAYS = 90
SAMPLE = 10


@dataclass
class BacktestMonth:
    """The MQLs of one calendar month of the replay and how they converted."""

    month: str  # YYYY-MM
    mqls: int
    complete: int  # whose window had closed by observed_until
    converted: int  # of the complete: converted inside the window
    censored: int  # window still open: not counted either way
    converted_before_mql: int  # had converted already when they became MQLs
    precision: float | None  # converted / complete


@dataclass
class Missed:
    """Converters the definition did not catch before they converted."""

    count: int
    never_mql: int
    mql_after_converting: int
    sample: list[str] = field(default_factory=list)


@dataclass
class BacktestResult:
    """One definition replayed over history (plain data: ``as_dict`` is the JSON)."""

    definition_hash: str
    definition_name: str
    definition_version: str
    start: dt.date
    end: dt.date
    step: str
    days: int
    outcomes: list[str]
    window_days: int
    observed_until: dt.datetime | None
    leads: int  # leads that existed by the end
    pairs: int  # (lead, day) pairs evaluated; days * leads would be the naive count
    mqls: int
    mqls_on_first_day: int  # sales tier on the first day: perhaps MQLs before it
    complete: int
    converted: int
    censored: int
    precision: float | None
    converters: int  # first converted between start and end
    caught: int  # of those, MQL on a day before converting
    recall: float | None
    median_days_to_mql: float | None
    missed: Missed
    months: list[BacktestMonth]
    end_tiers: dict[str, int]  # tier on the last day (leads existing by then)
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds per replay step
    #: ``carried`` (counts carried from day to day) or ``pairs (why not)``: replay_path
    replay: str = ""

    def as_dict(self) -> dict[str, Any]:
        return plain(asdict(self))  # type: ignore[no-any-return]


def backtest(
    store: Store,
    compiled: CompiledDefinition,
    start: dt.date,
    end: dt.date,
    *,
    step: str = "day",
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    window_days: int = DEFAULT_WINDOW_DAYS,
    observed_until: dt.datetime | None = None,
    sample: int = SAMPLE,
) -> BacktestResult:
    """Replay ``compiled`` as of each day from ``start`` to ``end`` and measure it.

    ``observed_until`` (default: the latest event or outcome in the store) is how far the
    outcomes are known: a window ending after it is censored.
    """
    started = time.perf_counter()
    grid = Grid.between(start, end, step)
    check_options(outcomes, window_days)
    phases: dict[str, float] = {}
    with replayed(store, compiled, grid, phases=phases, first_sales=True):
        lap = time.perf_counter()
        summarize(store, compiled, grid, "bt_result")
        pairs = int(store.scalar("SELECT count(*) FROM bt_states") or 0)
        phases["summarize"] = round(time.perf_counter() - lap, 3)
    lap = time.perf_counter()
    try:
        result = measure(
            store, compiled, grid, "bt_result",
            outcomes=outcomes, window_days=window_days,
            observed_until=observed_until, sample=sample,
        )  # fmt: skip
    finally:
        store.execute("DROP TABLE IF EXISTS temp.bt_result")
    phases["measure"] = round(time.perf_counter() - lap, 3)
    result.pairs, result.phases, result.replay = (
        pairs,
        phases,
        replay_path(compiled, first_sales=True),
    )
    result.seconds = time.perf_counter() - started
    return result


def check_options(outcomes: tuple[str, ...], window_days: int) -> None:
    if not outcomes:
        raise BacktestError("Name at least one outcome that counts as converted (e.g. won).")
    if window_days <= 0:
        raise BacktestError(f"window_days must be a positive number. Got {window_days}.")


def summarize(store: Store, c: CompiledDefinition, grid: Grid, into: str) -> None:
    """Per lead of the replay in ``bt_states``: its MQL instant, its tier on the last day
    and its first touch, into the temporary table ``into``.

    The first event of every lead is one grouped pass over ``bt_ev``, joined by lead: a
    subquery per lead (decorrelated by DuckDB) took 1.1-1.8 s of CPU at 50M events (mean
    1.59), the pass 0.9-1.3 s (mean 1.16; bench/README.md, session 12, ``decay12b``)."""
    sales = [i for i, t in enumerate(c.tiers) if t.sales] or [-2]
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {into} AS
        WITH s AS (SELECT ix, min(k) FILTER (WHERE tier IN ({", ".join(map(str, sales))}))
                          AS mql_k, arg_max(tier, k) AS end_tier
                   FROM bt_states GROUP BY ix),
        first_event AS (SELECT ix, min(ts_us) AS ts_us FROM bt_ev GROUP BY ix)
        SELECT i.lead_id, s.mql_k, {grid.first_us} + s.mql_k * {grid.step_us} AS mql_us,
               s.end_tier, least(i.created_us, f.ts_us) AS touch_us
        FROM s JOIN bt_lead_ix i USING (ix) LEFT JOIN first_event f USING (ix)
        """
    )


def measure(
    store: Store,
    c: CompiledDefinition,
    grid: Grid,
    table: str,
    *,
    outcomes: tuple[str, ...],
    window_days: int,
    observed_until: dt.datetime | None,
    sample: int,
    others: Mapping[int, int] | None = None,
    labels: str = "lead_outcomes",
) -> BacktestResult:
    """The metrics of a summarized replay (:func:`summarize`) against the outcomes.

    ``others``: per end tier, how many leads of the replay ``table`` leaves out. Only a
    lead with a sales-tier day or a conversion outcome can count in the months, recall,
    days to MQL or the missed sample; any other counts only among the leads and their end
    tiers, so an engine that replays where the leads are (Spark) need not bring it back.
    ``labels``: the relation of the outcomes (``lead_id, outcome, ts``), when not the
    store's (Spark's backtest brings back a lake's outcomes of the leads in ``table``).
    """
    others = others or {}
    until_us = _observed_until(store, observed_until)
    window_us = window_days * DAY_US
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE bt_labels AS
        WITH conv AS (SELECT lead_id, min(epoch_us(ts)) AS first_us,
                             list(epoch_us(ts) ORDER BY ts) AS all_us
                      FROM {labels} WHERE outcome IN ({", ".join("?" for _ in outcomes)})
                      GROUP BY lead_id)
        SELECT r.*, c.first_us AS conv_us,
               list_min(list_filter(c.all_us, lambda x: x > r.mql_us)) AS after_us
        FROM {table} r LEFT JOIN conv c USING (lead_id)
        """,
        list(outcomes),
    )
    try:
        months = _months(store, until_us, window_us)
        recall = _recall(store, grid, sample)
        end_tiers = _end_tiers(store, c, others)
        median = store.scalar(
            f"SELECT median((mql_us - touch_us) / {DAY_US}.0) FROM bt_labels"
            " WHERE mql_us IS NOT NULL AND touch_us IS NOT NULL"
        )
        leads = int(store.scalar("SELECT count(*) FROM bt_labels") or 0) + sum(others.values())
    finally:
        store.execute("DROP TABLE IF EXISTS temp.bt_labels")
    totals = {k: sum(getattr(m, k) for m in months) for k in ("mqls", "complete", "converted")}
    converters, caught, missed = recall
    d = c.definition
    return BacktestResult(
        definition_hash=c.hash,
        definition_name=d.name,
        definition_version=str(d.version),
        start=grid.start,
        end=grid.day(grid.count - 1),
        step="day" if grid.step_days == 1 else "week",
        days=grid.count,
        outcomes=list(outcomes),
        window_days=window_days,
        observed_until=None if until_us is None else from_micros(until_us).replace(tzinfo=None),
        leads=leads,
        pairs=0,
        mqls=totals["mqls"],
        mqls_on_first_day=int(store.scalar(f"SELECT count(*) FROM {table} WHERE mql_k = 0") or 0),
        complete=totals["complete"],
        converted=totals["converted"],
        censored=sum(m.censored for m in months),
        precision=_ratio(totals["converted"], totals["complete"]),
        converters=converters,
        caught=caught,
        recall=_ratio(caught, converters),
        median_days_to_mql=None if median is None else round(float(median), 2),
        missed=missed,
        months=months,
        end_tiers=end_tiers,
        seconds=0.0,
    )


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _observed_until(store: Store, given: dt.datetime | None) -> int | None:
    if given is not None:
        return to_micros(given)
    latest = store.scalar(
        "SELECT greatest((SELECT max(ts) FROM outcomes), (SELECT max(ts) FROM events))"
    )
    return None if latest is None else to_micros(latest)


def _months(store: Store, until_us: int | None, window_us: int) -> list[BacktestMonth]:
    until = "NULL" if until_us is None else str(until_us)
    rows = store.execute(
        f"""
        WITH m AS (SELECT strftime(make_timestamp(mql_us), '%Y-%m') AS month,
                          mql_us + {window_us} <= coalesce({until}, -1) AS complete,
                          after_us IS NOT NULL AND after_us <= mql_us + {window_us} AS hit,
                          conv_us IS NOT NULL AND conv_us <= mql_us AS before
                   FROM bt_labels WHERE mql_us IS NOT NULL)
        SELECT month, count(*), count(*) FILTER (WHERE complete),
               count(*) FILTER (WHERE complete AND hit), count(*) FILTER (WHERE NOT complete),
               count(*) FILTER (WHERE before)
        FROM m GROUP BY month ORDER BY month
        """
    ).fetchall()
    return [
        BacktestMonth(str(r[0]), r[1], r[2], r[3], r[4], r[5], _ratio(r[3], r[2])) for r in rows
    ]


def _recall(store: Store, grid: Grid, sample: int) -> tuple[int, int, Missed]:
    """Converters of the replay's span, how many were caught before, and the others."""
    first = grid.first_us - DAY_US + 1  # the first day's midnight
    rows = store.execute(
        f"""
        SELECT lead_id, mql_us IS NOT NULL AND mql_us < conv_us AS caught,
               mql_us IS NULL AS never
        FROM bt_labels WHERE conv_us BETWEEN {first} AND {grid.last_us} ORDER BY lead_id
        """
    ).fetchall()
    missed = [r for r in rows if not r[1]]
    never = sum(1 for r in missed if r[2])
    return (
        len(rows),
        len(rows) - len(missed),
        Missed(len(missed), never, len(missed) - never, [str(r[0]) for r in missed[:sample]]),
    )


def _end_tiers(store: Store, c: CompiledDefinition, others: Mapping[int, int]) -> dict[str, int]:
    counts = dict(others)
    for t, k in store.execute("SELECT end_tier, count(*) FROM bt_labels GROUP BY 1").fetchall():
        counts[t] = counts.get(t, 0) + int(k)
    return {(c.tiers[t].name if t >= 0 else "(none)"): counts[t] for t in sorted(counts)}
