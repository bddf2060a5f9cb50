"""The undecayed bound holds a sales tier wherever the decayed definition does, and the
replay pruned by it gives a backtest what the every-day replay gives."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.analytics import bound
from leadgate.analytics import tight as tight_module
from leadgate.analytics.entries import why_not as entries_why_not
from leadgate.analytics.pruned import _best_days, _sales
from leadgate.analytics.replay import Grid, _drop_temporaries, _index, replay_path, replay_states
from leadgate.analytics.tight import tight_states
from leadgate.definition import load_compiled
from leadgate.store import Store

from ..scoring.strategies import definitions, populations
from ..scoring.test_properties import load
from .test_entries import first_sales, raising_histories, squeezed
from .test_replay import SETTINGS, START, carried, created, hours

#: Definitions whose backtest the bound prunes (a fifth of the falling ones).
pruned_definitions = definitions(falling=True).filter(lambda c: bound.why_not(c) is None)


@contextmanager
def stored(population, offsets) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    """A store of ``population``, lead i created ``offsets[i]`` hours after START."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.duckdb")
        load(store, *population)
        created(store, offsets[: len(population[0])])
        try:
            yield store
        finally:
            store.close()


@settings(SETTINGS, max_examples=120)
@given(
    pruned_definitions,
    st.one_of(populations(), populations().map(squeezed)),
    st.lists(hours, min_size=8, max_size=8),
)
def test_pruned_replay_gives_the_first_sales_day_of_every_day(c, population, offsets) -> None:  # type: ignore[no-untyped-def]
    """Each lead's first sales-tier day and last tier, and the tier of every (lead, day) the
    pruned replay evaluates, are the every-day replay's."""
    assert replay_path(c, first_sales=True).startswith("pruned")
    grid = Grid.between(START, START + dt.timedelta(days=14))
    with stored(population, offsets) as store:
        pruned, evaluated = first_sales(store, c, grid, entries=True)
        every_day, _ = first_sales(store, c, grid, entries=False)
        each_day = carried(replay_states(store, c, grid, general=True), c, grid)
    assert pruned == every_day
    assert {key: each_day[key] for key in evaluated} == evaluated


@settings(SETTINGS, max_examples=120)
@given(
    pruned_definitions,
    st.one_of(populations(), populations().map(squeezed)),
    st.lists(hours, min_size=8, max_size=8),
)
def test_the_bound_is_in_a_sales_tier_wherever_the_definition_is(c, population, offsets) -> None:  # type: ignore[no-untyped-def]
    """On every day, a lead in a sales tier is in one under the bound; where
    :func:`bound.none_follows`, a lead in no tier under the bound is in none."""
    grid = Grid.between(START, START + dt.timedelta(days=14))
    upper = bound.upper_bound(c)
    with stored(population, offsets) as store:
        tiers = carried(replay_states(store, c, grid, general=True), c, grid)
        bounds = carried(replay_states(store, upper, grid, general=True), upper, grid)
    sales = {t.name for t in c.tiers if t.sales}
    for key, tier in tiers.items():
        assert tier not in sales or bounds[key] in sales, key
        if bound.none_follows(c) and bounds[key] is None:
            assert tier is None, key


def best_tiers(store: Store, c, grid: Grid) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """Each lead's tier under the bound on its best day (:func:`bound.best_counts`)."""
    try:
        _index(store, grid)
        _best_days(store, bound.upper_bound(c), grid, _sales(c))
        rows = store.execute(
            "SELECT i.lead_id, b.tier FROM bt_best b JOIN bt_lead_ix i USING (ix)"
        ).fetchall()
    finally:
        _drop_temporaries(store)
    return {lead: c.tiers[t].name if t >= 0 else None for lead, t in rows}


