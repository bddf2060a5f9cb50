"""Replay a definition as of each day of a grid, in a few DuckDB queries, without the future.

Why not one scoring per day: a year of days is 365 full passes over every lead and the
events in each one's look-back. Most (lead, day) pairs need no work: a lead's score can
only change on a day when something it reads changes.

A definition with no decay, no date and nothing of the account takes from events only
counts inside windows: those are carried from day to day (:mod:`leadgate.analytics.carry`)
and the plan runs once per (lead, change day) on them. A backtest of a decaying one whose
undecayed bound carries runs the plan only where its bound is in a sales tier
(:mod:`leadgate.analytics.pruned`). Every other definition goes the general path
(:func:`replay_path` says which):

1. finds, per lead, the grid days on which its inputs may change (:class:`Reach`): the day
   it is created, the days an event of its own is inside some rule's look-back (every day
   from the event to the end of the longest window, when the definition decays or has
   windows; the event's day alone when it has neither), and, when the definition reads
   the account (intent, engaged contacts, ``account.engagement``), the days any lead of
   its account changes or an intent signal is inside its window; a definition that reads
   a date field is replayed every day;
2. evaluates the definition's own scoring plan once for all those (lead, day) pairs: each
   pair is a lead of its own (a numeric id ``lead * days + day``), and every time it
   reads (its events, intent signals, date fields) is shifted by ``last day - day``, so
   the plan, written for one as-of time (the last day), sees each pair as of its own
   day. Ages, windows, decay and days since a date are differences of times, equal after
   the shift to the last microsecond;
3. on a day with no pair, a lead holds the tier of its last evaluated day.

What "as of day D" means: the instant just before midnight at the end of D (UTC); the
events with ``ts`` up to it and the leads created up to it (a lead with no ``created_at``
exists from the start). Outcomes are never read. Lead and account attributes are the
store's current values: the store keeps no history of them.

The property test ``tests/analytics/test_replay.py`` checks the result against
:func:`leadgate.scoring.score_store` run as of every day on random small histories.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from ..definition.compile import CompiledDefinition
from ..errors import LeadgateError
from ..scoring import names as n
from ..scoring.contract import horizon_us
from ..scoring.evaluate import to_micros
from ..scoring.event_steps import in_list, lit
from ..scoring.plans import AsOf, Tables
from ..store import Store
from .bound import why_not as bound_why_not
from .carry import CarriedEvents, carried_columns, carry, why_not
from .entries import raising_types
from .entries import why_not as entries_why_not

DAY_US = 86_400_000_000
STEPS = {"day": 1, "week": 7}
#: Pairs scored in one query: bounds the memory of a replay over a million leads.
CHUNK_PAIRS = 4_000_000
#: The same when the pairs carry their counts: each is one row, not its lead's events
#: (at 4M, 14 chunks of ``windowed``'s 55M pairs each joined the million leads again).
CARRIED_CHUNK_PAIRS = 16_000_000
TABLES = Tables(leads="bt_leads", accounts="bt_accounts", events="bt_events", intent="bt_intent")
TEMP = (
    "bt_lead_ix", "bt_account_ix", "bt_types", "bt_ev", "bt_lead_rows", "bt_pairs_all", "bt_states",
    "bt_bound_end", "bt_best", "bt_cand", "bt_ev_left", "bt_ev_carried",  # pruned
)  # fmt: skip
VIEWS = ("bt_leads", "bt_accounts", "bt_events", "bt_intent", "bt_pairs")


class BacktestError(LeadgateError, ValueError):
    """A backtest cannot run as asked (dates, step, definition)."""

    code = "LG820"


@dataclass(frozen=True)
class Grid:
    """The replay days: ``count`` days from ``start``, ``step_days`` apart."""

    start: dt.date
    step_days: int
    count: int

    @classmethod
    def between(cls, start: dt.date, end: dt.date, step: str = "day") -> Grid:
        if step not in STEPS:
            raise BacktestError(f"step must be one of {sorted(STEPS)}. Got {step!r} instead.")
        if end < start:
            raise BacktestError(f"--to ({end}) is before --from ({start}): swap them.")
        days = STEPS[step]
        return cls(start, days, (end - start).days // days + 1)

    @property
    def step_us(self) -> int:
        return self.step_days * DAY_US

    @property
    def first_us(self) -> int:
        """The as-of instant of the first day: its last microsecond."""
        midnight = dt.datetime.combine(self.start, dt.time(), tzinfo=dt.timezone.utc)
        return to_micros(midnight) + DAY_US - 1

    def instant(self, k: int) -> int:
        return self.first_us + k * self.step_us

    @property
    def last_us(self) -> int:
        return self.instant(self.count - 1)

    def day(self, k: int) -> dt.date:
        return self.start + dt.timedelta(days=k * self.step_days)

    def first_at(self, micros: str, div: str = "//") -> str:
        """SQL: the first grid index whose instant is at or after ``micros`` (0 if before);
        ``div``: the dialect's integer division (Spark's is ``div``)."""
        t0, s = self.first_us, self.step_us
        return f"greatest(0, (greatest({micros}, {t0 - s}) - {t0 - s + 1}) {div} {s})"

    def shift(self, k: str) -> str:
        """SQL: how far a time of pair day ``k`` moves so the last day's plan reads it."""
        return f"({self.last_us} - ({self.first_us} + {k} * {self.step_us}))"


