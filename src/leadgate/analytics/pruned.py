"""A backtest's replay of a decaying definition, its plan run only where it may matter.

Why: the entries path (:mod:`leadgate.analytics.entries`) evaluates a decaying definition
on every day that brings a lead something new, each pair re-reading its look-back: 33.8M
pairs and 96 times one scoring at 1,000,000 leads (bench/README.md). A backtest reads two
things of each lead: its first sales-tier day and its tier on the last day.

The first sales day is one of the lead's entry days (:mod:`leadgate.analytics.entries`),
and on it the tight bound (:mod:`leadgate.analytics.tight`: the undecayed bound of
:mod:`leadgate.analytics.bound` with each decaying rule's points held to at most half a
hundredth an event above the decayed sum) is in a sales tier too. So it is the first of
the *candidates*, the entry days on which the tight bound is in a sales tier, on which
the definition's own plan finds a sales tier. The tight bound is evaluated on the entry
days and the last day of the leads the undecayed bound puts in a sales tier on their best
day (:func:`leadgate.analytics.bound.best_counts`: 45 % of them at 1,000,000 leads, those
a sales tier's fit admits); the others are in none on any day, and only their last day is
counted. The candidates are evaluated in rounds, each lead's first one, then its next
two, next four, ..., only for leads not yet found in a sales tier: a lead found at its
j-th candidate costs at most 2j + 1 evaluations, and one never found costs all of its
candidates (each must be shown not to be a sales day; with the tight bound, few are: at
1,000,000 leads the pairs fell from 2,396,630 to 1,087,134, bench/README.md, session 13).
The last day is evaluated for every lead, except those the bound puts in no tier when
that says the definition does too (:func:`bound.none_follows`): they hold no tier on it,
written without running the plan.

``bt_states`` then holds the definition's own tier on each pair evaluated (the rounds'
and the last day's) and the inferred last days: each lead's first sales day and last tier
are those of the every-day replay (``tests/analytics/test_bound.py``), not every day's
tier in between.
"""

from __future__ import annotations

from collections.abc import Callable

from ..definition.compile import CompiledDefinition
from ..store import Store
from .bound import best_counts, none_follows, tight_bound, upper_bound
from .carry import RULE, counters
from .replay import Grid, _evaluate, _events_view, _insert_states, _select, _views
from .tight import tight_states

#: Each round takes this many times the candidates of the one before (1, 2, 4, ...): the
#: evaluations of a lead found at its j-th candidate stay under twice j.
GROWTH = 2


def replay_pruned(
    store: Store, c: CompiledDefinition, grid: Grid, lap: Callable[[str], None]
) -> None:
    """``bt_states`` for a backtest of ``c`` (:mod:`leadgate.analytics.bound` allows it),
    from ``_index``'s tables; ``lap(phase)`` after the bound and after the candidates."""
    tight, sales = tight_bound(c), _sales(c)
    hopeful = _best_days(store, upper_bound(c), grid, sales)
    # The bound changes event rules only: it reads the definition's lead fields, read once.
    select = tight_states(store, tight, c, grid, hopeful)
    if hopeful is not None:
        _last_counts(store, tight, grid, hopeful)
        _insert_states(store, select, grid, carried=True)
    lap("bound")
    _candidates(store, grid, sales)
    lap("candidates")
    _views(store, c, grid, lead_rows=False)
    select = _select(store, c, grid, False)
    store.execute("CREATE OR REPLACE TEMP TABLE bt_states (ix BIGINT, k BIGINT, tier BIGINT)")
    _last_day(store, c, grid)
    _rounds(store, c, select, grid, sales)
    lap("evaluate")


def _sales(c: CompiledDefinition) -> str:
    """SQL: the sales tiers' numbers, a list for ``IN``."""
    return ", ".join(str(i) for i, t in enumerate(c.tiers) if t.sales) or "-2"


def _best_days(store: Store, bound: CompiledDefinition, grid: Grid, sales: str) -> str | None:
    """``bt_best (ix, tier)``: each lead's tier under the bound on its best day
    (:func:`bound.best_counts`), and SQL, the ``ix`` of the leads in a sales tier there:
    the only ones whose days the bound's replay carries (None: every lead, when a count
    has no best value). At 1,000,000 leads, those a sales tier's fit admits: 45 %."""
    best = best_counts(bound)
    if best is None:
        store.execute("CREATE OR REPLACE TEMP TABLE bt_best (ix BIGINT, tier BIGINT)")
        return None
    columns = [col for col, _, _ in counters(bound)]
    counts = "".join(f", {v}::INTEGER AS {col}" for v, col in zip(best, columns, strict=True))
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_pairs_all AS"
        f" SELECT ix, {grid.count - 1}::INTEGER AS k{counts} FROM bt_lead_ix"
    )
    _views(store, bound, grid, carried=True)
    _evaluate(store, bound, grid, False, carried=True)
    store.execute("CREATE OR REPLACE TEMP TABLE bt_best AS SELECT ix, tier FROM bt_states")
    return f"SELECT ix FROM bt_best WHERE tier IN ({sales})"