@settings(SETTINGS, max_examples=120)
@given(
    pruned_definitions,
    st.one_of(populations(), populations().map(squeezed)),
    st.lists(hours, min_size=8, max_size=8),
)
def test_a_lead_in_a_sales_tier_on_any_day_is_in_one_on_its_best(c, population, offsets) -> None:  # type: ignore[no-untyped-def]
    """Under the bound at :func:`bound.best_counts`, a lead is in a sales tier if it is on
    some day under the definition; where :func:`bound.none_follows`, in no tier there, it is
    in none on any day."""
    grid = Grid.between(START, START + dt.timedelta(days=14))
    with stored(population, offsets) as store:
        tiers = carried(replay_states(store, c, grid, general=True), c, grid)
        best = best_tiers(store, c, grid)
    if bound.best_counts(bound.upper_bound(c)) is None:
        assert best == {}
        return
    sales = {t.name for t in c.tiers if t.sales}
    for (lead, k), tier in tiers.items():
        assert tier not in sales or best[lead] in sales, (lead, k)
        if bound.none_follows(c) and best[lead] is None:
            assert tier is None, (lead, k)


def tight_tiers(store: Store, c, grid: Grid) -> dict[tuple[str, int], str | None]:  # type: ignore[no-untyped-def]
    """The tight bound's tier on each day :func:`tight_states` evaluates (every lead)."""
    try:
        _index(store, grid)
        tight_states(store, bound.tight_bound(c), c, grid, None)
        rows = store.execute(
            "SELECT i.lead_id, s.k, s.tier FROM bt_states s JOIN bt_lead_ix i USING (ix)"
        ).fetchall()
    finally:
        _drop_temporaries(store)
    return {(lead, k): c.tiers[t].name if t >= 0 else None for lead, k, t in rows}


@settings(SETTINGS, max_examples=120)
@given(
    pruned_definitions,
    st.one_of(populations(), populations().map(squeezed)),
    st.lists(hours, min_size=8, max_size=8),
)
def test_the_tight_bound_holds_a_sales_tier_on_each_first_sales_day(c, population, offsets) -> None:  # type: ignore[no-untyped-def]
    """On each day the tight bound is evaluated, it is in a sales tier where the
    definition is (and, where :func:`bound.none_follows`, in no tier only where the
    definition is in none); each lead's first sales day under the every-day replay is one
    of those days, the last day is always one; the leads summed a few at a time, in slices
    on several threads, give the same."""
    grid = Grid.between(START, START + dt.timedelta(days=14))
    with stored(population, offsets) as store:
        tiers = carried(replay_states(store, c, grid, general=True), c, grid)
        tight = tight_tiers(store, c, grid)
        shipped = tight_module.SLICE_ROWS
        tight_module.SLICE_ROWS = 3
        try:
            assert tight_tiers(store, c, grid) == tight
        finally:
            tight_module.SLICE_ROWS = shipped
    sales = {t.name for t in c.tiers if t.sales}
    for key, tier in tight.items():
        every_day = tiers.get(key)
        assert every_day not in sales or tier in sales, key
        if bound.none_follows(c) and tier is None:
            assert every_day is None, key
    first: dict[str, int] = {}
    for (lead, k), tier in sorted(tiers.items()):
        if tier in sales:
            first.setdefault(lead, k)
    for lead, k in first.items():
        assert tight[(lead, k)] in sales, (lead, k)
    assert {lead for lead, _ in tiers} <= {lead for lead, k in tight if k == grid.count - 1}


def test_the_tight_bound_counts_a_decayed_point_rounded_up() -> None:
    """A pricing page visit (30 points, halving weekly) at 9:00 on the 2nd is worth
    28.1996 at the end of the day, rounded to 28.20: ``score >= 28.2`` holds that day. The
    tight bound adds half a hundredth an event to the decayed sum for that rounding; at
    28.19 it would never make the day a candidate."""
    c = decaying([{"name": "mql", "when": "score >= 28.2"}])
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    store.execute(
        "INSERT INTO events (event_id, lead_id, type, ts) VALUES ('e', 'a', 'pricing_page', ?)",
        [dt.datetime(2026, 3, 2, 9)],
    )
    grid = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert tight_tiers(store, c, grid)[("a", 1)] == "mql"
    ((_, mql_k, _),), _ = first_sales(store, c, grid, entries=True)
    assert grid.day(mql_k) == dt.date(2026, 3, 2)
    assert first_sales(store, c, grid, entries=False)[0][0][1] == mql_k


