"""Lifecycle rules judged as of a time: day-by-day sweeps match a reference, whatever the
clock says when they run; a recycled lead comes back only with new engagement."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.clock import FixedClock
from leadgate.project import Project

from .test_stages import Clock, make_project

UTC = dt.timezone.utc
DEFINITION = """\
name: t
version: '1'
fit:
  rules:
    - {name: big, when: company_size >= 100, points: 40}
engagement:
  events:
    - {type: demo_request, points: 30, window: 5d}
    - {type: email_open, points: 30, window: 5d}
tiers:
  - {name: hot, when: score >= 60, sla: 1h}
lifecycle:
  recycle_untouched_after: 3d
  recycle_below_tiers: true
  reentry_events: [demo_request]
"""
DAY0 = dt.datetime(2026, 3, 2, 9, 0)
DAYS = 10


@dataclass(frozen=True)
class Story:
    """One lead's events (days, at 08:00) and the day sales touches it (09:00)."""

    demos: tuple[int, ...]
    opens: tuple[int, ...]
    touch: int | None


stories = st.builds(
    Story,
    st.lists(st.integers(0, DAYS - 1), max_size=3).map(tuple),
    st.lists(st.integers(0, DAYS - 1), max_size=2).map(tuple),
    st.one_of(st.none(), st.integers(0, DAYS - 1)),
)


def expected_stages(story: Story) -> list[str]:
    """The stage after each day's touch, scoring run and sweep, by the rules in words."""
    stage, mql_day, touched, recycled_day = "lead", -1, None, -1
    out = []
    for d in range(DAYS):
        if story.touch == d and touched is None:
            touched = d
        hot = any(d - 4 <= e <= d for e in (*story.demos, *story.opens))
        comeback = any(recycled_day < e <= d for e in story.demos)
        if hot and (stage == "lead" or (stage == "recycled" and comeback)):
            stage, mql_day, touched = "mql", d, None
        if stage == "mql":
            untouched = mql_day + 3 <= d and (touched is None or touched > mql_day + 3)
            if untouched or not hot:
                stage, recycled_day = "recycled", d if not untouched else mql_day + 3
        out.append(stage)
    return out


def build(root: Path, clock: Clock, leads: list[Story]) -> Project:
    project = make_project(root, clock, {f"l{i}": 500 for i in range(len(leads))})
    project.definition_path.write_text(DEFINITION)
    with project.store() as store:
        for i, story in enumerate(leads):
            for kind, days in (("demo_request", story.demos), ("email_open", story.opens)):
                for n, day in enumerate(days):
                    ts = DAY0 + dt.timedelta(days=day, hours=-1)
                    store.execute(
                        "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, ?, ?, ?)",
                        [f"e{i}-{kind}-{n}", f"l{i}", kind, ts],
                    )
    return Project.open(root, clock=clock)


def run_days(
    project: Project, clock: Clock, leads: list[Story], sweeper: Project
) -> list[dict[str, str]]:
    """Each day: the touches, a scoring run, a sweep as of that day (by ``sweeper``)."""
    days = []
    for d in range(DAYS):
        clock.at = DAY0 + dt.timedelta(days=d)
        for i, story in enumerate(leads):
            if story.touch == d:
                project.contacted(f"l{i}")
        project.score(clock.at)
        sweeper.sweep(at=clock.at.replace(tzinfo=UTC), apply=True)
        with project.store() as store:
            days.append(dict(store.execute("SELECT lead_id, stage FROM leads").fetchall()))
    return days


def transitions(project: Project) -> list[tuple[object, ...]]:
    with project.store() as store:
        return store.execute(
            "SELECT lead_id, from_stage, to_stage, moved_at, actor, reason FROM stage_transitions "
            "ORDER BY lead_id, seq"
        ).fetchall()


@pytest.mark.slow  # two projects scored and swept over ten days per example
@settings(max_examples=4, deadline=None)
@given(st.lists(stories, min_size=1, max_size=3))
def test_sweeping_day_by_day_gives_the_expected_stages_whenever_it_runs(
    leads: list[Story],
) -> None:
    base = Path(tempfile.mkdtemp())  # one project pair per example, not per test
    live_clock, late_clock = Clock(DAY0), Clock(DAY0)
    live = build(base / "live", live_clock, leads)
    late = build(base / "late", late_clock, leads)
    # The same sweeps as of the same days, run by a project whose clock says 2030.
    later = Project.open(late.root, clock=FixedClock(dt.datetime(2030, 1, 1)))
    live_days = run_days(live, live_clock, leads, live)
    late_days = run_days(late, late_clock, leads, later)
    for i, story in enumerate(leads):
        want = expected_stages(story)
        assert [day[f"l{i}"] for day in live_days] == want, story
    assert late_days == live_days
    assert transitions(late) == transitions(live)
    # Sweeping again as of a past day changes nothing: every move is on record already.
    again = later.sweep(at=(DAY0 + dt.timedelta(days=4)).replace(tzinfo=UTC), apply=True)
    assert again.recycled == [] and again.breaches == []
    assert transitions(late) == transitions(live)


def test_a_recycled_lead_comes_back_only_with_new_engagement_of_the_reentry_types(
    tmp_path: Path,
) -> None:
    clock = Clock(DAY0)
    # Hot on day 0 (a demo request); untouched, recycled on day 3 at 09:00; an email open on
    # day 5 makes it hot again, but only a demo request (day 7) brings it back.
    story = Story(demos=(0, 7), opens=(5,), touch=None)
    project = build(tmp_path / "p", clock, [story])
    stages = [day["l0"] for day in run_days(project, clock, [story], project)]
    assert stages == expected_stages(story)
    assert stages[:8] == ["mql"] * 3 + ["recycled"] * 4 + ["mql"]
    history = project.history("l0")
    recycled = history.transitions[1]
    assert (recycled.to_stage, recycled.actor) == ("recycled", "system")
    assert recycled.moved_at == DAY0 + dt.timedelta(days=3)
    assert recycled.reason == "lifecycle: no sales touch within 3d of MQL entry"
    assert history.mql_at == DAY0 + dt.timedelta(days=7)  # the clock starts again on re-entry
    with project.store() as store:
        kinds = store.execute(
            "SELECT event_type, count(*) FROM outbox WHERE event_type IN "
            "('lead.recycled', 'stage.changed', 'lead.mql') GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert kinds == [("lead.mql", 2), ("lead.recycled", 1), ("stage.changed", 1)]


def test_a_decayed_score_takes_the_lead_out_of_mql_with_the_reason(tmp_path: Path) -> None:
    clock = Clock(DAY0)
    story = Story(demos=(0,), opens=(), touch=1)  # touched: only the decay rule applies
    project = build(tmp_path / "p", clock, [story])
    stages = [day["l0"] for day in run_days(project, clock, [story], project)]
    assert stages[4:6] == ["mql", "recycled"]
    recycled = project.history("l0").transitions[-1]
    assert recycled.moved_at == DAY0 + dt.timedelta(days=5)
    assert recycled.reason == (
        "lifecycle: score fell below every sales tier (no tier at score 40 as of 2026-03-07 09:00)"
    )