@dataclass(frozen=True)
class AnchoredGrid(Grid):
    """Instants ``step`` µs apart (days of 24 hours unless asked) that end at ``anchor``
    (µs) instead of at midnight: the last instant is the anchor itself, each earlier one a
    step before (calibration's as-of time; a step of a second reads each lead as of its
    own decision time, :mod:`leadgate.calibrate.decision`)."""

    anchor: int = 0
    step: int = DAY_US

    @classmethod
    def ending(cls, anchor_us: int, count: int, step_us: int = DAY_US) -> AnchoredGrid:
        first = anchor_us - (count - 1) * step_us
        start = (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=first)).date()
        return cls(start, 1, count, anchor_us, step_us)

    @property
    def step_us(self) -> int:
        return self.step

    @property
    def first_us(self) -> int:
        return self.anchor - (self.count - 1) * self.step_us


@dataclass(frozen=True)
class Reach:
    """How long after a change a lead's inputs keep changing (µs; None: to the end)."""

    events: int | None  # after one of its events (0: only that day)
    account: int | None  # after an event of a lead of its account (account-level only)
    intent: int  # after an intent signal of its account
    account_level: bool  # the definition reads the account's leads or intent
    every_day: bool  # reads a date field: every day can differ
    #: Whether a score moves on every day of a look-back (a half-life decays it, ``last``
    #: counts days). Without, an event's part is a step: it enters on its day and leaves
    #: the day after each window ends, so only those days change (``windows``).
    daily: bool = True
    windows: tuple[int, ...] = ()  # the look-backs of event rules, counts and contacts
    intent_windows: tuple[int, ...] = ()
    #: Only the days that bring a lead something new, every day in the reach of an event
    #: of ``raising`` types, and the last day: enough for a backtest when
    #: :func:`leadgate.analytics.entries.why_not` allows it.
    entries: bool = False
    raising: tuple[str, ...] = ()

    @classmethod
    def of(cls, c: CompiledDefinition) -> Reach:
        aggs = list(c.aggregates.values())
        daily = any(r.half_life_us for r in c.event_rules) or any(a.kind == "last" for a in aggs)
        windows = {r.window_us for r in c.event_rules if r.window_us is not None}
        windows |= {
            a.window_us for a in aggs if a.kind in ("count", "contacts") and a.window_us is not None
        }
        varies = daily or bool(windows)
        events = (horizon_us(c) if varies else 0) if (c.event_rules or aggs) else 0
        contacts = [a.window_us or 0 for a in aggs if a.kind == "contacts"]
        account = events if events is None else max([events, *contacts])
        intents = [a.window_us or 0 for a in aggs if a.kind == "intent"]
        return cls(
            events=events,
            account=account,
            intent=max(intents, default=0),
            account_level=bool(intents or contacts or c.uses_rollup),
            every_day=any(c.fields[f] == "date" for f in c.fields_used),
            daily=daily,
            windows=tuple(sorted(windows)),
            intent_windows=tuple(sorted({w for w in intents if w})),
        )


