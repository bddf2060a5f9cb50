"""The replay's fast path: carry each lead's event counts from day to day.

Why: the general replay (:mod:`leadgate.analytics.replay`) evaluates the scoring plan on
every (lead, day) pair where something may change, and each pair re-reads every event of
its lead inside its look-back: a lead with 40 events over a year is read about 40 × 20
times, quadratic in its events (bench/README.md: 74 s of a 121 s backtest at 1,000,000
leads).

Without decay, without ``days_since`` and without the account, every number the plan takes
from events is a count of events of some types inside a window (a rule's points are its
count times its amount, capped; ``count(...)`` and ``has(...)`` are counts). A count
changes only on the day an event enters (its own day) and on the day it leaves (the first
day more than the window after it). So each count's value on each change day is a running
sum of +1/-1 over the lead's entries and exits ordered by day: one window function over
the events and their exits, O(events), instead of O(events × days).

The plan then runs on one row per (lead, change day) with those counts in place of its
own event steps (:class:`CarriedEvents`): caps, signs, fit, floors, weights and tiers are
the plan's own SQL, so they agree with scoring by construction. The counts are integers:
no floating error accumulates over a year.

What does not carry (:func:`why_not`), and is replayed by the general path instead:

* a half-life: each event's decayed amount is rounded to a hundredth on its own
  (``FLOOR(cents * 0.5^(age / h) + 0.5)``), so no carried sum reproduces the sum of the
  rounded parts exactly, and the score moves every day;
* ``days_since`` of an event (``last``) or of a date field: it moves every day;
* intent, engaged contacts and ``account.engagement``: they read other leads and signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..definition.compile import CompiledDefinition
from ..scoring import names as n
from ..scoring.event_steps import EventSteps, in_list, lit
from ..store import Store

if TYPE_CHECKING:
    from .replay import Grid

#: Event rows (entries and exits) carried in one query: bounds its sort's memory.
CARRY_ROWS = 25_000_000
#: Column names of the carried counts in ``bt_pairs_all`` (rule i, aggregate j).
RULE = "carried_rule_{}"
AGGREGATE = "carried_agg_{}"


def why_not(c: CompiledDefinition) -> str | None:
    """Why ``c`` cannot be replayed by carrying counts (None: it can)."""
    if any(r.half_life_us for r in c.event_rules):
        return "a half-life decays the score every day"
    kinds = {a.kind for a in c.aggregates.values()}
    if "last" in kinds:
        return "days_since of an event moves every day"
    if any(c.fields[f] == "date" for f in c.fields_used):
        return "a date field moves every day"
    if kinds & {"intent", "contacts"} or c.uses_rollup:
        return "it reads the account (intent, engaged contacts or account.engagement)"
    return None


def _counters(c: CompiledDefinition) -> list[tuple[str, tuple[str, ...] | None, int | None]]:
    """Each count the plan reads: (column, types or None for all, window µs or None)."""
    out: list[tuple[str, tuple[str, ...] | None, int | None]] = [
        (RULE.format(i), (r.type,), r.window_us) for i, r in enumerate(c.event_rules)
    ]
    for j, agg in enumerate(c.aggregates.values()):
        if agg.kind == "count":
            out.append((AGGREGATE.format(j), agg.types, agg.window_us))
    return out


def carry(store: Store, c: CompiledDefinition, grid: Grid) -> None:
    """``bt_pairs_all (ix, k, grp, counts...)``: each lead's change days (its creation day
    and the days an event enters or leaves a window) with every count as of that day.

    Reads ``bt_lead_ix`` and ``bt_ev`` (:func:`leadgate.analytics.replay._index`).

    The counts travel packed, several to a BIGINT (:class:`_Packing`): each event row adds
    one number (its entry or exit for every count it belongs to), each (lead, day) one sum,
    and each lead one running sum per word. A window aggregate per count cost 0.3 s per
    million rows each (DuckDB 2.0: 1.8 s for the six of ``windowed`` at 20,000 leads)."""
    counters = _counters(c)
    windows = sorted({w for _, _, w in counters if w is not None})
    tag = {w: t + 1 for t, w in enumerate(windows)}  # 0: an entry; t: an exit of window t
    most, events = store.execute(
        "SELECT coalesce(max(n), 0), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM bt_ev"
        " GROUP BY ix)"
    ).fetchone() or (0, 0)
    pack = _Packing(len(counters), int(most))
    # Whole leads a part at a time: one sort of every event row spilled at 1,000,000 leads
    # and 50M events with two windows (166 s; bench/README.md).
    parts = max(1, -(-int(events) * (1 + len(windows)) // CARRY_ROWS))

    def of_types(types: list[tuple[str, ...] | None]) -> str:
        if not types or any(t is None for t in types):
            return ""
        return f" AND type IN {in_list(sorted({x for t in types if t for x in t}), 'duckdb')}"

    def code(t: int) -> list[str]:
        """Per word, SQL: what one event row of tag ``t`` adds (by its type)."""
        chosen = [(i, types) for i, (_, types, w) in enumerate(counters)
                  if t == 0 or (w is not None and tag[w] == t)]  # fmt: skip
        return [pack.code(word, chosen, 1 if t == 0 else -1) for word in range(pack.words)]

    def row(k: str, t: int, where: str) -> str:
        words = "".join(f", ({x})::BIGINT AS w{j}" for j, x in enumerate(code(t)))
        return f"SELECT ix, {k} AS k{words} FROM bt_ev WHERE {where} AND {{part}}"

    # Entries on the event's day; exits on the first day past each window (none past the
    # grid). Only the types some count reads.
    rows = [row(grid.first_at("ts_us"), 0, f"TRUE{of_types([t for _, t, _ in counters])}")]
    for w in windows:
        k = grid.first_at(f"ts_us + {w + 1}")
        types = [t for _, t, cw in counters if cw == w]
        rows.append(row(k, tag[w], f"{k} < {grid.count}{of_types(types)}"))
    # The lead's first day is a change day, whatever its events.
    zeros = "".join(f", 0::BIGINT AS w{j}" for j in range(pack.words))
    rows.append(f"SELECT ix, kc AS k{zeros} FROM bt_lead_ix WHERE {{part}}")
    sums = "".join(f", SUM(w{j})::BIGINT AS w{j}" for j in range(pack.words))
    running = "".join(
        f", SUM(w{j}) OVER (PARTITION BY ix ORDER BY k ROWS UNBOUNDED PRECEDING)::BIGINT AS w{j}"
        for j in range(pack.words)
    )  # one row per (lead, day): ROWS is RANGE; integers: the running sums are exact
    unpacked = "".join(f", {pack.unpack(i)} AS {col}" for i, (col, _, _) in enumerate(counters))
    # Changes before a lead exists show on its first day (kc).
    query = f"""
        WITH d AS ({" UNION ALL ".join(rows)}),
        days AS (SELECT d.ix, greatest(d.k, i.kc) AS k{sums}
                 FROM d JOIN bt_lead_ix i USING (ix) GROUP BY ALL),
        run AS (SELECT ix, k{running} FROM days)
        SELECT ix, k, ix AS grp{unpacked} FROM run
        """
    for part in range(parts):
        chosen = query.replace("{part}", f"ix % {parts} = {part}")
        into = (
            "CREATE OR REPLACE TEMP TABLE bt_pairs_all AS"
            if part == 0
            else ("INSERT INTO bt_pairs_all")
        )
        store.execute(f"{into} {chosen}")


class _Packing:
    """Counts packed into BIGINTs: ``bits`` each, as many to a word as fit in 62 bits (the
    sign bit unused). A count never exceeds its lead's events (``most``), so ``bits`` holds
    it, and a running sum of packed entries and exits is the packed running counts: each
    count stays within its own bits, none borrows from its neighbour."""

    def __init__(self, counters: int, most: int) -> None:
        self.bits = max(1, most.bit_length())
        if self.bits > 62:
            raise ValueError(f"a lead with {most} events cannot be counted in a BIGINT")
        self.per_word = 62 // self.bits
        self.words = -(-counters // self.per_word)

    def word(self, i: int) -> int:
        return i // self.per_word

    def unit(self, i: int) -> int:
        return 1 << (self.bits * (i % self.per_word))

    def code(self, word: int, chosen: list[tuple[int, tuple[str, ...] | None]], sign: int) -> str:
        """SQL: what an event adds to ``word``, by its type: ``sign`` times the unit of each
        ``chosen`` count (index, its types; None: every type) in that word that reads it."""
        mine = [(i, types) for i, types in chosen if self.word(i) == word]

        def value(kind: str | None) -> int:
            return sign * sum(self.unit(i) for i, types in mine if types is None or kind in types)

        named = sorted({x for _, types in mine if types for x in types})
        whens = "".join(f" WHEN {lit(x, 'duckdb')} THEN {value(x)}"
                        for x in named if value(x) != value(None))  # fmt: skip
        return f"CASE type{whens} ELSE {value(None)} END" if whens else str(value(None))

    def unpack(self, i: int) -> str:
        shift, mask = self.bits * (i % self.per_word), (1 << self.bits) - 1
        return f"((w{self.word(i)} >> {shift}) & {mask})::BIGINT"


class CarriedEvents(EventSteps):
    """The plan's event steps read from the carried counts of the pairs being evaluated
    (``bt_pairs``) instead of from the events: ``event_totals`` with the same columns and
    values as the pivot's (:meth:`EventSteps.pivot_totals`) and the join's."""

    def __init__(self, base: EventSteps, days: int) -> None:
        super().__init__(base.c, base.when, base.tables, base.dialect)
        self.days = days  # the grid's: a pair's lead_id is ix * days + k

    def ctes(self) -> dict[str, str | None]:
        c, K = self.c, self.days
        if not c.event_rules and not self.aggregates:
            return {}
        cols, capped = [], []
        for i, rule in enumerate(c.event_rules):
            count = RULE.format(i)
            cols.append(f"{count} AS {n.event_count(i)}")
            cols.append(f"{rule.cents} * {count} AS {n.event_points(i)}")
            capped.append(self.capped(f"{rule.cents} * {count}", rule.cents, rule.cap_cents))
        if capped:
            cols.append(f"{' + '.join(capped)} AS {n.ENGAGEMENT_RAW}")
        for j, _ in self.aggregates:
            cols.append(f"{AGGREGATE.format(j)} AS {n.aggregate(j)}")
        return {"event_totals": f"SELECT ix * {K} + k AS lead_id, {', '.join(cols)} FROM bt_pairs"}
