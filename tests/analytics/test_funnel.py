"""The funnel on stage transitions and outcomes: what it counts, by group, in a window, and
the invariants that hold whatever the data (Hypothesis)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.analytics.funnel import FunnelError, compute_funnel
from leadgate.analytics.intervals import newcombe, wilson
from leadgate.analytics.journeys import BASIS_OUTCOMES, BASIS_TRANSITIONS
from leadgate.analytics.lift import compute_lift
from leadgate.definition import load_compiled
from leadgate.store import Store

from .builders import DAY, DEFINITION, NOW, PATH, Writer, make_project

TABLES = ("leads", "lead_aliases", "stage_transitions", "lead_handoff", "outcomes", "events")


def test_transitions_outcomes_and_owners_make_one_funnel(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    t0 = NOW - 200 * DAY
    with project.store() as store:
        w = Writer(store)
        for i, stage in enumerate(["mql", "sal", "sql", "opportunity", "won"]):
            w.lead(f"t{i}", t0, source="web")
            times = [t0 + k * 10 * DAY for k in range(PATH.index(stage) + 1)]
            w.moves(f"t{i}", times, tier="hot")
        w.lead("cold", t0, source="web")  # never an MQL
        w.lead("imported", t0, source="fair")  # its only record: a won deal from the CRM
        w.outcome("imported", "won", t0 + 30 * DAY)
        w.lead("late", NOW - 5 * DAY, source="fair")  # an MQL whose window is still open
        w.moves("late", [NOW - 5 * DAY], tier="mql")
        store.execute(
            "INSERT INTO assignments VALUES (1, 't4', 'ana', 'r', 'why', NULL, ?), "
            "(2, 't4', 'bo', 'r', 'why', NULL, ?)",
            [t0, t0 + DAY],
        )
    found = project.funnel(window="90d")
    assert found.basis == BASIS_TRANSITIONS
    total = found.total
    assert total.counts == [8, 7, 6, 5, 4, 3, 2]
    assert (total.censored, total.won_any_time) == (1, 2)
    # Every step 10 days apart; the imported win's MQL date is its first contact.
    assert total.median_days["mql→sal"] == 10.0 and total.median_days["opportunity→won"] == 10
    assert total.median_days["mql→won"] == 35.0  # (40 + 30) / 2
    by_source = {r.group: r for r in project.funnel(by="source").rows}
    assert (by_source["web"].leads, by_source["web"].won, by_source["fair"].censored) == (6, 1, 1)
    by_owner = {r.group: r.leads for r in project.funnel(by="owner").rows}
    assert by_owner == {"bo": 1, "(none)": 7}  # the latest assignment decides
    tiers = [r.group for r in project.funnel(by="tier").rows]
    assert tiers == ["hot", "mql", "(none)"]  # the definition's order
    # Nothing dated after the as-of time counts.
    early = project.funnel(window=None, as_of=t0 + 25 * DAY).total
    assert (early.sal, early.sql, early.opportunity, early.won) == (4, 3, 0, 0)


def test_a_window_counts_only_what_happened_in_it(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    t0 = NOW - 400 * DAY
    with project.store() as store:
        w = Writer(store)
        for i, days in enumerate([20, 80, 200]):  # MQL to won
            w.lead(f"l{i}", t0)
            w.moves(f"l{i}", [t0] + [t0 + days * DAY] * 4)
    counts = {window: project.funnel(window=window).total.won for window in ("30d", "90d", "none")}
    assert counts == {"30d": 1, "90d": 2, "none": 3}
    assert project.funnel(window="none").window is None


def test_a_bad_grouping_is_an_error_naming_the_choices(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    with pytest.raises(FunnelError, match="use one of tier, source, cohort, owner, definition"):
        project.funnel(by="colour")


def test_grouped_by_definition_version(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    with project.store() as store:
        w = Writer(store)
        w.lead("a", NOW - 100 * DAY, company_size=500)
    project.score(as_of=NOW - 50 * DAY)  # enters MQL, recorded with the definition's hash
    rows = project.funnel(by="definition").rows
    assert [(r.group.split(" (")[0], r.mqls) for r in rows] == [("t v2", 1)]
    assert project.funnel().basis == BASIS_TRANSITIONS


# -- invariants -------------------------------------------------------------------------------
LEADS = st.lists(
    st.tuples(
        st.integers(0, 300),  # created, days before NOW
        st.integers(0, 5),  # stages reached: 0 none, 1 mql ... 5 won
        st.lists(st.integers(0, 120), min_size=4, max_size=4),  # days between stages
        st.booleans(),  # recorded as moves (else as imported outcomes)
        st.sampled_from(["hot", "mql", None]),
        st.sampled_from(["web", "fair", None]),
    ),
    max_size=25,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(tmp_path_factory.mktemp("inv") / "s.duckdb")


def _fill(store: Store, leads: list[tuple]) -> None:  # type: ignore[type-arg]
    for table in TABLES:
        store.execute(f"DELETE FROM {table}")
    w = Writer(store)
    for i, (created, reached, gaps, moved, tier, source) in enumerate(leads):
        lead_id, start = f"l{i}", NOW - created * DAY
        w.lead(lead_id, start, source=source, company_size=None if i % 3 else 150)
        times = [start]
        for gap in gaps[: max(reached - 1, 0)]:
            times.append(times[-1] + gap * DAY)
        if reached and moved:
            w.moves(lead_id, times[:reached], tier=tier)
        for stage, at in zip(PATH[1:reached], times[1:], strict=False):
            if not moved:
                w.outcome(lead_id, {"sal": "accepted"}.get(stage, stage), at)


@settings(max_examples=40, deadline=None)
@given(LEADS, st.sampled_from([None, "30d", "90d"]), st.sampled_from([None, "tier", "source"]))
def test_funnel_counts_never_grow_along_the_stages(store, leads, window, by) -> None:
    _fill(store, leads)
    found = compute_funnel(store, NOW, by=by, window=window)
    for row in [found.total, *found.rows]:
        counts = row.counts
        assert counts == sorted(counts, reverse=True), row
        assert row.censored + row.eligible == row.mqls
        assert row.won <= row.won_any_time <= row.mqls
        assert all(v is None or 0 <= v <= 1 for v in row.conversion().values())
    if by is not None:  # the groups partition the leads
        for name in ("leads", "mqls", "censored", "eligible", "sal", "won", "won_any_time"):
            assert sum(getattr(r, name) for r in found.rows) == getattr(found.total, name)
    assert found.total.leads == len(leads)
    if window is None:
        assert found.total.censored == 0


COMPILED = load_compiled(text=DEFINITION)


@settings(max_examples=30, deadline=None)
@given(LEADS, st.lists(st.integers(0, 24), max_size=25))
def test_lift_groups_partition_the_leads(store, leads, events) -> None:
    _fill(store, leads)
    w = Writer(store)
    for i, lead in enumerate(events):
        if lead < len(leads):
            w.event(f"l{lead}", "pricing_page", NOW - (i + 1) * DAY)
    report = compute_lift(store, COMPILED, NOW)
    assert report.leads == len(leads)
    kinds = [(k.kind, k.name) for k in report.criteria]
    assert ("event", "pricing_page") in kinds and ("tier", "hot") in kinds
    for k in report.criteria:
        assert k.met.n + k.not_met.n + k.not_judged.n == report.leads
        assert k.met.converted + k.not_met.converted + k.not_judged.converted == report.converted
        if k.kind != "fit" or k.name != "big company":
            continue
        judged = sum(1 for i in range(len(leads)) if i % 3 == 0)  # the others have no size
        assert k.met.n == judged and k.not_judged.n == len(leads) - judged


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_intervals_hold_their_rates(a: int, n: int, b: int, m: int) -> None:
    a, n, b, m = min(a, n), max(n, 1), min(b, m), max(m, 1)
    low, high = wilson(a, n)
    assert 0 <= low <= a / n <= high <= 1
    d_low, d_high = newcombe(a, n, b, m)
    assert -1 <= d_low <= a / n - b / m <= d_high <= 1


def test_outcomes_alone_make_every_lead_an_mql(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        w = Writer(store)
        w.lead("a", NOW - 100 * DAY)
        w.lead("b", NOW - 100 * DAY)
        w.outcome("a", "sql", NOW - 90 * DAY)
        w.outcome("a", "lost", NOW - 80 * DAY, reason="no budget")
        found = compute_funnel(store, NOW, window="90d")
    assert found.basis == BASIS_OUTCOMES
    assert found.total.counts == [2, 2, 2, 1, 1, 0, 0]
    assert found.recorded == {"mql": 2, "sal": 0, "sql": 1, "opportunity": 0, "won": 0}
