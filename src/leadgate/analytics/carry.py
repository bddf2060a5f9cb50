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
sum of +1/-1 over the lead's entries and exits ordered by day: O(events), not
O(events × days).

The plan then runs on one row per (lead, change day) with those counts in place of its
own event steps (:class:`CarriedEvents`): caps, signs, fit, floors, weights and tiers are
the plan's own SQL, so they agree with scoring by construction. The counts are integers:
no floating error accumulates over a year. A change day whose counts, each held to its
saturation (:mod:`leadgate.analytics.saturation`), equal the lead's day before is not
evaluated: the plan would read the same.

The running sums are computed in NumPy (:func:`_carry_part`), whole leads a part at a
time: each entry and exit is one int64 *item*, ``(lead, day, what it changes)``, so one
sort of the items groups them by (lead, day), and each count is one cumulative sum. In
DuckDB the same took a GROUP BY (lead, day) and a window sum per lead, 62 s of a 115 s
backtest at 1,000,000 leads (bench/README.md, session 9). A part read from the store is
summed in slices of its leads (:func:`_carry_sliced`): each pass writes a new array, and
arrays of a few MB are reused where ones of 40 MB were faulted in anew (session 10).

What does not carry (:func:`why_not`), and is replayed by the general path instead:

* a half-life: each event's decayed amount is rounded to a hundredth on its own
  (``FLOOR(cents * 0.5^(age / h) + 0.5)``, ``age`` in µs), so no carried sum reproduces the
  sum of the rounded parts exactly, and the score moves every day;
* ``days_since`` of an event (``last``) or of a date field: it moves every day;
* intent, engaged contacts and ``account.engagement``: they read other leads and signals.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pyarrow as pa

from ..definition.compile import CompiledDefinition
from ..scoring import names as n
from ..scoring.event_steps import EventSteps
from ..store import Store
from .saturation import saturations

if TYPE_CHECKING:
    from .replay import Grid

T = TypeVar("T")

#: Items (events' entries and exits, one per lead) read from the store in one part: bounds
#: the memory of a part's events (about 30 bytes an event while they are sliced) and the
#: reads of ``bt_ev`` (one a part, each a scan of its rows unless they are in lead order).
CARRY_ROWS = 8_000_000
#: Items sorted and summed at once, a slice of a part's leads. Each of the thirty-odd passes
#: over a part's items writes a new array; at 8M items (40 MB) each was a fresh mapping whose
#: pages the kernel faulted in and zeroed, most of the NumPy time. Arrays of a few MB are
#: reused from the allocator's heap and stay in cache: a third of the CPU an item
#: (bench/README.md, session 10).
SLICE_ROWS = 500_000
#: Threads summing a part's slices at once (:func:`in_slices`): the machine's cores, at most
#: four (each holds a slice's arrays, a few tens of MB).
SLICE_THREADS = min(4, os.cpu_count() or 1)
#: Column names of the carried counts in ``bt_pairs_all`` (rule i, aggregate j).
RULE = "carried_rule_{}"
AGGREGATE = "carried_agg_{}"
#: The column of a decaying rule's points, where the pairs carry them
#: (:mod:`leadgate.analytics.tight`: at least the definition's points that day).
POINTS = "carried_points_{}"


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


def counters(c: CompiledDefinition) -> list[tuple[str, tuple[str, ...] | None, int | None]]:
    """Each count the plan reads: (column, types or None for all, window µs or None)."""
    out: list[tuple[str, tuple[str, ...] | None, int | None]] = [
        (RULE.format(i), (r.type,), r.window_us) for i, r in enumerate(c.event_rules)
    ]
    for j, agg in enumerate(c.aggregates.values()):
        if agg.kind == "count":
            out.append((AGGREGATE.format(j), agg.types, agg.window_us))
    return out


def carried_columns(c: CompiledDefinition) -> list[str]:
    """The columns of carried pairs the plan reads: each count of :func:`counters`, then
    each decaying rule's points (:class:`CarriedEvents`)."""
    counts = [col for col, _, _ in counters(c)]
    return counts + [POINTS.format(i) for i, r in enumerate(c.event_rules) if r.half_life_us]


