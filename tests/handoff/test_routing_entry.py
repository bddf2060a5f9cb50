"""Routing on MQL entry: a scoring run routes the leads it puts into MQL, in its transaction."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.errors import ConfigError
from leadgate.project import Project

from .test_stages import T0, Clock, make_project

# T0 is Monday 2026-03-02 09:00 UTC: London works, New York sleeps.
REPS = """
[[reps]]
name = "Ana"
teams = ["ae"]
weight = 2
timezone = "Europe/London"
max_open = {cap}

[[reps]]
name = "Cy"
teams = ["ae"]
timezone = "America/New_York"

[routing]
rules = [
  {{ name = "hot ones", when = "tier = 'hot'", to = "pool:ae" }},
  {{ name = "everyone", to = "team:ae" }},
]
"""


def with_reps(project: Project, cap: int) -> Project:
    with (project.root / "leadgate.toml").open("a", encoding="utf-8") as toml:
        toml.write(REPS.format(cap=cap))
    return Project.open(project.root, clock=project.clock)


def owners(project: Project) -> tuple[dict[str, str], dict[str, str]]:
    """Each MQL's rep, and each unrouted MQL's latest recorded reason."""
    with project.store() as store:
        given = dict(store.execute("SELECT lead_id, rep FROM assignments").fetchall())
        missed = dict(
            store.execute(
                "SELECT lead_id, arg_max(reason, missed_at) FROM routing_misses GROUP BY 1"
            ).fetchall()
        )
    return given, missed


def test_a_scoring_run_routes_the_leads_it_puts_into_mql(tmp_path: Path) -> None:
    clock = Clock(T0)
    project = with_reps(make_project(tmp_path / "p", clock, {"a": 500, "b": 600, "m": 50}), 10)
    report = project.score(T0)
    assert report.entered_mql == 2 and (report.routed, report.unrouted) == (2, 0)
    assert report.as_dict()["routed"] == 2
    given, missed = owners(project)
    assert given == {"a": "Ana", "b": "Ana"} and missed == {}  # Cy is asleep
    recorded = project.route_test("a").recorded
    assert recorded is not None and recorded["rep"] == "Ana" and recorded["routed_at"] == T0
    with project.store() as store:
        events = store.execute(
            "SELECT event_type, count(*) FROM outbox GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert events == [("lead.assigned", 2), ("lead.mql", 2)]
    clock.at = T0 + dt.timedelta(hours=1)
    again = project.score(clock.at)  # no one enters, no one is routed twice
    assert (again.entered_mql, again.routed, again.unrouted) == (0, 0, 0)
    assert owners(project)[0] == given


def test_without_rules_nothing_is_routed_and_routes_test_says_why(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", Clock(T0), {"a": 500})
    report = project.score(T0)
    assert report.entered_mql == 1 and (report.routed, report.unrouted) == (0, 0)
    assert owners(project) == ({}, {})
    with pytest.raises(ConfigError, match=r"No \[routing\] rules"):  # the reason a user gets
        project.route_test("a")


@settings(max_examples=8, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 1000), min_size=1, max_size=25),
    cap=st.integers(0, 6),
    hour=st.integers(0, 23),
)
def test_every_mql_gets_an_owner_or_a_recorded_reason(
    sizes: list[int], cap: int, hour: int
) -> None:
    root = Path(tempfile.mkdtemp()) / "p"
    at = T0.replace(hour=hour)
    clock = Clock(at)
    leads = {f"l{i}": size for i, size in enumerate(sizes)}
    project = with_reps(make_project(root, clock, leads), cap)
    report = project.score(at)
    given, missed = owners(project)
    with project.store() as store:
        rows = store.execute("SELECT lead_id FROM leads WHERE stage = 'mql'").fetchall()
    mqls = {r[0] for r in rows}
    assert len(mqls) == report.entered_mql == report.routed + report.unrouted
    assert set(given) | set(missed) == mqls and not set(given) & set(missed)
    assert sum(rep == "Ana" for rep in given.values()) <= cap  # the cap holds
    assert all("nobody available" in why for why in missed.values())
    for lead_id, why in list(missed.items())[:2]:  # routes test shows the reason on record
        recorded = project.route_test(lead_id, at=clock.now()).recorded
        assert recorded is not None and recorded["rep"] is None and recorded["reason"] == why


def test_reps_shows_a_rep_at_cap_as_routing_skips_them(tmp_path: Path) -> None:
    """Ana may hold one open MQL: once routed one, ``reps`` says she is at cap, as the
    route test's skip does; Cy is asleep in New York either way."""
    clock = Clock(T0)
    project = with_reps(make_project(tmp_path / "p", clock, {"a": 500, "m": 50}), 1)
    before = {s.rep.name: s.unavailable for s in project.reps().reps}
    project.score(T0)
    after = {s.rep.name: s.as_dict() for s in project.reps().reps}
    assert before["Ana"] == "" and after["Ana"]["available"] is False
    assert after["Ana"]["unavailable"] == "at cap, 1 open of 1"
    assert "Ana: at cap, 1 open of 1" in project.route_test("m").routed.reason
    assert after["Cy"]["available"] is False and "at cap" not in after["Cy"]["unavailable"]