def _last_counts(store: Store, tight: CompiledDefinition, grid: Grid, hopeful: str) -> None:
    """Append to ``bt_pairs_all`` the last day of each lead not in ``hopeful``, with its
    counts that day (its events inside each count's window: an event counts from its
    instant to ``window`` after it) and each decaying rule's points undecayed (``cents ×
    count``, at least its decayed points), so the bound's tier there is evaluated and
    settles its last day as for the others (in no sales tier on its best day, most leads
    are in ``nurture`` there, and that settles nothing)."""
    numbers = {str(x): int(t) for x, t in store.execute("SELECT type, t FROM bt_types").fetchall()}
    last, counted = grid.last_us, counters(tight)

    def holds(types: tuple[str, ...] | None, window: int | None) -> str:
        conds = [] if window is None else [f"ts_us >= {last - window}"]
        if types is not None:
            read = [str(numbers[x]) for x in types if x in numbers]
            conds.append(f"t IN ({', '.join(read)})" if read else "FALSE")
        return " AND ".join(conds) or "TRUE"

    sums = "".join(f", count(*) FILTER (WHERE {holds(t, w)}) AS {col}" for col, t, w in counted)
    values = "".join(f", coalesce(e.{col}, 0)::INTEGER" for col, _, _ in counted)
    values += "".join(
        f", {r.cents} * coalesce(e.{RULE.format(i)}, 0)::BIGINT"
        for i, r in enumerate(tight.event_rules)
        if r.half_life_us
    )
    windows = [w for _, _, w in counted if w is not None]
    reach = max(windows, default=0) if len(windows) == len(counted) else None
    recent = "TRUE" if reach is None else f"ts_us >= {last - reach}"
    store.execute(
        f"""
        INSERT INTO bt_pairs_all SELECT i.ix, {grid.count - 1}{values} FROM bt_lead_ix i
        LEFT JOIN (SELECT ix{sums} FROM bt_ev WHERE {recent} AND ix NOT IN ({hopeful})
                   GROUP BY ix) e USING (ix)
        WHERE i.ix NOT IN ({hopeful})
        """
    )


def _candidates(store: Store, grid: Grid, sales: str) -> None:
    """From the tight bound's states (:mod:`leadgate.analytics.tight`: each lead's entry
    days and its last day): ``bt_bound_end (ix, tier)``, its tier on the last day;
    ``bt_cand (ix, k, rank)``, the entry days before the last on which it holds a sales
    tier, ranked by day from 0; and ``bt_ev_left``, the events of the leads with
    candidates, which the rounds from the second on read."""
    last = grid.count - 1
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_bound_end AS"
        f" SELECT ix, tier FROM bt_states WHERE k = {last}"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_cand AS SELECT ix, k,"
        " row_number() OVER (PARTITION BY ix ORDER BY k) - 1 AS rank FROM bt_states"
        f" WHERE k < {last} AND tier IN ({sales})"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE bt_ev_left AS"
        " SELECT * FROM bt_ev WHERE ix IN (SELECT ix FROM bt_cand)"
    )


def _last_day(store: Store, c: CompiledDefinition, grid: Grid) -> None:
    """The last day's tier of the leads whose tier there the bound does not settle, into
    ``bt_states`` by the plan; the others' (in no tier under the bound) as no tier."""
    last = grid.count - 1
    settled = "b.tier < 0" if none_follows(c) else "FALSE"
    store.execute(
        f"INSERT INTO bt_states SELECT b.ix, {last}, -1 FROM bt_bound_end b WHERE {settled}"
    )
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE bt_pairs_all AS SELECT b.ix, {last} AS k, b.ix AS grp"
        f" FROM bt_bound_end b WHERE NOT ({settled})"
    )


def _rounds(store: Store, c: CompiledDefinition, select: str, grid: Grid, sales: str) -> None:
    """Evaluate the candidates round by round (the first beside the last day's pairs),
    each time for the leads not yet found in a sales tier before the last day; from the
    second round on, the pairs read only the events of the leads still looked for."""
    last, first, size = grid.count - 1, 0, 1
    while True:
        wanted = (
            f"SELECT ix, k, ix AS grp FROM bt_cand WHERE rank >= {first} AND rank < {first + size}"
            f" AND ix NOT IN (SELECT ix FROM bt_states WHERE k < {last} AND tier IN ({sales}))"
        )
        if first == 0:  # with the last day's pairs
            store.execute(f"INSERT INTO bt_pairs_all {wanted}")
        else:
            store.execute(f"CREATE OR REPLACE TEMP TABLE bt_pairs_all AS {wanted}")
        if not store.scalar("SELECT count(*) FROM bt_pairs_all"):
            return
        _insert_states(store, select, grid)
        first, size = first + size, size * GROWTH
        _looked_for(store, grid, sales, first)
        if first == 1:  # the first round read every lead's events for the last day
            _events_view(store, c, grid, "bt_ev_left")


def _looked_for(store: Store, grid: Grid, sales: str, first: int) -> None:
    """``bt_ev_left`` (the events of the leads with candidates, :func:`_candidates`) kept
    for the leads with candidates from ``first`` on and no sales tier found yet: each
    round reads only its own leads' events, not all the events of the store."""
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE bt_ev_left AS SELECT * FROM bt_ev_left
        WHERE ix IN (SELECT ix FROM bt_cand WHERE rank >= {first}
                     EXCEPT SELECT ix FROM bt_states WHERE k < {grid.count - 1}
                     AND tier IN ({sales}))
        """
    )