def replay_states(
    store: Store, c: CompiledDefinition, grid: Grid, *, general: bool = False
) -> list[tuple[str, int, int]]:
    """Each evaluated (lead_id, grid index, tier index) of a replay; -1: no tier.

    A lead holds its tier on the days after an evaluated day until its next one.
    ``general``: the general path even where counts carry (the tests compare the two).
    """
    with replayed(store, c, grid, general=general):
        return [
            (str(r[0]), int(r[1]), int(r[2]))
            for r in store.execute(
                "SELECT i.lead_id, s.k, s.tier FROM bt_states s JOIN bt_lead_ix i USING (ix)"
                " ORDER BY 1, 2"
            ).fetchall()
        ]


@contextmanager
def replayed(
    store: Store,
    c: CompiledDefinition,
    grid: Grid,
    *,
    details: bool = False,
    phases: dict[str, float] | None = None,
    general: bool = False,
    first_sales: bool = False,
    totals: bool = False,
) -> Iterator[None]:
    """Run the replay into the temporary table ``bt_states (ix, k, tier)``, with
    ``bt_lead_ix (lead_id, ix, aix, created_us, kc)``, ``bt_types (type, t)`` and
    ``bt_ev (ix, t, ts_us)`` beside it; all dropped after. With ``details``, ``bt_states``
    also holds each rule's points (``contributions``, in the order of ``c.rule_keys``) and
    the total (points); with ``totals``, the total alone.
    ``phases``, when given, receives the seconds of each step (index, then carry or pairs,
    evaluate): ``carry`` when the counts are carried from day to day
    (:mod:`leadgate.analytics.carry`), ``pairs`` when the general path runs (always with
    ``general``: no counts carried, for this definition or its bound); ``bound`` and
    ``candidates`` on the pruned path.

    ``first_sales``: the caller reads only each lead's first sales-tier day and its tier on
    the last day (a backtest); where :func:`leadgate.analytics.entries.why_not` allows, a
    definition that does not carry is then evaluated only on the days that bring a lead
    something new and on the last day, not on every day of its look-back, and where
    :func:`leadgate.analytics.bound.why_not` allows, only on those of them where its
    undecayed bound is in a sales tier (:mod:`leadgate.analytics.pruned`)."""
    clock = _Phases(phases)
    # the pruned path keeps no points: not when they are asked for
    path = _path(c, general=general, first_sales=first_sales, details=details or totals)
    try:
        _index(store, grid)
        clock.lap("index")
        if path == "pruned":
            from .pruned import replay_pruned  # it builds on this module's steps

            replay_pruned(store, c, grid, clock.lap)
        else:
            _replay(store, c, grid, path, details, clock, totals=totals)
        yield
    finally:
        _drop_temporaries(store)


def _replay(
    store: Store,
    c: CompiledDefinition,
    grid: Grid,
    path: str,
    details: bool,
    clock: _Phases,
    *,
    totals: bool = False,
) -> None:
    """``bt_states`` by the ``carried``, ``entries`` or ``pairs`` path."""
    carried = path == "carried"
    if carried:
        carry(store, c, grid, exact=details)
        clock.lap("carry")
    else:
        reach = Reach.of(c)
        if path == "entries":
            reach = replace(reach, entries=True, raising=raising_types(c))
        _pairs(store, grid, reach)
        clock.lap("pairs")
    _views(store, c, grid, carried=carried)
    _evaluate(store, c, grid, details, carried=carried, totals=totals)
    clock.lap("evaluate")


@contextmanager
def replayed_at(
    store: Store, c: CompiledDefinition, grid: Grid, wanted: str, *, details: bool = False
) -> Iterator[None]:
    """Like :func:`replayed`, for chosen pairs only: ``wanted`` is a table of ``(lead_id, k)``,
    each lead as of the grid day ``k`` (every lead of the store may be named, even one
    created later: its row is read as of that day all the same). When the definition reads
    the account, every lead of the account that exists on day ``k`` is evaluated beside
    it (its engaged contacts are counted from them); ``bt_states`` holds those too, so
    join it with ``wanted``."""
    try:
        _index(store, grid, every_lead=True)
        _chosen(store, wanted, Reach.of(c).account_level)
        _views(store, c, grid)
        _evaluate(store, c, grid, details)
        yield
    finally:
        _drop_temporaries(store)