@dataclass(frozen=True)
class _Items:
    """What one item changes. An event's type is numbered (``names``; ``len(names)``: any
    other type, read only by a count of every type); an item's *payload* is ``tag ×
    (types + 1) + type``, tag 0 its entry and tag t the exit of ``windows[t - 1]``; the
    payload ``lead`` marks a lead's first day and changes nothing. ``deltas[payload]`` is
    what the item adds to each count."""

    names: list[str]
    every: bool  # some count reads every type
    windows: list[int]
    deltas: np.ndarray  # (payloads, counts) int8
    exits: np.ndarray  # (windows, types + 1) bool: whose exit of that window matters

    @classmethod
    def of(cls, counted: list[tuple[str, tuple[str, ...] | None, int | None]]) -> _Items:
        names = sorted({t for _, types, _ in counted if types for t in types})
        every = any(types is None for _, types, _ in counted)
        windows = sorted({w for _, _, w in counted if w is not None})
        kinds = len(names) + 1
        reads = np.array(
            [[types is None or (t < len(names) and names[t] in types) for t in range(kinds)]
             for _, types, _ in counted], dtype=bool,
        ).reshape(len(counted), kinds)  # fmt: skip
        deltas = np.zeros(((1 + len(windows)) * kinds + 1, len(counted)), dtype=np.int8)
        deltas[:kinds] = reads.T
        exits = np.zeros((len(windows), kinds), dtype=bool)
        for t, w in enumerate(windows):
            mine = np.array([cw == w for _, _, cw in counted], dtype=bool)
            leaving = reads & mine[:, None]
            deltas[(t + 1) * kinds : (t + 2) * kinds] = -leaving.T.astype(np.int8)
            exits[t] = leaving.any(axis=0)
        return cls(names, every, windows, deltas, exits)

    @property
    def lead(self) -> int:
        return len(self.deltas) - 1

    @property
    def bits(self) -> int:
        return self.lead.bit_length()

    def kinds(self, numbers: dict[str, int]) -> np.ndarray:
        """Each stored type number's kind (``numbers``: type -> number, ``bt_types``)."""
        kinds = np.full(max(numbers.values(), default=-1) + 1, len(self.names), np.int64)
        for kind, name in enumerate(self.names):
            if name in numbers:
                kinds[numbers[name]] = kind
        return kinds

    def where(self, numbers: dict[str, int]) -> str:
        """SQL: the events some count reads, by their type number."""
        if self.every:
            return "TRUE"
        read = sorted(numbers[x] for x in self.names if x in numbers)
        return f"t IN ({', '.join(map(str, read))})" if read else "FALSE"