def test_the_tight_bound_counts_an_event_to_its_windows_last_microsecond() -> None:
    """A pricing page visit on the 2nd's last microsecond is five days old at the end of
    the 7th: still inside ``count(*, 5d)``, beside a second visit on the 7th, so the lead
    is in ``mql`` that day under the definition and the tight bound alike."""
    c = decaying([{"name": "mql", "when": "score >= 1 and count(*, 5d) >= 2"}])
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    for name, when in (("e1", dt.datetime(2026, 3, 2, 23, 59, 59, 999999)),
                       ("e2", dt.datetime(2026, 3, 7, 10))):  # fmt: skip
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, 'a', 'pricing_page', ?)",
            [name, when],
        )
    grid = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert tight_tiers(store, c, grid)[("a", 6)] == "mql"
    ((_, mql_k, _),), _ = first_sales(store, c, grid, entries=True)
    assert grid.day(mql_k) == dt.date(2026, 3, 7)
    assert first_sales(store, c, grid, entries=False)[0][0][1] == mql_k


def test_a_negative_rule_counts_nothing_on_the_best_day() -> None:
    """A demo request (50 points, halving monthly) and an unsubscribe (-50 for 30 days) on
    the 2nd at 9:00: 0 points until the unsubscribe leaves its window, then 24.64 (50 x
    0.5^(30.625/30)) at the end of 1 April, over 20. Counted on the best day, the
    unsubscribe would hold the lead at 50 - 50 x MOST, out of the bound's replay: never
    found."""
    c = load_compiled(
        text=DECAYING.replace(
            "- {type: pricing_page, points: 30, half_life: 7d, window: 60d}",
            "- {type: demo_request, points: 50, half_life: 30d}\n"
            "    - {type: unsubscribe, points: -50, window: 30d}",
        )
        + "  - {name: mql, when: 'score >= 20'}\n"
    )
    assert replay_path(c, first_sales=True).startswith("pruned")
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    for kind in ("demo_request", "unsubscribe"):
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, 'a', ?, ?)",
            [kind, kind, dt.datetime(2026, 3, 2, 9)],
        )
    grid = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    assert best_tiers(store, c, grid) == {"a": "mql"}
    ((_, mql_k, _),), _ = first_sales(store, c, grid, entries=True)
    assert grid.day(mql_k) == dt.date(2026, 4, 1)
    assert first_sales(store, c, grid, entries=False)[0][0][1] == mql_k


def test_a_windowed_count_is_at_its_most_on_the_best_day() -> None:
    """Two pricing page visits on the 2nd: 60 points and two events in 30 days, an MQL that
    day. Counted at 0 on the best day, ``count(*, 30d) >= 2`` would leave the lead out of
    the bound's replay: never found."""
    c = decaying([{"name": "mql", "when": "score >= 20 and count(*, 30d) >= 2"}])
    assert replay_path(c, first_sales=True).startswith("pruned")
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    for hour in (9, 10):
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, 'a', 'pricing_page', ?)",
            [f"e{hour}", dt.datetime(2026, 3, 2, hour)],
        )
    grid = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert best_tiers(store, c, grid) == {"a": "mql"}
    ((_, mql_k, _),), _ = first_sales(store, c, grid, entries=True)
    assert grid.day(mql_k) == dt.date(2026, 3, 2)


