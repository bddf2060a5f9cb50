"""The bound of a decaying definition, tightened, on the days a lead may enter a sales tier.

Why: the undecayed bound (:func:`leadgate.analytics.bound.upper_bound`) counts every event
at its full points for its whole window. At 1,000,000 leads (``decayed`` in
``bench_backtest.py``) it put 147,505 leads in a sales tier on some entry day, 4.5M
candidate days, and the definition confirmed 87,144 of them: 1.25M evaluations of the
definition's plan went to leads it never confirmed, and the bound's replay carried every
change day of 449,512 leads, exits of windows too (bench/README.md, session 12).

**The bound.** :func:`leadgate.analytics.bound.tight_bound` keeps each positive decaying
rule's half-life; its plan reads that rule's points from a column (``POINTS``) holding,
for a (lead, day), at least the definition's own points there. The plan adds, per event
inside the rule's window, ``a = floor(x + 0.5)`` with ``x = cents × 0.5^(age / h)``
(``age``: the day's as-of instant less the event's time), so ``a <= x + 0.5`` and the
rule's sum is at most ``Σx + n / 2`` (``n`` the events counted), and at most ``cents × n``
(``x <= cents``). ``Σx`` carries: with any fixed instant ``T``, ``x = w × 2^(-(as-of -
T) / h)`` and ``w = cents × 2^((ts - T) / h)``, so it is a difference of two running
sums of ``w`` over the lead's events in time order, times one factor for the day. The
``w`` are integers (in ``1 / SCALE`` hundredths, rounded up), so the running sums are
exact: int64, where a sum past 2^63 wraps and a lead's difference is still exact while
it stays under 2^62 (checked: a slice's events times its largest weight under 2^62, else the
rule counts ``cents × n``). Doubles enter twice
(``w`` and the day's factor), each with a relative error of a few units in the last
place, as DuckDB's ``POWER`` in ``x``; :data:`SLACK` (1e-9) is a million times that. With
points at least the definition's and every other count exact, the bound's plan is in a
sales tier wherever the definition is (the monotone argument of
:mod:`leadgate.analytics.bound`, 2 and 3), and where :func:`bound.none_follows`, in no
tier only where the definition is in none.

**The days.** Only those a backtest reads of it (:mod:`leadgate.analytics.pruned`): each
lead's entry days (its first day, its events' days, every day in the reach of an event of
:func:`leadgate.analytics.entries.raising_types`), on which its first sales day lies, and
the last day. Between two entry days the definition only falls, so its tier on the last
day is settled by the bound's there, and its first sales day is an entry day on which the
bound is in a sales tier. Each count at a (lead, day): with the lead's events in time
order, their entry days and each window's exit days do not decrease, so the events
entered by a day are a prefix of the lead's and those that left are a prefix of those;
a count is a difference of running sums at two positions, each found by one binary
search of the (lead, day) keys. No item per exit, no sort of them: the carry's three
items an event (:mod:`leadgate.analytics.carry`) are for every change day, not asked here.
Of those rows only the ones :mod:`leadgate.analytics.sieve` admits (a sales tier's counts
and engagement may hold there) and the last day reach the plan: at 1,000,000 leads 2.9M
of 15.2M (bench/README.md, session 14).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..definition.compile import CompiledDefinition
from ..store import Store
from .carry import POINTS, SLICE_ROWS, _Days, _Items, _parts, counters, in_slices
from .entries import raising_types
from .replay import Grid, Reach, _insert_states, _select, _views
from .sieve import Sieve

#: Events read from the store in one part: each makes about one (lead, day) row of a dozen
#: columns, held in NumPy and in DuckDB until the part is evaluated (at 8M, as the carry's
#: parts, the process peaked at 4.1 GiB at 1,000,000 leads).
PART_EVENTS = 4_000_000
#: Each decayed event's weight in ``1 / SCALE`` hundredths, rounded up: at most
#: ``1 / SCALE`` of a hundredth more an event.
SCALE = 2**10
#: The relative error the doubles of ``Σx`` may carry (a few units in the last place: 1e-15).
SLACK = 1e-9
#: More half-lives than this from the first day to the last, and a slice's weights may pass
#: int64: that rule's points are then counted undecayed (``cents × n``), as where its
#: events times its largest weight could.
TOO_FAR = 30


@dataclass(frozen=True)
class _Decayed:
    """A rule of the tight bound whose points are summed decayed: its index (of its
    count in ``counters`` too), its points in hundredths, its half-life and its window."""

    index: int
    cents: int
    half_life: int
    window: int | None


def tight_states(store: Store, tight: CompiledDefinition, c: CompiledDefinition, grid: Grid,
                 leads: str | None) -> str:  # fmt: skip
    """``bt_states (ix, k, tier)``: the tier of ``tight`` (:func:`bound.tight_bound` of
    ``c``) on each entry day and the last day of the leads ``leads`` (SQL, their ``ix``;
    None: every lead), and SQL, its plan over carried pairs. Its pairs (``bt_pairs_all
    (ix, k, counts..., points...)``: the counts of
    :func:`leadgate.analytics.carry.counters` and each decaying rule's points held above
    ``c``'s, the module's docstring) are evaluated a part of the leads at a time and let
    go: at 1,000,000 leads, 15M pairs would hold a GB."""
    counted = counters(tight)
    items = _Items.of(counted)
    rules = [
        _Decayed(i, r.cents, r.half_life_us, r.window_us)
        for i, r in enumerate(tight.event_rules)
        if r.half_life_us
    ]
    columns = "".join(f", {col} INTEGER" for col, _, _ in counted)
    columns += "".join(f", {POINTS.format(r.index)} BIGINT" for r in rules)
    store.execute(f"CREATE OR REPLACE TEMP TABLE bt_pairs_all (ix BIGINT, k INTEGER{columns})")
    _views(store, tight, grid, carried=True, lead_rows=leads is None)
    select = _select(store, tight, grid, False, carried=True)
    store.execute("CREATE OR REPLACE TEMP TABLE bt_states (ix BIGINT, k BIGINT, tier BIGINT)")
    kc = store.execute("SELECT kc FROM bt_lead_ix ORDER BY ix").fetchnumpy()["kc"]
    kc = np.asarray(kc, dtype=np.int64)
    codes, where = _codes(store, items, c)
    wanted = np.ones(len(kc), dtype=bool)
    if leads is not None:
        wanted[:] = False
        wanted[np.asarray(store.execute(leads).fetchnumpy()["ix"], np.int64)] = True
        where += f" AND ix IN ({leads})"
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_ev_carried AS"
        f" SELECT ix, ts_us, t FROM bt_ev WHERE {where}"
    )
    events = int(store.scalar("SELECT count(*) FROM bt_ev_carried") or 0)
    parts = _parts(len(kc), events + len(kc), PART_EVENTS)
    days = _Query(
        grid, items, counted, rules, codes, len(items.names) + 1, Reach.of(c).events,
        Sieve.of(tight),
    )  # fmt: skip

    def fetch(lo: int, hi: int) -> dict[str, np.ndarray]:
        return store.execute(
            f"SELECT (ix - {lo})::INTEGER AS ix, ts_us, t FROM bt_ev_carried"
            f" WHERE ix >= {lo} AND ix < {hi}"
        ).fetchnumpy()

    names = [col for col, _, _ in counted] + [POINTS.format(r.index) for r in rules]
    # The next part's events are read while this one's are counted.
    with ThreadPoolExecutor(max_workers=1) as reader:
        coming = reader.submit(fetch, *parts[0]) if parts else None
        for p, (lo, hi) in enumerate(parts):
            assert coming is not None
            ev = coming.result()
            coming = reader.submit(fetch, *parts[p + 1]) if p + 1 < len(parts) else None
            slices = days.sliced(ev["ix"], ev["ts_us"], ev["t"], kc[lo:hi], wanted[lo:hi])
            if coming is not None:
                coming.result()  # wait: the insert below needs the connection
            table = pa.Table.from_batches(  # each slice's arrays as they are: no copy
                pa.record_batch([ix + lo, k, *values], names=["ix", "k", *names])
                for ix, k, values in slices
            )
            with store.registered("bt_tight_part", table):
                store.execute("INSERT INTO bt_pairs_all SELECT * FROM bt_tight_part")
            _insert_states(store, select, grid, carried=True)
            store.execute("DELETE FROM bt_pairs_all")
    store.execute("DROP TABLE IF EXISTS temp.bt_ev_carried")
    return select


def _codes(store: Store, items: _Items, c: CompiledDefinition) -> tuple[np.ndarray, str]:
    """Each stored type number's code, its kind (:meth:`_Items.kinds`) plus the kinds'
    number where its events raise ``c``'s score as they age (:func:`raising_types`), and
    SQL, the events that matter: those a count reads and those that raise."""
    numbers = {str(x): int(t) for x, t in store.execute("SELECT type, t FROM bt_types").fetchall()}
    kinds = items.kinds(numbers)
    raising = np.zeros(len(kinds), dtype=bool)
    raising[[numbers[x] for x in raising_types(c) if x in numbers]] = True
    where = items.where(numbers)
    if raising.any():
        where = f"({where} OR t IN ({', '.join(map(str, np.flatnonzero(raising)))}))"
    return kinds + raising * (len(items.names) + 1), where


@dataclass(frozen=True)
class _Query:
    """What :func:`tight_states` asks of one part's events: its days and their values."""

    grid: Grid
    items: _Items
    counted: list[tuple[str, tuple[str, ...] | None, int | None]]
    rules: list[_Decayed]
    #: Each type number's code: its kind (:meth:`_Items.kinds`), plus ``kinds`` where its
    #: events raise the score as they age (:func:`raising_types`).
    codes: np.ndarray
    kinds: int
    reach: int | None  # how long after an event its lead's score may change
    #: The rows kept: where a sales tier may hold, and the last day (None: every row).
    sieve: Sieve | None = None

    def sliced(
        self, ix: np.ndarray, ts: np.ndarray, t: np.ndarray, kc: np.ndarray, wanted: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray, list[np.ndarray]]]:
        """:meth:`rows` over slices of a part's leads, about :data:`SLICE_ROWS` events each
        (as the carry's, :mod:`leadgate.analytics.carry`: arrays of a few MB are reused
        from the heap, where a part's were faulted in anew). Each slice's events are put
        in (lead, time) order by one sort of int64 keys, ``lead | time | code``: DuckDB's
        ``ORDER BY`` took 2 s of CPU for 22M events at 1,000,000 leads, NumPy's sort of
        the keys a tenth of that. A time before :meth:`origin` is read as the origin: the
        event is then in no window on any day, and a decaying rule with no window counts
        it a little later (more points: still at least the definition's)."""
        origin = self.origin()
        time_bits = int(self.grid.last_us - origin).bit_length()
        code_bits = int(2 * self.kinds - 1).bit_length()
        lead_bits = 63 - time_bits - code_bits
        if lead_bits < 8:
            raise ValueError("a backtest of more than a hundred years cannot be pruned")
        leads = len(kc)
        count = max(1, -(-len(ix) // SLICE_ROWS), -(-leads >> lead_bits))
        width = -(-leads // count)
        slice_of = (ix // width).astype(np.uint16)
        order = np.argsort(slice_of, kind="stable")  # 16 bits: a radix sort
        ends = np.cumsum(np.bincount(slice_of, minlength=count))
        code = self.codes[t]

        def one(s: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
            mine, lo = order[start:end], s * width
            key = (ix[mine].astype(np.int64) - lo) << (time_bits + code_bits)
            key |= (np.maximum(ts[mine], origin) - origin) << code_bits
            key |= code[mine]
            key.sort()
            when = ((key >> code_bits) & ((1 << time_bits) - 1)) + origin
            rows = self.rows(
                key >> (time_bits + code_bits), when, key & ((1 << code_bits) - 1),
                kc[lo : lo + width], wanted[lo : lo + width],
            )  # fmt: skip
            return rows[0] + lo, rows[1], rows[2]

        return in_slices(one, ends)

    def origin(self) -> int:
        """The earliest time kept: one in no window on the first day, nor on any later."""
        windows = [w for _, _, w in self.counted if w is not None]
        return self.grid.first_us - self.grid.step_us - max(windows, default=0) - 1

    def rows(
        self, ix: np.ndarray, ts: np.ndarray, code: np.ndarray, kc: np.ndarray, wanted: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """The (lead, day) rows of leads ``0 .. len(kc) - 1`` (the ``wanted`` ones), for
        their events ``ix, ts, code`` in (lead, time) order: each day's counts, then each
        decaying rule's points."""
        K, width = self.grid.count, self.grid.count + 1
        when, lead = _Days(ts, self.grid), ix.astype(np.int64)
        base = lead * width
        entered = base + np.maximum(when.after(0), kc[lead])  # keys: lead × width + day
        kind, raising = code % self.kinds, code >= self.kinds
        keys = self.days(entered, base, when, raising, kc, wanted)
        q_lead = keys // width
        day = keys - q_lead * width
        ends = np.searchsorted(entered, keys, "right")  # the events entered by then
        gone = {  # the events that left each window by then (a day past K: never)
            w: np.searchsorted(base + np.minimum(when.after(w + 1), K), keys, "right")
            for w in self.items.windows
        }
        windows = [w for _, _, w in self.counted]
        starts = np.searchsorted(entered, q_lead * width, "left") if None in windows else ends
        firsts = [starts if w is None else gone[w] for w in windows]
        counts = []
        for i, first in enumerate(firsts):
            running = np.concatenate(([0], np.cumsum(self.items.deltas[kind, i], dtype=np.int64)))
            counts.append(running[ends] - running[first])
        if self.sieve is not None:  # decaying rules at cents × count first: no points yet
            kept = np.flatnonzero(self.sieve.passes(len(day), counts, {}) | (day == K - 1))
            q_lead, day, ends = q_lead[kept], day[kept], ends[kept]
            firsts, counts = [f[kept] for f in firsts], [n[kept] for n in counts]
        points = {}
        for r in self.rules:
            flag = self.items.deltas[kind, r.index].astype(bool)
            points[r.index] = self.points(r, ts, flag, ends, firsts[r.index], day, counts[r.index])
        if self.sieve is not None and points:  # then at the tight bound's points
            kept = np.flatnonzero(self.sieve.passes(len(day), counts, points) | (day == K - 1))
            q_lead, day = q_lead[kept], day[kept]
            counts = [n[kept] for n in counts]
            points = {i: p[kept] for i, p in points.items()}
        values = [n.astype(np.int32) for n in counts] + [points[r.index] for r in self.rules]
        return q_lead, day.astype(np.int32), values

    def days(
        self,
        entered: np.ndarray,
        base: np.ndarray,
        when: _Days,
        rising: np.ndarray,
        kc: np.ndarray,
        wanted: np.ndarray,
    ) -> np.ndarray:
        """Sorted keys ``lead × width + day`` of each wanted lead's entry days (its first,
        its events', each day in the reach of a raising event) and of its last day."""
        K, width = self.grid.count, self.grid.count + 1
        leads = np.flatnonzero(wanted).astype(np.int64)
        parts = [entered, leads * width + kc[leads], leads * width + K - 1]
        raising = np.flatnonzero(rising)
        if len(raising):
            lo = entered[raising]  # k_range's days, from the lead's first day
            reach = when.after(self.reach + 1 if self.reach else 0, raising)
            hi = base[raising] + (K - 1 if self.reach is None else np.minimum(reach, K - 1))
            sizes = np.maximum(hi - lo + 1, 0)
            step = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            parts.append(np.repeat(lo, sizes) + step)
        keys = np.concatenate(parts)
        # Without raising days the parts are three sorted runs: a merge (Timsort finds the
        # runs), not a sort of 15M keys at 1,000,000 leads.
        keys.sort(kind="stable" if len(parts) == 3 else None)
        new = np.ones(len(keys), dtype=bool)  # not the key before
        new[1:] = keys[1:] != keys[:-1]
        distinct: np.ndarray = keys[new]
        return distinct

    def points(
        self,
        r: _Decayed,
        ts: np.ndarray,
        flag: np.ndarray,
        ends: np.ndarray,
        first: np.ndarray,
        day: np.ndarray,
        count: np.ndarray,
    ) -> np.ndarray:
        """Rule ``r``'s points on each day, at least the definition's: ``Σx + n / 2``
        (the module's docstring), and at most ``cents × n``."""
        undecayed = r.cents * count
        grid = self.grid
        origin = grid.first_us - grid.step_us  # T: no day's factor above 1
        top = (grid.last_us - origin) / r.half_life  # the largest weight's exponent
        if top > TOO_FAR or len(ts) * (r.cents * 2.0**top * SCALE + 1) >= 2.0**62:
            return undecayed  # a lead's sum of weights could pass int64
        exact = np.zeros(len(ts))
        exact[flag] = np.ceil(r.cents * np.exp2((ts[flag] - origin) / r.half_life) * SCALE)
        weight = exact.astype(np.int64)
        running = np.concatenate(([0], np.cumsum(weight)))
        summed = (running[ends] - running[first]).astype(np.float64)
        as_of = grid.first_us + np.arange(grid.count) * grid.step_us
        factor = np.exp2(-(as_of - origin) / r.half_life) * ((1 + SLACK) / SCALE)  # each day's
        summed *= factor[day]
        held: np.ndarray = np.minimum(np.floor(summed + count / 2), undecayed).astype(np.int64)
        return held