def carry(
    store: Store,
    c: CompiledDefinition,
    grid: Grid,
    *,
    exact: bool = False,
) -> None:
    """``bt_pairs_all (ix, k, counts...)``: each lead's change days (its creation day
    and the days an event enters or leaves a window) with every count as of that day.
    Unless ``exact``, each count is held to its saturation and a day is kept only when a
    held count differs from the lead's day before. ``exact`` (a replay with details) holds
    nothing: the plan's per-rule counts and uncapped points are then scoring's own (what
    ``bt_states`` keeps, the capped points and the total, would be the same either way).
    ``leads``: SQL, the ``ix`` of the only leads carried (None: every lead); the others'
    events are not read.

    Reads ``bt_lead_ix``, ``bt_types`` and ``bt_ev``
    (:func:`leadgate.analytics.replay._index`)."""
    counted = counters(c)
    names = [col for col, _, _ in counted]
    items = _Items.of(counted)
    held = [None] * len(counted) if exact else saturations(c)
    ceiling = np.array([np.iinfo(np.int64).max if s is None else s for s in held], np.int64)
    # Counts and days as INTEGER: a million leads' windowed pairs take 0.45 GB, not 0.9.
    columns = "".join(f", {col} INTEGER" for col, _, _ in counted)
    store.execute(f"CREATE OR REPLACE TEMP TABLE bt_pairs_all (ix BIGINT, k INTEGER{columns})")
    kc = store.execute("SELECT kc FROM bt_lead_ix ORDER BY ix").fetchnumpy()["kc"]
    kc = np.asarray(kc, dtype=np.int64)
    numbers = {str(x): int(t) for x, t in store.execute("SELECT type, t FROM bt_types").fetchall()}
    kinds, where = items.kinds(numbers), items.where(numbers)
    events = int(store.scalar(f"SELECT count(*) FROM bt_ev WHERE {where}") or 0)
    parts = _parts(len(kc), events * (1 + len(items.windows)) + len(kc))

    def fetch(lo: int, hi: int) -> dict[str, np.ndarray]:
        return store.execute(
            f"SELECT (ix - {lo})::INTEGER AS ix, ts_us, t FROM bt_ev"
            f" WHERE ix >= {lo} AND ix < {hi} AND {where}"
        ).fetchnumpy()

    # The next part's events are read while this one's are summed (NumPy and DuckDB each
    # let go of the GIL); the connection is used by one thread at a time.
    with ThreadPoolExecutor(max_workers=1) as reader:
        coming = reader.submit(fetch, *parts[0]) if parts else None
        for p, (lo, hi) in enumerate(parts):
            assert coming is not None
            ev = coming.result()
            coming = reader.submit(fetch, *parts[p + 1]) if p + 1 < len(parts) else None
            ix, k, values = _carry_sliced(
                ev["ix"], ev["ts_us"], ev["t"], kinds, kc[lo:hi], grid, items, ceiling
            )
            if coming is not None:
                coming.result()  # wait: the insert below needs the connection
            ix += lo
            table = pa.table({"ix": ix, "k": k, **dict(zip(names, values, strict=True))})
            with store.registered("bt_carried_part", table):
                store.execute("INSERT INTO bt_pairs_all SELECT * FROM bt_carried_part")