def test_a_lead_not_carried_has_its_last_day_counted() -> None:
    """No company size (no fit): never in ``mql``, so the bound's replay does not carry
    the lead; a pricing page visit five days before the last day (30 x 0.5^(5.6/7) = 17
    points) puts it in ``nurture`` there. Its counts on the last day, not zeros, say the
    bound is in a tier: the plan evaluates it, and it ends in ``nurture``."""
    text = DECAYING.replace(
        "engagement:", "fit:\n  rules:\n    - {name: mid, when: company_size >= 50, points: 10}"
        "\nengagement:"
    )  # fmt: skip
    tiers = [
        {"name": "mql", "when": "fit >= 10 and score >= 30"},
        {"name": "nurture", "when": "score >= 5", "sales": False},
    ]
    c = decaying(tiers, text)
    assert replay_path(c, first_sales=True).startswith("pruned") and bound.none_follows(c)
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    store.execute(
        "INSERT INTO events (event_id, lead_id, type, ts) VALUES ('e', 'a', 'pricing_page', ?)",
        [dt.datetime(2026, 3, 26, 9)],
    )
    grid = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert best_tiers(store, c, grid) == {"a": "nurture"}
    ((_, mql_k, end),), _ = first_sales(store, c, grid, entries=True)
    assert (mql_k, c.tiers[end].name) == (None, "nurture")
    assert first_sales(store, c, grid, entries=False)[0] == [("a", None, end)]


@settings(SETTINGS, max_examples=60)
@given(raising_histories().filter(lambda drawn: bound.why_not(drawn[0]) is None))
def test_aging_negative_points_near_a_threshold(drawn) -> None:  # type: ignore[no-untyped-def]
    """A careers page visit that decays (negative points, left out of the bound) beside
    pricing pages, a threshold near the leads' scores: the bound holds the tier wherever
    the definition does, and the pruned replay finds each lead's first sales day as its
    score rises day after day."""
    c, events = drawn
    upper = bound.upper_bound(c)
    grid = Grid.between(START, START + dt.timedelta(days=14))
    store = Store(":memory:")
    for n, (lead, history) in enumerate(events.items()):
        store.execute(
            "INSERT INTO leads (lead_id, created_at) VALUES (?, make_timestamp(?))",
            [lead, history[0][1]],
        )
        for i, (kind, ts) in enumerate(history):
            store.execute(
                "INSERT INTO events (event_id, lead_id, type, ts)"
                " VALUES (?, ?, ?, make_timestamp(?))",
                [f"{n}.{i}", lead, kind, ts],
            )
    tiers = carried(replay_states(store, c, grid, general=True), c, grid)
    bounds = carried(replay_states(store, upper, grid, general=True), upper, grid)
    assert all(bounds[key] == "mql" for key, tier in tiers.items() if tier == "mql")
    assert (
        first_sales(store, c, grid, entries=True)[0]
        == first_sales(store, c, grid, entries=False)[0]
    )


DECAYING = """
name: d
version: '1'
engagement:
  events:
    - {type: pricing_page, points: 30, half_life: 7d, window: 60d}
tiers:
"""


def decaying(tiers: list[dict[str, object]], text: str = DECAYING) -> object:
    return load_compiled(text=text + yaml.safe_dump(tiers))


def test_the_tight_bound_skips_a_day_the_decayed_points_miss() -> None:
    """Three pricing page visits (30 points each, halving weekly), on the 2nd, 10th and
    12th: undecayed the lead reaches 50 on the 10th, decayed only on the 12th (13 + 28
    points on the 10th; 10 + 23 + 28 on the 12th). The tight bound (at most half a
    hundredth an event above the decayed points) is not in ``mql`` on the 10th, so only
    the 12th and the last day are evaluated."""
    c = decaying([{"name": "mql", "when": "score >= 50"}])
    assert replay_path(c, first_sales=True).startswith("pruned")
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    for day in (2, 10, 12):
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, 'a', 'pricing_page', ?)",
            [f"e{day}", dt.datetime(2026, 3, day, 9)],
        )
    grid = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    (row,), evaluated = first_sales(store, c, grid, entries=True)
    assert grid.day(row[1]) == dt.date(2026, 3, 12)
    assert sorted(grid.day(k) for _, k in evaluated) == [
        dt.date(2026, 3, 12), dt.date(2026, 3, 31)
    ]  # fmt: skip
    assert first_sales(store, c, grid, entries=False)[0] == [row]


