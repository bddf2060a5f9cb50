"""The replay equals scoring as of each day (Hypothesis), and reads nothing of the future."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.analytics import carry as carrying
from leadgate.analytics.carry import why_not
from leadgate.analytics.replay import Grid, replay_path, replay_states, replayed
from leadgate.scoring import score_store
from leadgate.store import Store

from ..scoring.strategies import AS_OF, definitions, populations
from ..scoring.test_properties import load

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
START = AS_OF.date() - dt.timedelta(days=20)


def created(store: Store, offsets: list[int | None]) -> None:
    """Give lead i a creation time ``offsets[i]`` hours after START (None: unknown)."""
    base = dt.datetime.combine(START, dt.time())
    for i, hours in enumerate(offsets):
        when = None if hours is None else base + dt.timedelta(hours=hours)
        store.execute("UPDATE leads SET created_at = ? WHERE lead_id = ?", [when, f"L{i}"])


def reference(population, offsets, c, grid: Grid) -> dict[tuple[str, int], str | None]:  # type: ignore[no-untyped-def]
    """Tier of each (lead, day) from score_store run as of the day, on a store holding
    only the leads created by then (the days from the last back, deleting as it goes)."""
    leads, accounts, events, intent = population
    store = Store(":memory:")
    load(store, leads, accounts, events, intent)
    created(store, offsets)
    out: dict[tuple[str, int], str | None] = {}
    for k in reversed(range(grid.count)):
        as_of = grid.instant(k)
        store.execute("DELETE FROM leads WHERE created_at > make_timestamp(?)", [as_of])
        score_store(store, c, as_of)
        for lead_id, tier in store.execute(
            "SELECT lead_id, tier FROM scores WHERE as_of = make_timestamp(?)", [as_of]
        ).fetchall():
            out[(lead_id, k)] = tier
    store.close()
    return out


def carried(states: list[tuple[str, int, int]], c, grid: Grid) -> dict[tuple[str, int], str | None]:  # type: ignore[no-untyped-def]
    """Each lead's tier on every day from its first evaluated one (held between)."""
    by_lead: dict[str, dict[int, int]] = {}
    for lead_id, k, tier in states:
        by_lead.setdefault(lead_id, {})[k] = tier
    out: dict[tuple[str, int], str | None] = {}
    for lead_id, days in by_lead.items():
        tier = None
        for k in range(min(days), grid.count):
            if k in days:
                tier = c.tiers[days[k]].name if days[k] >= 0 else None
            out[(lead_id, k)] = tier
    return out


hours = st.one_of(st.none(), st.integers(-100, 24 * 30))


@SETTINGS
@given(definitions(), populations(), st.lists(hours, min_size=8, max_size=8), st.booleans())
def test_replay_equals_scoring_as_of_every_day(c, population, offsets, weekly) -> None:  # type: ignore[no-untyped-def]
    check_every_day(c, population, offsets, weekly)


@SETTINGS
@given(
    definitions(carried=True), populations(), st.lists(hours, min_size=8, max_size=8), st.booleans()
)
def test_carried_replay_equals_scoring_as_of_every_day(c, population, offsets, weekly) -> None:  # type: ignore[no-untyped-def]
    """The definitions the replay carries counts for (windows, caps, negative points, counts
    in conditions; no decay, no dates, no account), against scoring as of every day."""
    assert why_not(c) is None and replay_path(c) == "carried"
    check_every_day(c, population, offsets, weekly)


def check_every_day(c, population, offsets, weekly) -> None:  # type: ignore[no-untyped-def]
    days, step = (24, "week") if weekly else (11, "day")
    grid = Grid.between(START, START + dt.timedelta(days=days), step)
    leads, accounts, events, intent = population
    offsets = offsets[: len(leads)]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.duckdb")
        load(store, leads, accounts, events, intent)
        created(store, offsets)
        got = carried(replay_states(store, c, grid), c, grid)
        store.close()
    assert got == reference(population, offsets, c, grid)


@contextmanager
def sliced(rows: int | None) -> Iterator[None]:
    """Carry with slices of about ``rows`` items (1: a lead a slice; None: as shipped)."""
    shipped = carrying.SLICE_ROWS
    carrying.SLICE_ROWS = shipped if rows is None else rows
    try:
        yield
    finally:
        carrying.SLICE_ROWS = shipped


@settings(SETTINGS, max_examples=100)
@given(
    definitions(carried=True),
    populations(),
    st.lists(hours, min_size=8, max_size=8),
    st.sampled_from([None, 1, 10]),
)
def test_carried_counts_equal_the_general_replay(c, population, offsets, rows) -> None:  # type: ignore[no-untyped-def]
    """Cheaper than scoring every day, so more examples: carrying counts gives each lead the
    tier the general path (every pair re-reading its events) gives, on every day, whatever
    the slices the leads are summed in."""
    grid = Grid.between(START, START + dt.timedelta(days=11))

    def states(store: Store, general: bool) -> dict[tuple[str, int], str | None]:
        return carried(replay_states(store, c, grid, general=general), c, grid)

    with sliced(rows):
        assert both_paths(population, offsets, states)


def both_paths(population, offsets, states) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``states(store, general)`` is the same by the carried and the general path,
    on a store of ``population`` with the leads created at ``offsets``."""
    leads, accounts, events, intent = population
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.duckdb")
        load(store, leads, accounts, events, intent)
        created(store, offsets[: len(leads)])
        fast, general = states(store, False), states(store, True)
        store.close()
    return bool(fast == general)


def detailed(store: Store, c, grid: Grid, *, general: bool) -> dict[tuple[str, int], tuple]:  # type: ignore[no-untyped-def]
    """Each lead's tier, points per rule and total on every day from its first evaluated one
    (held between), from a replay with ``details``."""
    with replayed(store, c, grid, details=True, general=general):
        rows = store.execute(
            "SELECT i.lead_id, s.k, s.tier, s.contributions, s.total FROM bt_states s"
            " JOIN bt_lead_ix i USING (ix) ORDER BY 1, 2"
        ).fetchall()
    out: dict[tuple[str, int], tuple] = {}  # type: ignore[type-arg]
    by_lead: dict[str, dict[int, tuple]] = {}  # type: ignore[type-arg]
    for lead_id, k, *state in rows:
        by_lead.setdefault(lead_id, {})[k] = tuple(map(repr, state))
    for lead_id, days in by_lead.items():
        held = None
        for k in range(min(days), grid.count):
            held = days.get(k, held)
            out[(lead_id, k)] = held  # type: ignore[assignment]
    return out


@settings(SETTINGS, max_examples=40)
@given(definitions(carried=True), populations(), st.lists(hours, min_size=8, max_size=8))
def test_carried_details_equal_the_general_replay(c, population, offsets) -> None:  # type: ignore[no-untyped-def]
    """Asked for each rule's points (``compare``), the carried replay gives every rule's
    points and the total the general path gives, on every day (days held alike)."""
    grid = Grid.between(START, START + dt.timedelta(days=11))
    assert both_paths(
        population, offsets, lambda store, general: detailed(store, c, grid, general=general)
    )