def _parts(leads: int, total: int, size: int = CARRY_ROWS) -> list[tuple[int, int]]:
    """Lead ranges ``[lo, hi)`` of equal size, about ``size`` items each (from ``total``,
    the items of all): the leads' numbers carry no order of their events."""
    if leads == 0:
        return []
    count = min(leads, max(1, -(-total // size)))
    bounds = [leads * p // count for p in range(count + 1)]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _carry_sliced(
    ix: np.ndarray,
    ts: np.ndarray,
    t: np.ndarray,
    kinds: np.ndarray,
    kc: np.ndarray,
    grid: Grid,
    items: _Items,
    ceiling: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_carry_part` over slices of a part's leads, about :data:`SLICE_ROWS` items
    each, its rows in the same order (``t``: each event's type number, ``kinds`` their
    kinds). The events come in no lead order: a stable sort of each one's slice number
    (16 bits: a radix sort, linear) lists each slice's together, and each slice gathers
    its own (small arrays: the part's are read, never rewritten)."""
    leads = len(kc)
    spread = 1 + len(items.windows)  # items an event makes at most
    width = -(-leads // min(65_535, max(1, -(-(len(ix) * spread + leads) // SLICE_ROWS))))
    slice_of = (ix // width).astype(np.uint16)
    order = np.argsort(slice_of, kind="stable")
    ends = np.cumsum(np.bincount(slice_of, minlength=-(-leads // width)))
    del slice_of

    def one(s: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mine, lo = order[start:end], s * width  # slice s: leads lo .. lo + width - 1
        lead, day, values = _carry_part(
            ix[mine].astype(np.int64) - lo, ts[mine], kinds[t[mine]],
            kc[lo : lo + width], grid, items, ceiling,
        )  # fmt: skip
        return lead + lo, day, values

    leads_out, days_out, values_out = zip(*in_slices(one, ends), strict=True)
    return np.concatenate(leads_out), np.concatenate(days_out), np.concatenate(values_out, axis=1)


def in_slices(work: Callable[[int, int, int], T], ends: np.ndarray) -> list[T]:
    """``work(s, start, end)`` for each slice ``s`` of a part's items, ``ends`` the end of
    each (the next one's start), in that order, on :data:`SLICE_THREADS` threads: the
    slices are independent, and NumPy lets go of the GIL in its sorts, sums and gathers,
    so a second core sums one slice while the first sums another."""
    starts = np.append(0, ends[:-1])
    args = [(s, int(a), int(b)) for s, (a, b) in enumerate(zip(starts, ends, strict=True))]
    if SLICE_THREADS < 2 or len(args) < 2:
        return [work(*a) for a in args]
    with ThreadPoolExecutor(max_workers=SLICE_THREADS) as pool:
        return list(pool.map(lambda a: work(*a), args))


def _carry_part(
    ix: np.ndarray,
    ts: np.ndarray,
    kind: np.ndarray,
    kc: np.ndarray,
    grid: Grid,
    items: _Items,
    ceiling: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One slice's kept (lead, day) rows and their held counts (a row per count, int32),
    for the events ``ix, ts, kind`` of leads ``0 .. len(kc) - 1`` (numbered from the
    slice's first).

    Every item is ``((lead × days + day) << bits) | payload``; after one sort the items of
    a (lead, day) are together and in lead, then day, order. A count's value at the end
    of a (lead, day) is the cumulative sum of its deltas there, less the sum before the
    lead's first item (the lead's own marker, which every lead has)."""
    days, kinds = grid.count, len(items.names) + 1
    when = _Days(ts, grid)
    first = np.maximum(when.after(0), kc[ix])  # before the lead exists: its first day
    parts = [((ix * days + first) << items.bits) | kind]
    del first
    for t, window in enumerate(items.windows):
        leaves = np.flatnonzero(items.exits[t][kind])
        gone = when.after(window + 1, leaves)  # the first day past the window
        leaves = leaves[gone < days]  # an exit past the last day changes nothing replayed
        gone = gone[gone < days]
        lead = ix[leaves]
        day = np.maximum(gone, kc[lead])
        parts.append(((lead * days + day) << items.bits) | ((t + 1) * kinds + kind[leaves]))
    del when
    leads = np.arange(len(kc), dtype=np.int64)
    parts.append(((leads * days + kc) << items.bits) | items.lead)
    every = np.concatenate(parts)
    del parts  # a part's arrays are its memory: each is let go once read
    every.sort()
    key, payload = every >> items.bits, every & ((1 << items.bits) - 1)
    del every
    last = np.flatnonzero(np.append(key[1:] != key[:-1], True))  # each (lead, day)'s end
    starts = np.searchsorted(key, leads * days)  # each lead's first item: its marker or before
    groups = np.diff(np.append(np.searchsorted(last, starts), len(last)))
    lead = np.repeat(leads, groups)
    day = key[last] - lead * days
    del key
    values = _held(payload, last, starts, groups, items, ceiling, _bits(ix, len(kc)))
    keep = np.ones(len(last), dtype=bool)
    keep[1:] = lead[1:] != lead[:-1]
    for row in values:
        keep[1:] |= row[1:] != row[:-1]
    return lead[keep], day[keep].astype(np.int32), values[:, keep]


def _bits(ix: np.ndarray, leads: int) -> int:
    """The bits a count of one lead needs: those of its most events. Held as INTEGER."""
    bits = max(1, int(np.bincount(ix, minlength=leads).max(initial=0)).bit_length())
    if bits > 31:
        raise ValueError(f"a lead with 2^{bits - 1} events or more cannot be carried")
    return bits


def _held(
    payload: np.ndarray,
    last: np.ndarray,
    starts: np.ndarray,
    groups: np.ndarray,
    items: _Items,
    ceiling: np.ndarray,
    bits: int,
) -> np.ndarray:
    """Each count at the end of each (lead, day) (``last``: its last item), held to its
    ``ceiling``: a row per count. Several counts to an int64, ``bits`` each: one gather
    and one sum for them all. Each lead's difference is exact even where the sum over
    earlier leads wraps."""
    counts = items.deltas.shape[1]
    values = np.empty((counts, len(last)), dtype=np.int32)
    for members in _words(counts, bits):
        units = np.array([1 << (bits * j) for j in range(len(members))], dtype=np.int64)
        running = np.cumsum((items.deltas[:, members].astype(np.int64) @ units)[payload])
        before = running[np.maximum(starts - 1, 0)]
        before[starts == 0] = 0
        mine = running[last]
        del running
        mine -= np.repeat(before, groups)
        for j, i in enumerate(members):
            count = mine >> (bits * j)
            count &= (1 << bits) - 1
            np.minimum(count, ceiling[i], out=values[i], casting="unsafe")
    return values


def _words(counts: int, bits: int) -> list[list[int]]:
    """Counts packed into int64 words of ``bits`` each, 62 bits a word (the sign unused): a
    count never exceeds its lead's events, so ``bits`` (their most) holds it, and none
    borrows from its neighbour."""
    per = 62 // bits
    return [list(range(w * per, min(counts, (w + 1) * per))) for w in range(-(-counts // per))]


class _Days:
    """Grid days of event times from one division each: the first grid index whose instant
    is at or after ``ts + micros`` (0 if before; :meth:`Grid.first_at` in NumPy) for any
    ``micros``, an entry's (0) and each window's exit, without dividing again.

    With ``ts - (first instant - step + 1) = q × step + r`` (``0 <= r < step``) and
    ``micros = a × step + b``, that index is ``max(0, q + a + (r + b >= step))``: exact in
    integers, to the microsecond (an event on a day's last microsecond leaves a window of
    whole days a day later than one a microsecond earlier)."""

    def __init__(self, ts: np.ndarray, grid: Grid) -> None:
        self.step = grid.step_us
        self.q, self.r = np.divmod(ts - (grid.first_us - self.step + 1), self.step)

    def after(self, micros: int, which: np.ndarray | None = None) -> np.ndarray:
        """The day of ``ts + micros`` for the events ``which`` (all: None)."""
        a, b = divmod(micros, self.step)
        q, r = (self.q, self.r) if which is None else (self.q[which], self.r[which])
        day: np.ndarray = q + (r >= self.step - b)
        day += a
        np.maximum(day, 0, out=day)
        return day


class CarriedEvents(EventSteps):
    """The plan's event steps read from the carried counts, columns of the pairs being
    evaluated, instead of from the events: ``lead_values`` takes the same columns, with
    the same values, as from the pivot's ``event_totals`` (:meth:`EventSteps.pivot_totals`)
    and the join's. The counts are columns of the leads relation itself (``bt_leads``,
    one row a pair), so no ``event_totals`` is joined back to it: at a million leads that
    join built a hash table of every pair (12.7M rows for ``windowed``). A rule with a
    half-life reads its points from a column too (``POINTS``): carried only for the tight
    bound (:mod:`leadgate.analytics.tight`), whose points there are at least its own."""

    def __init__(self, base: EventSteps) -> None:
        super().__init__(base.c, base.when, base.tables, base.dialect)

    def ctes(self) -> dict[str, str | None]:
        return {}

    def lead_columns(self, raw: str = n.ENGAGEMENT_RAW) -> tuple[list[str], list[str]]:
        cols, capped = [], []
        for i, rule in enumerate(self.c.event_rules):
            count = f"l.{RULE.format(i)}::BIGINT"
            points = f"l.{POINTS.format(i)}" if rule.half_life_us else f"{rule.cents} * {count}"
            cols += [f"{points} AS {n.event_points(i)}", f"{count} AS {n.event_count(i)}"]
            capped.append(self.capped(points, rule.cents, rule.cap_cents))
        if capped:
            cols.insert(0, f"{' + '.join(capped)} AS {raw}")
        for j, _ in self.aggregates:
            cols.append(f"l.{AGGREGATE.format(j)}::BIGINT AS {n.aggregate(j)}")
        return cols, []