def test_a_lead_found_past_its_first_candidate() -> None:
    """A careers page visit (-30, halving weekly: left out of the bound) on the 1st, a
    pricing page visit (30, halving weekly) on the 2nd and on the 20th: the bound is in
    ``mql`` from the 2nd, while the two visits' decayed points nearly cancel; the
    definition reaches 25 on the 20th only (5 + 28 - 4). The rounds go past the lead's
    first candidates to find it."""
    text = DECAYING.replace(
        "    - {type: pricing_page",
        "    - {type: careers_page, points: -30, half_life: 7d, window: 60d}\n"
        "    - {type: pricing_page",
    )
    c = decaying([{"name": "mql", "when": "score >= 25"}], text)
    assert replay_path(c, first_sales=True).startswith("pruned")
    store = Store(":memory:")
    store.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    for kind, day in (("careers_page", 1), ("pricing_page", 2), ("pricing_page", 20)):
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, 'a', ?, ?)",
            [f"e{day}", kind, dt.datetime(2026, 3, day, 9)],
        )
    grid = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    (row,), evaluated = first_sales(store, c, grid, entries=True)
    assert grid.day(row[1]) == dt.date(2026, 3, 20)
    assert min(grid.day(k) for _, k in evaluated) == dt.date(2026, 3, 2)
    assert first_sales(store, c, grid, entries=False)[0] == [row]


def test_a_negative_rule_that_decays_is_left_out_of_the_bound() -> None:
    """Kept undecayed, a careers page visit (-40) would hold the bound below the decayed
    score: 30 - 40 < 20 while the definition reaches 30 - 10 >= 20 on the 16th."""
    text = DECAYING.replace(
        "engagement:", "fit:\n  rules:\n    - {name: all, when: 'true', points: 30}\nengagement:"
    ).replace("type: pricing_page, points: 30", "type: careers_page, points: -40")
    c = decaying([{"name": "mql", "when": "score >= 20"}], text)
    assert bound.why_not(c) is None and bound.upper_bound(c).event_rules == []
    store = Store(":memory:")
    when = dt.datetime(2026, 3, 2, 9)
    store.execute("INSERT INTO leads (lead_id, created_at) VALUES ('a', ?)", [when])
    store.execute(
        "INSERT INTO events (event_id, lead_id, type, ts) VALUES ('e', 'a', 'careers_page', ?)",
        [when],
    )
    grid = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    ((_, mql_k, _),), _ = first_sales(store, c, grid, entries=True)
    assert grid.day(mql_k) == dt.date(2026, 3, 16)


def test_what_the_bound_refuses() -> None:
    assert "nothing decays" in str(bound.why_not(load_compiled(text=DECAYING.replace(
        ", half_life: 7d", "") + "  - {name: mql, when: 'score >= 1'}")))  # fmt: skip
    assert "reads the account" in str(
        bound.why_not(
            decaying([{"name": "mql", "when": "score >= 1 and engaged_contacts(30d) >= 2"}])
        )
    )
    # Only a negative rule decays: the entries path takes ``score < 20`` as standing still
    # between events (the score only rises as the visit ages), the bound raises the score.
    negative = DECAYING.replace("points: 30", "points: -30")
    below = decaying([{"name": "mql", "when": "score < 20"}], negative)
    assert entries_why_not(below) is None
    assert "does not ask only for more" in str(bound.why_not(below))
    gone = "disqualifiers:\n  - {name: low, when: 'engagement < -10'}\nengagement:"
    disqualified = decaying(
        [{"name": "mql", "when": "true"}], negative.replace("engagement:", gone)
    )
    assert entries_why_not(disqualified) is None
    assert "disqualifier 'low'" in str(bound.why_not(disqualified))
    # A last tier that falls as the score rises: no tier under the bound says nothing.
    cold = decaying([{"name": "mql", "when": "score >= 50"}, {"name": "cold", "when": "score < 5",
                     "sales": False}])  # fmt: skip
    assert bound.why_not(cold) is None and not bound.none_follows(cold)