def _drop_temporaries(store: Store) -> None:
    """Drop the replay's views and temporary tables (after a replay, whichever kind)."""
    for view in VIEWS:
        store.execute(f"DROP VIEW IF EXISTS temp.{view}")
    for table in TEMP:
        store.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _chosen(store: Store, wanted: str, account_level: bool) -> None:
    """``bt_pairs_all`` of the ``wanted`` pairs (and, for a definition that reads the
    account, the pairs of the other leads of each account on the same day)."""
    companions = (
        " UNION SELECT i.ix, w.k, i.aix AS grp FROM (SELECT DISTINCT aix, k FROM w"
        " WHERE aix IS NOT NULL) w JOIN bt_lead_ix i ON i.aix = w.aix AND w.k >= i.kc"
        if account_level
        else ""
    )
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE bt_pairs_all AS
        WITH w AS (SELECT DISTINCT i.ix, w.k, i.aix FROM {wanted} w JOIN bt_lead_ix i
                   USING (lead_id))
        SELECT ix, k, coalesce(aix, ix) AS grp FROM w{companions}
        """
    )


class _Phases:
    """Seconds per step of a replay, when the caller asks (the benchmark prints them)."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into, self.last = into, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.into is not None:
            self.into[name] = round(self.into.get(name, 0.0) + now - self.last, 3)
        self.last = now


def _index(store: Store, grid: Grid, *, every_lead: bool = False) -> None:
    """Number the leads that exist by the last day (``every_lead``: all of them), their
    accounts, and their events."""
    last = f"make_timestamp({grid.last_us})"
    exists = "TRUE" if every_lead else f"(created_at IS NULL OR created_at <= {last})"
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_account_ix AS SELECT account_id,"
        " (row_number() OVER (ORDER BY account_id) - 1)::BIGINT AS aix"
        f" FROM (SELECT DISTINCT account_id FROM leads WHERE account_id IS NOT NULL"
        f" AND {exists})"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_lead_ix AS SELECT l.lead_id,"
        " (row_number() OVER (ORDER BY l.lead_id) - 1)::BIGINT AS ix, a.aix,"
        " epoch_us(l.created_at) AS created_us,"
        f" CASE WHEN l.created_at IS NULL THEN 0 ELSE {grid.first_at('epoch_us(l.created_at)')}"
        " END AS kc"
        f" FROM leads l LEFT JOIN bt_account_ix a ON a.account_id = l.account_id"
        f" WHERE {exists.replace('created_at', 'l.created_at')}"
    )
    # Each event's type by number (``bt_types``) and its lead's account through the lead:
    # 16 bytes an event, not 40 (50M events: 0.8 GB, not 2 GB held through the replay).
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_types AS SELECT type,"
        " (row_number() OVER (ORDER BY type) - 1)::INTEGER AS t"
        " FROM (SELECT DISTINCT type FROM events)"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_ev AS SELECT i.ix::INTEGER AS ix, y.t,"
        " epoch_us(e.ts) AS ts_us FROM lead_events e JOIN bt_lead_ix i ON i.lead_id = e.lead_id"
        f" JOIN bt_types y ON y.type = e.type WHERE e.ts <= {last}"
    )


def k_range(grid: Grid, start: str, reach: int | None, div: str = "//") -> tuple[str, str]:
    """SQL: the grid indices on which a change at ``start`` may show (reach after it);
    ``div``: the dialect's integer division."""
    lo = grid.first_at(start, div)
    if reach is None:
        return lo, str(grid.count - 1)
    # One microsecond past the window: the day the change leaves it.
    end = start if reach == 0 else f"{start} + {reach + 1}"
    return lo, f"least({grid.count - 1}, {grid.first_at(end, div)})"


