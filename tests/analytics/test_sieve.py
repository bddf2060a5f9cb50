"""The tight bound is evaluated only on the rows where a sales tier may hold (its counts
and points in NumPy say so), and on the last day: the backtest's answers are unchanged."""

from __future__ import annotations

import datetime as dt

import numpy as np

from leadgate.analytics import bound
from leadgate.analytics.carry import counters
from leadgate.analytics.replay import Grid
from leadgate.analytics.sieve import Sieve, _All, _Atleast
from leadgate.definition import load_compiled
from leadgate.store import Store

from .test_bound import DECAYING, decaying, tight_tiers
from .test_entries import first_sales

GRID = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def visits(days: tuple[int, ...]) -> Store:
    """Lead ``a`` with a pricing page visit (30 points, halving weekly) at 9:00 on ``days``."""
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    for day in days:
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, 'a', 'pricing_page', ?)",
            [f"e{day}", dt.datetime(2026, 3, day, 9)],
        )
    return store


def days_of(tiers: dict[tuple[str, int], str | None]) -> list[int]:
    return sorted(GRID.day(k).day for _, k in tiers)


def test_the_sieve_drops_the_days_short_of_engagement() -> None:
    """Visits on the 2nd, 10th and 12th, ``engagement >= 50``: 30 points on the 2nd
    (short undecayed), 13 + 28 on the 10th (60 undecayed, short decayed), 10 + 23 + 28 on
    the 12th. The tight bound is evaluated on the 12th and the last day only (without the
    sieve: the 1st, the 2nd and the 10th too), and the backtest's answer is the every-day
    replay's."""
    c = decaying([{"name": "mql", "when": "engagement >= 50"}])
    store = visits((2, 10, 12))
    tiers = tight_tiers(store, c, GRID)
    assert days_of(tiers) == [12, 31]
    assert tiers[("a", GRID.count - 1)] is None  # the last day, in no tier, is kept
    (row,), _ = first_sales(store, c, GRID, entries=True)
    assert GRID.day(row[1]) == dt.date(2026, 3, 12)
    assert first_sales(store, c, GRID, entries=False)[0] == [row]


def test_the_sieve_keeps_a_count_at_its_threshold() -> None:
    """Visits on the 2nd, 10th and 11th, ``engagement >= 50 and count(*, 5d) >= 2``: one
    visit in the last five days on the 2nd and the 10th, exactly two on the 11th (with 12
    + 27 + 30 points): the 11th is kept and is the lead's first sales day."""
    c = decaying([{"name": "mql", "when": "engagement >= 50 and count(*, 5d) >= 2"}])
    store = visits((2, 10, 11))
    tiers = tight_tiers(store, c, GRID)
    assert days_of(tiers) == [11, 31]
    assert tiers[("a", 10)] == "mql"
    (row,), _ = first_sales(store, c, GRID, entries=True)
    assert GRID.day(row[1]) == dt.date(2026, 3, 11)
    assert first_sales(store, c, GRID, entries=False)[0] == [row]


def test_the_sieve_keeps_a_day_either_side_of_or_admits() -> None:
    """``count(*, 5d) >= 3 or engagement >= 50``: on the 12th two visits are in the last
    five days (short of 3), but the engagement reaches 61: the day is kept, the lead's
    first sales day; the 10th (one side short of each) is not."""
    c = decaying([{"name": "mql", "when": "count(*, 5d) >= 3 or engagement >= 50"}])
    store = visits((2, 10, 12))
    tiers = tight_tiers(store, c, GRID)
    assert days_of(tiers) == [12, 31]
    (row,), _ = first_sales(store, c, GRID, entries=True)
    assert GRID.day(row[1]) == dt.date(2026, 3, 12)
    assert first_sales(store, c, GRID, entries=False)[0] == [row]


def test_what_the_sieve_reads() -> None:
    """Counts and engagement in ``and``/``or`` of ``>=``/``>``/``<=``/``<`` and ``has``;
    a sales tier it cannot read (the score, a field alone) turns it off; engagement is not
    read where an engagement rule adds the lead's fields to it; nurture tiers are not
    read."""
    tight = bound.tight_bound(decaying([
        {"name": "mql", "when": "fit >= 0 and 40 <= engagement and count(*, 30d) > 2"},
        {"name": "sql", "when": "has(pricing_page, 7d) or engagement > 70"},
        {"name": "nurture", "when": "score >= 1", "sales": False},
    ]))  # fmt: skip
    sieve = Sieve.of(tight)
    assert sieve is not None
    count30, count7 = sieve.tiers[0].items[1].what, sieve.tiers[1].items[0].what  # type: ignore[union-attr]
    assert sieve.tiers == (
        _All("and", (_Atleast(None, 40.0), _Atleast(count30, 2.0))),
        _All("or", (_Atleast(count7, 1.0), _Atleast(None, 70.0))),
    )
    assert count30 != count7 and None not in (count30, count7)
    unreadable = (
        "score >= 50",
        "engagement >= 40 or fit >= 10",
        "true",
        "not has(pricing_page, 7d)",
    )
    for unread in unreadable:
        assert Sieve.of(bound.tight_bound(decaying([{"name": "mql", "when": unread}]))) is None
    with_rule = DECAYING.replace(
        "engagement:\n", "engagement:\n  rules:\n    - {name: big, when: 'true', points: 5}\n"
    )
    c = load_compiled(
        text=with_rule + "  - {name: mql, when: 'engagement >= 40 and count(*, 30d) >= 3'}\n"
    )
    sieve = Sieve.of(bound.tight_bound(c))
    assert sieve is not None and sieve.tiers == (
        _All("and", (_Atleast(sieve.tiers[0].items[0].what, 3.0),)),  # type: ignore[union-attr]
    )


def test_a_definition_with_no_sales_tier_keeps_no_row_but_the_last() -> None:
    """Only a nurture tier, no event count: no row can be in a sales tier (the sieve says
    so of every row, however many: none of its columns tells their number)."""
    c = decaying([{"name": "nurture", "when": "score >= 1", "sales": False}])
    sieve = Sieve.of(bound.tight_bound(c))
    assert sieve is not None and sieve.tiers == ()
    assert sieve.passes(3, [], {}).tolist() == [False, False, False]
    assert days_of(tight_tiers(visits((2, 10)), c, GRID)) == [31]


def test_the_sieve_keeps_engagement_at_its_threshold_to_the_hundredth() -> None:
    """``engagement >= 60``: a row whose points reach 60.00 exactly is kept, one a
    hundredth short is not; undecayed, two visits (60 points) are kept and one is not."""
    tight = bound.tight_bound(decaying([{"name": "mql", "when": "engagement >= 60"}]))
    sieve = Sieve.of(tight)
    assert sieve is not None
    ((i, cents, cap),) = sieve.positive
    assert (cents, cap) == (3000, None)
    counts = [np.array([2, 1, 0], dtype=np.int64) for _ in counters(tight)]
    assert sieve.passes(3, counts, {}).tolist() == [True, False, False]
    decayed = {i: np.array([6000, 5999, 0], dtype=np.int64)}
    assert sieve.passes(3, counts, decayed).tolist() == [True, False, False]