def stepwise_days(
    grid: Grid, key: str, start: str, windows: tuple[int, ...], source: str, dialect: str = "duckdb"
) -> str:
    """SQL: one-day ranges (key, lo, hi) on the day of a change at ``start`` and on the day
    after each of ``windows`` ends: the only days a stepwise look-back changes."""
    div = "div" if dialect == "spark" else "//"
    days = ", ".join([grid.first_at(start, div),
                      *(grid.first_at(f"{start} + {w + 1}", div) for w in windows)])  # fmt: skip
    each = f"explode(array({days}))" if dialect == "spark" else f"unnest([{days}])"
    return f"SELECT key, k AS lo, k AS hi FROM (SELECT {key} AS key, {each} AS k FROM {source})"


def _ranges(grid: Grid, reach: Reach) -> str:
    """SQL: rows (key, lo, hi) of grid-index ranges; key is a lead (``ix``) or, for leads
    of an account when the definition reads the account, ``-1 - aix``."""
    if reach.every_day:
        return f"SELECT ix AS key, 0 AS lo, {grid.count - 1} AS hi FROM bt_lead_ix"
    own = "ix" if not reach.account_level else "CASE WHEN aix IS NULL THEN ix ELSE -1 - aix END"
    events = "bt_ev JOIN bt_lead_ix USING (ix)" if reach.account_level else "bt_ev"
    # The days an event's look-back reaches (its account's, when the definition reads it).
    lo, hi = k_range(grid, "ts_us", reach.account if reach.account_level else reach.events)
    if reach.entries:
        # Every lead of an account is evaluated on the same days (its engaged contacts are
        # counted from the leads evaluated beside it): the key is the account's.
        day, last = grid.first_at("ts_us"), grid.count - 1
        raising = (
            f"t IN (SELECT t FROM bt_types WHERE type IN {in_list(reach.raising, 'duckdb')})"
            if reach.raising
            else "FALSE"
        )
        parts = [
            f"SELECT {own} AS key, {day} AS lo, {day} AS hi FROM {events}",
            f"SELECT {own} AS key, {lo} AS lo, {hi} AS hi FROM {events} WHERE {raising}",
            f"SELECT {own} AS key, {last} AS lo, {last} AS hi FROM bt_lead_ix",
        ]
    elif reach.daily:
        parts = [f"SELECT {own} AS key, {lo} AS lo, {hi} AS hi FROM {events}"]
    else:
        parts = [stepwise_days(grid, own, "ts_us", reach.windows, events)]
    created = grid.first_at("coalesce(created_us, 0)")
    parts.append(f"SELECT {own} AS key, {created} AS lo, {created} AS hi FROM bt_lead_ix")
    if reach.account_level:
        signals = (
            "intent_signals s JOIN bt_account_ix a ON a.account_id = s.account_id"
            f" WHERE s.ts <= make_timestamp({grid.last_us})"
        )
        windows = () if reach.entries else reach.intent_windows
        parts.append(stepwise_days(grid, "-1 - a.aix", "epoch_us(s.ts)", windows, signals))
    return " UNION ALL ".join(parts)


def _pairs(store: Store, grid: Grid, reach: Reach) -> None:
    """``bt_pairs_all (ix, k, chunk)``: the (lead, day) pairs to evaluate.

    Ranges are merged per key first (gaps and islands), so a lead with a hundred events in
    a month expands that month once, not a hundred times. They are made distinct first:
    the two windows order equal ranges each its own way, and an equal range marked new in
    one and counted second in the other joined the island before it, whose pairs then
    came twice (a pair evaluated twice reads its events twice: two leads at 1M in a sales
    tier a day early, or at all; bench/README.md, session 11).
    """
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE bt_pairs_all AS
        {keyed_days(_ranges(grid, reach), grid.count, "duckdb")}
        SELECT i.ix, k.k, i.ix AS grp FROM keyed k JOIN bt_lead_ix i ON i.ix = k.key
        WHERE k.key >= 0 AND k.k >= i.kc
        UNION ALL
        SELECT i.ix, k.k, i.aix AS grp FROM keyed k JOIN bt_lead_ix i ON -1 - i.aix = k.key
        WHERE k.key < 0 AND k.k >= i.kc
        """
    )


def keyed_days(ranges: str, count: int, dialect: str) -> str:
    """SQL: ``WITH ... keyed (key, k)``, every grid day of the ``ranges`` (rows of key, lo,
    hi) once per key: overlapping and touching ranges merged first (gaps and islands),
    made distinct before (see :func:`_pairs`: equal ranges ordered each its own way by the
    two windows gave a pair twice)."""
    expand = "explode(sequence(lo, hi))" if dialect == "spark" else "unnest(range(lo, hi + 1))"
    return f"""WITH r AS (SELECT DISTINCT key, lo, hi FROM ({ranges}) WHERE lo <= hi
                     AND lo < {count}),
        marked AS (SELECT key, lo, hi, CASE WHEN lo <= max(hi) OVER (PARTITION BY key
                     ORDER BY lo, hi ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + 1
                     THEN 0 ELSE 1 END AS new FROM r),
        islands AS (SELECT key, lo, hi, sum(new) OVER (PARTITION BY key ORDER BY lo, hi
                     ROWS UNBOUNDED PRECEDING) AS island FROM marked),
        merged AS (SELECT key, min(lo) AS lo, max(hi) AS hi FROM islands GROUP BY key, island),
        keyed AS (SELECT key, {expand} AS k FROM merged)"""


def shifted(column: str, dtype: str, k: str, grid: Grid, dialect: str = "duckdb") -> str | None:
    """SQL: a stored date or time moved by the pair's shift, as a TIMESTAMP (None: the
    plan reads this type as missing anyway)."""
    from ..scoring.steps import date_micros  # SQLGlot loads only when a date is shifted

    upper = dtype.upper()
    if not (upper.startswith(("TIMESTAMP", "VARCHAR", "STRING")) or upper == "DATE"):
        return None
    moved = f"{date_micros(column, upper, dialect)} + {grid.shift(k)}"
    return f"timestamp_micros({moved})" if dialect == "spark" else f"make_timestamp({moved})"


def _dates(store: Store, c: CompiledDefinition, table: str, prefix: str, k: str, grid: Grid) -> str:
    """SQL: the REPLACE items of a table's date fields, shifted."""
    columns = store.table_columns(table)
    items = []
    for name in sorted(c.fields_used):
        column = name[len(prefix) :] if name.startswith(prefix) else None
        if c.fields[name] != "date" or column is None or "." in column:
            continue
        if column not in columns:
            continue
        moved = shifted(f't."{column}"', columns[column], k, grid)
        if moved is not None:
            items.append(f'{moved} AS "{column}"')
    return "".join(f", {item}" for item in items)


def _lead_rows(store: Store, c: CompiledDefinition) -> None:
    """``bt_lead_rows``: each lead's number and the columns of ``leads`` the plan reads,
    read once: each pair then joins its lead on an integer, not on ``lead_id`` in the
    whole ``leads`` table (a pair per change day: millions at a million leads)."""
    columns = store.table_columns("leads")
    used = sorted(f for f in c.fields_used if f in columns and f not in ("lead_id", "account_id"))
    picked = "".join(f', t."{f}"' for f in used)
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_lead_rows AS SELECT i.ix AS bt_ix, i.aix AS bt_aix,"
        " t.lead_id,"
        f" t.account_id{picked} FROM bt_lead_ix i JOIN leads t ON t.lead_id = i.lead_id"
    )


def _views(
    store: Store,
    c: CompiledDefinition,
    grid: Grid,
    *,
    carried: bool = False,
    lead_rows: bool = True,
) -> None:
    """The relations the plan reads, one row set per pair, with times shifted;
    ``carried``: each pair's lead row also holds its carried counts
    (:class:`leadgate.analytics.carry.CarriedEvents` reads them there). ``lead_rows``:
    read ``bt_lead_rows`` anew (False: kept from a definition that reads the same fields,
    a join of every lead less)."""
    K = grid.count
    store.execute("CREATE OR REPLACE TEMP VIEW bt_pairs AS FROM bt_pairs_all")
    if lead_rows:
        _lead_rows(store, c)
    lead_dates = _dates(store, c, "bt_lead_rows", "", "p.k", grid)
    counts = "".join(f", p.{col}" for col in carried_columns(c)) if carried else ""
    store.execute(
        "CREATE OR REPLACE TEMP VIEW bt_leads AS SELECT t.* EXCLUDE (bt_ix, bt_aix) REPLACE"
        f" (p.ix * {K} + p.k AS lead_id, t.bt_aix * {K} + p.k AS account_id{lead_dates}){counts}"
        " FROM bt_pairs p JOIN bt_lead_rows t ON t.bt_ix = p.ix"
    )
    account_k = (
        "(SELECT DISTINCT i.aix, p.k FROM bt_pairs p JOIN bt_lead_ix i ON i.ix = p.ix"
        " WHERE i.aix IS NOT NULL) x JOIN bt_account_ix ai ON ai.aix = x.aix"
    )
    account_dates = _dates(store, c, "accounts", "account.", "x.k", grid)
    store.execute(
        f"CREATE OR REPLACE TEMP VIEW bt_accounts AS SELECT t.* REPLACE (x.aix * {K} + x.k"
        f" AS account_id{account_dates}) FROM {account_k}"
        " JOIN accounts t ON t.account_id = ai.account_id"
    )
    store.execute(
        f"CREATE OR REPLACE TEMP VIEW bt_intent AS SELECT x.aix * {K} + x.k AS account_id,"
        f" s.topic, s.strength, make_timestamp(epoch_us(s.ts) + {grid.shift('x.k')}) AS ts"
        f" FROM {account_k} JOIN intent_signals s ON s.account_id = ai.account_id"
        f" WHERE epoch_us(s.ts) <= {grid.first_us} + x.k * {grid.step_us}"
    )
    _events_view(store, c, grid, "bt_ev")


def _events_view(store: Store, c: CompiledDefinition, grid: Grid, events: str) -> None:
    """``bt_events``: each pair's events (read from ``events``, rows of ``bt_ev``), shifted."""
    K = grid.count
    shift, horizon = grid.shift("p.k"), horizon_us(c)
    # Each pair joins its lead's events up to its day; with a bounded look-back, only those
    # inside it (and up to a day more: every rule and count filters by its own window
    # anyway). A range join on the lead: spreading each event over every day of its
    # look-back and keeping the pairs' days read (events x days) rows, nine times slower.
    as_of = f"{grid.first_us} + p.k * {grid.step_us}"
    since = "" if horizon is None else f" AND e.ts_us >= {as_of} - {horizon + grid.step_us}"
    body = (
        f"SELECT p.ix * {K} + p.k AS lead_id, y.type, make_timestamp(e.ts_us + {shift})"
        f" AS ts FROM {events} e JOIN bt_pairs p ON p.ix = e.ix AND e.ts_us <= {as_of}{since}"
        " JOIN bt_types y ON y.t = e.t"
    )
    store.execute(f"CREATE OR REPLACE TEMP VIEW bt_events AS {body}")


def replay_path(c: CompiledDefinition, *, first_sales: bool = False) -> str:
    """How :func:`replayed` replays ``c``: ``carried`` (counts carried from day to day), or
    ``pairs`` and why it cannot carry (each pair re-reads its lead's events); with
    ``first_sales``, ``entries`` where only a lead's event days are evaluated."""
    path = _path(c, first_sales=first_sales)
    if path == "carried":
        return path
    if path == "entries":
        return f"entries ({why_not(c)}; a lead's standing only falls between its events)"
    if path == "pruned":
        return (
            f"pruned ({why_not(c)}; evaluated only on the event days where the undecayed"
            " bound is in a sales tier)"
        )
    return f"pairs ({why_not(c)})"


def _path(
    c: CompiledDefinition,
    *,
    general: bool = False,
    first_sales: bool = False,
    details: bool = False,
) -> str:
    """``carried``, ``pruned``, ``entries`` or ``pairs``: which way :func:`replayed` replays
    ``c`` (``pruned`` keeps no rule's points: not with ``details``)."""
    if not general and why_not(c) is None:
        return "carried"
    if first_sales and not (general or details) and bound_why_not(c) is None:
        return "pruned"
    if first_sales and entries_why_not(c) is None:
        return "entries"
    return "pairs"


def _evaluate(
    store: Store,
    c: CompiledDefinition,
    grid: Grid,
    details: bool,
    *,
    carried: bool = False,
    totals: bool = False,
) -> None:
    """Run the plan over the pairs, a chunk of whole accounts at a time, into bt_states;
    ``carried``: the pairs hold their event counts (:func:`carry`), the plan reads those;
    ``totals``: bt_states holds each state's total (points) too."""
    select = _select(store, c, grid, details, carried=carried, totals=totals)
    kept = _kept(details, totals)
    extra = "".join(f", {name} {_KEPT_TYPES[name]}" for name in kept)
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE bt_states (ix BIGINT, k BIGINT, tier BIGINT{extra})"
    )
    _insert_states(store, select, grid, carried=carried, kept=kept)


#: The types of what ``bt_states`` keeps beside each state's tier (:func:`_kept`).
_KEPT_TYPES = {"contributions": "BIGINT[]", "total": "DOUBLE"}


def _kept(details: bool, totals: bool) -> list[str]:
    """What ``bt_states`` keeps beside each state's tier: each rule's points and the total
    with ``details``, the total alone with ``totals``, else nothing."""
    return ["contributions", "total"] if details else ["total"] if totals else []


def _select(
    store: Store,
    c: CompiledDefinition,
    grid: Grid,
    details: bool,
    *,
    carried: bool = False,
    totals: bool = False,
) -> str:
    """SQL: the plan over the views, each pair's ``lead_id`` and tier (and ``details``, or
    the ``totals``)."""
    from ..scoring.sql import store_select  # SQLGlot loads only here
    from ..scoring.steps import PlanBuilder

    builder = PlanBuilder(
        c,
        AsOf(grid.last_us),
        _columns(store, "bt_leads"),
        _columns(store, "bt_accounts"),
        TABLES,
        "duckdb",
    )
    if carried:
        builder.events = CarriedEvents(builder.events)
    plan = builder.query()
    select = f"SELECT lead_id, {n.TIER}, NULL AS contributions FROM ({plan}) plan"
    if totals and not details:  # the points alone: no list of them per (lead, day)
        select = (
            f"SELECT lead_id, {n.TIER}, CAST({n.TOTAL} AS DOUBLE) / 100 AS total FROM ({plan}) p"
        )
    if details:  # the scores' own columns, each rule's points among them
        tiers = " ".join(f"WHEN {lit(t.name, 'duckdb')} THEN {i}" for i, t in enumerate(c.tiers))
        tier = f"CASE tier {tiers} ELSE -1 END" if tiers else "-1"
        scores = store_select(c, plan, grid.last_us, details=True)
        select = f"SELECT lead_id, {tier} AS {n.TIER}, contributions, total FROM ({scores}) s"
    return select


def _insert_states(
    store: Store, select: str, grid: Grid, *, carried: bool = False, kept: Sequence[str] = ()
) -> None:
    """Append the states of ``bt_pairs_all`` to ``bt_states``, a chunk at a time, with the
    columns ``kept`` (:func:`_kept`) of ``select``."""
    total = int(store.scalar("SELECT count(*) FROM bt_pairs_all") or 0)
    chunks = max(1, -(-total // (CARRIED_CHUNK_PAIRS if carried else CHUNK_PAIRS)))
    group = "ix" if carried else "grp"  # carried pairs are whole leads; others whole accounts
    K = grid.count
    for chunk in range(chunks):
        # A view, not a copy: the plan reads each chunk's pairs where they are.
        store.execute(
            "CREATE OR REPLACE TEMP VIEW bt_pairs AS FROM bt_pairs_all"
            f" WHERE {group} % {chunks} = {chunk}"
        )
        store.execute(
            f"INSERT INTO bt_states SELECT r.lead_id // {K}, r.lead_id % {K}, r.{n.TIER}"
            f"{''.join(f', r.{name}' for name in kept)} FROM ({select}) r"
        )


def _columns(store: Store, view: str) -> dict[str, str]:
    rows = store.execute(f"DESCRIBE {view}").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}
