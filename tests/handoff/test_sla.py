"""SLA clocks, breaches and speed to lead, on real project stores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.errors import ConfigError
from leadgate.handoff import breaches as breaches_module
from leadgate.handoff.calendar import ALWAYS, Calendar
from leadgate.handoff.sla import SlaFilterError, _Lead, touch_of
from leadgate.project import Project

from .test_stages import Clock, make_project

UTC = dt.timezone.utc
DEFINITION = """\
name: t
version: '1'
fit:
  rules:
    - {name: big, when: company_size >= 100, points: 60}
    - {name: mid, when: company_size >= 10, points: 30}
tiers:
  - {name: hot, when: score >= 50, sla: 1h}
  - {name: warm, when: score >= 20, sla: 8h, sla_hours: business}
"""
REPS = """
[[reps]]
name = "Ana"
teams = ["ae"]
timezone = "Europe/Madrid"

[[reps]]
name = "Bo"
teams = ["ae"]
timezone = "America/New_York"

[[reps]]
name = "Cy"
teams = ["ae"]
timezone = "Europe/London"
out_of_office = ["2026-03-01..2026-03-31"]

[routing]
rules = [{ name = "everyone", to = "pool:ae" }]
"""
# 16:00 in Madrid, 10:00 in New York (whose clocks go forward on Sunday 8 March)
FRIDAY_3PM = dt.datetime(2026, 3, 6, 15, 0)
MONDAY = dt.datetime(2026, 3, 2, 14, 0)  # 15:00 in Madrid, 09:00 in New York


def sla_project(root: Path, clock: Clock, extra: str = "", **leads: int) -> Project:
    project = make_project(root, clock, leads or {"big": 500, "mid": 50})
    project.definition_path.write_text(DEFINITION)
    with (root / "leadgate.toml").open("a", encoding="utf-8") as toml:
        toml.write(REPS + extra)
    return Project.open(root, clock=clock)


@pytest.fixture
def friday(tmp_path: Path) -> tuple[Project, Clock]:
    clock = Clock(FRIDAY_3PM)
    project = sla_project(tmp_path / "p", clock)
    project.score(FRIDAY_3PM)
    project.route(apply=True, at=FRIDAY_3PM.replace(tzinfo=UTC))
    return project, clock


def at(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=UTC)


def test_business_hours_count_the_owners_calendar_across_the_weekend(
    friday: tuple[Project, Clock],
) -> None:
    project, _ = friday
    report = project.sla(at=at(FRIDAY_3PM))
    clocks = {c.lead_id: c for c in report.clocks}
    # hot: 1h on the calendar; warm: 2h of its owner's working hours (Ana, Madrid, 9-17).
    assert clocks["big"].due_at == at(FRIDAY_3PM + dt.timedelta(hours=1))
    # Turns: big to Ana (a tie, by name), mid to Bo, whose 8 working hours are 7 on Friday
    # (10:00-17:00 New York) and 1 on Monday from 9:00, after the DST change: 13:00 UTC.
    assert (clocks["big"].owner, clocks["mid"].owner) == ("Ana", "Bo")
    assert clocks["mid"].due_at == at(dt.datetime(2026, 3, 9, 14, 0))
    assert clocks["mid"].hours == "business" and clocks["big"].hours == "calendar"

    saturday = project.sla(at=at(dt.datetime(2026, 3, 7, 12, 0)))
    states = {c.lead_id: c.status for c in saturday.clocks}
    assert states == {"big": "breached", "mid": "due_soon"}  # 1h of 8 left: within 25 %
    mid = next(c for c in saturday.clocks if c.lead_id == "mid")
    assert mid.remaining_seconds == 3600  # no hours count on the weekend
    assert [c.lead_id for c in saturday.clocks] == ["big", "mid"]  # the most urgent first


def test_the_queue_and_a_leads_page_show_the_clock_leadgate_sla_counts(
    friday: tuple[Project, Clock],
) -> None:
    """One due time everywhere: the queue, the lead and ``leadgate sla`` count business
    hours alike; on Saturday the warm lead is still open (due Monday), not breached."""
    project, clock = friday
    clock.at = dt.datetime(2026, 3, 7, 12, 0)
    report = {c.lead_id: c for c in project.sla(at=at(clock.at)).clocks}
    rows = {r.lead_id: r for r in project.queue().rows}
    for lead_id in ("big", "mid"):
        due = report[lead_id].due_at.replace(tzinfo=None)
        assert rows[lead_id].sla_due == due == project.lead(lead_id).sla.due
    assert (rows["big"].sla_state, rows["mid"].sla_state) == ("breached", "open")
    assert project.lead("mid").sla.state == "open"


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31)),
    st.integers(0, 60 * 60 * 40),
    st.sampled_from(["Europe/Madrid", "America/New_York", "Asia/Tokyo", "UTC"]),
)
def test_adding_counted_time_and_counting_it_back_agree(
    start: dt.datetime, seconds: int, zone: str
) -> None:
    calendar = Calendar(zone, 9 * 60, 17 * 60, ("mon", "tue", "wed", "thu", "fri"))
    begin = start.replace(tzinfo=UTC)
    due = calendar.add(begin, seconds)
    assert due >= begin
    assert calendar.between(begin, due) == pytest.approx(seconds)
    if seconds:  # the clock runs out inside working hours, never on a weekend or a night
        local = (due - dt.timedelta(seconds=1)).astimezone(calendar_zone(zone))
        assert local.weekday() < 5 and 9 <= local.hour < 17
    assert ALWAYS.between(begin, ALWAYS.add(begin, seconds)) == seconds


def calendar_zone(zone: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(zone)


def test_the_clock_never_moves_on_rescore_and_a_touch_stops_it(tmp_path: Path) -> None:
    clock = Clock(MONDAY)
    project = sla_project(tmp_path / "p", clock)
    project.score(clock.at)
    first = {c.lead_id: c for c in project.sla(at=at(clock.at)).clocks}
    assert first["big"].status == "due"
    clock.at += dt.timedelta(minutes=50)
    project.score(clock.at)  # a later run: same entry, same due time
    again = {c.lead_id: c for c in project.sla(at=at(clock.at)).clocks}
    assert again["big"].mql_at == first["big"].mql_at == at(MONDAY)
    assert again["big"].due_at == first["big"].due_at
    assert again["big"].status == "due_soon"  # 10 minutes left of 60: within 25 %

    project.contacted("big")  # at 14:50
    clock.at += dt.timedelta(hours=3)
    report = project.sla(at=at(clock.at))
    assert "big" not in {c.lead_id for c in report.clocks}
    assert report.counts["met"] == 1
    swept = project.sweep(at=at(clock.at), apply=True)
    # The scoring run routed mid to Bo when it entered MQL: 8h of his working hours, 09:00
    # to 17:00 in New York, from 09:00 there: due Monday 22:00 UTC.
    assert project.route_test("mid").recorded["rep"] == "Bo"  # type: ignore[index]
    assert [b.lead_id for b in swept.breaches] == []
    tuesday = project.sweep(at=at(MONDAY + dt.timedelta(days=1)), apply=True)
    due = at(MONDAY) + dt.timedelta(hours=8)
    assert [(b.lead_id, b.due_at) for b in tuesday.breaches] == [("mid", due)]


def test_accepting_a_lead_is_its_first_touch(tmp_path: Path) -> None:
    clock = Clock(MONDAY)
    project = sla_project(tmp_path / "p", clock)
    project.score(clock.at)
    clock.at += dt.timedelta(minutes=10)
    project.move("big", "sal", actor="user:ana")
    assert project.history("big").first_touch_at == clock.at
    assert project.sla(at=at(clock.at + dt.timedelta(hours=5))).counts["met"] == 1


def test_a_breach_is_recorded_once_with_its_event(tmp_path: Path) -> None:
    clock = Clock(MONDAY)
    project = sla_project(tmp_path / "p", clock, big=500)
    project.score(clock.at)
    clock.at += dt.timedelta(hours=5)
    dry = project.sweep(at=at(clock.at))
    assert [b.lead_id for b in dry.breaches] == ["big"] and not dry.applied
    assert breach_rows(project) == [] and events(project, "sla.breached") == 0
    done = project.sweep(at=at(clock.at), apply=True)
    (breach,) = done.breaches
    assert breach.due_at == at(dt.datetime(2026, 3, 2, 15, 0)) and breach.running
    assert breach_rows(project) == [("big", dt.datetime(2026, 3, 2, 15, 0))]
    assert events(project, "sla.breached") == 1 and events(project, "sla.escalated") == 0
    for later in (5, 30):  # again, and later: recorded once
        assert project.sweep(at=at(clock.at + dt.timedelta(hours=later)), apply=True).breaches == []
    assert len(breach_rows(project)) == 1 and events(project, "sla.breached") == 1


def test_a_crash_between_the_breach_and_its_event_leaves_neither(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(MONDAY)
    project = sla_project(tmp_path / "p", clock, big=500)
    project.score(clock.at)
    clock.at += dt.timedelta(hours=2)

    def crash(*args: object, **kwargs: object) -> str:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(breaches_module, "enqueue_many", crash)  # after the breaches' INSERT
    with pytest.raises(RuntimeError, match="died"):
        project.sweep(at=at(clock.at), apply=True)
    assert breach_rows(project) == [] and events(project, "sla.breached") == 0
    monkeypatch.undo()
    assert len(project.sweep(at=at(clock.at), apply=True).breaches) == 1
    assert len(breach_rows(project)) == 1 and events(project, "sla.breached") == 1


def test_a_sweep_records_many_breaches_in_a_few_statements(tmp_path: Path) -> None:
    """A first sweep over a backlog finds every clock at once: each breach and its events
    are recorded, in a number of statements that does not grow with the breaches."""
    clock = Clock(MONDAY)
    sla_project(tmp_path / "p", clock, ESCALATE_ONLY, **{f"l{i:02}": 500 for i in range(40)})
    statements: list[str] = []
    project = Project.open(
        tmp_path / "p", clock=clock, tracer=lambda sql, _: statements.append(sql)
    )
    project.score(clock.at)
    clock.at += dt.timedelta(hours=2)
    statements.clear()
    report = project.sweep(at=at(clock.at), apply=True)
    assert len(report.breaches) == 40 and all(b.escalated_to for b in report.breaches)
    assert len(breach_rows(project)) == 40
    assert events(project, "sla.breached") == 40 and events(project, "sla.escalated") == 40
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) <= 3, inserts  # the breaches, their two kinds of event
    with project.store() as store:
        leads = store.execute(
            "SELECT DISTINCT lead_id FROM outbox WHERE event_type = 'sla.escalated'"
        ).fetchall()
    assert sorted(lead for (lead,) in leads) == [f"l{i:02}" for i in range(40)]


ESCALATE_ONLY = """
[sla]
on_breach = ["escalate"]
escalate_to = "managers@example.com"
"""


ESCALATE = """
[sla]
on_breach = ["escalate", "reassign"]
escalate_to = "managers@example.com"
"""


def test_a_breach_escalates_and_reassigns_to_a_rep_who_never_had_the_lead(tmp_path: Path) -> None:
    clock = Clock(MONDAY)  # Cy is out of office all March
    project = sla_project(tmp_path / "p", clock, ESCALATE, big=500)
    assert project.score(clock.at).routed == 1  # routed as it enters MQL
    first = project.route_test("big").recorded
    assert first is not None
    clock.at += dt.timedelta(hours=2)
    (breach,) = project.sweep(at=at(clock.at), apply=True).breaches
    other = ({"Ana", "Bo"} - {first["rep"]}).pop()
    assert breach.owner == first["rep"] and breach.reassigned_to == other
    assert breach.escalated_to == "managers@example.com"
    assert events(project, "sla.escalated") == 1 and events(project, "lead.assigned") == 2
    with project.store() as store:
        reason = store.scalar("SELECT arg_max(reason, assignment_id) FROM assignments")
    assert reason.startswith("SLA breach: tier 'hot' due 2026-03-02 15:00 UTC, not touched")
    assert project.sla(at=at(clock.at)).clocks[0].owner == other
    assert project.history("big").mql_at == MONDAY  # not restarted


def test_nobody_left_who_never_had_the_lead_is_a_note_not_a_pick(tmp_path: Path) -> None:
    clock = Clock(MONDAY)
    project = sla_project(tmp_path / "p", clock, ESCALATE, big=500)
    project.score(clock.at)
    project.route(apply=True, at=at(clock.at))
    clock.at += dt.timedelta(hours=2)
    project.sweep(at=at(clock.at), apply=True)  # to the other of Ana and Bo
    with project.store() as store:  # a second MQL period of the same lead
        store.execute("UPDATE lead_handoff SET mql_at = ?", [clock.at])
    clock.at += dt.timedelta(hours=2)
    (breach,) = project.sweep(at=at(clock.at), apply=True).breaches
    assert breach.reassigned_to is None
    assert breach.note is not None and "Cy: out of office until 2026-03-31" in breach.note
    with project.store() as store:
        reps = store.execute("SELECT rep FROM assignments ORDER BY assignment_id").fetchall()
    assert len(reps) == 2 and ("Cy",) not in reps


def test_filters_and_settings_are_checked(tmp_path: Path) -> None:
    clock = Clock(MONDAY)
    project = sla_project(tmp_path / "p", clock)
    with pytest.raises(SlaFilterError, match="did you mean 'warm'") as exc:
        project.sla(tier="wram")
    assert exc.value.code == "LG663"
    with pytest.raises(SlaFilterError, match="rep of"):
        project.sla(owner="Zed")
    bad = '\n[sla]\ndue_soon = "soon"\non_breach = ["escalate", "page"]\nbuisness_days = []\n'
    with (tmp_path / "p/leadgate.toml").open("a") as toml:
        toml.write(bad)
    with pytest.raises(ConfigError) as err:
        Project.open(tmp_path / "p")
    message = str(err.value)
    assert "LG660 sla.due_soon must be a share" in message
    assert "sla.on_breach must list actions among escalate, reassign" in message
    assert "unknown setting 'sla.buisness_days' (did you mean 'business_days'?)" in message


def test_escalating_to_nobody_and_a_table_for_no_tier_are_errors(tmp_path: Path) -> None:
    clock = Clock(MONDAY)
    project = sla_project(tmp_path / "p", clock, '\n[sla.tiers.hto]\non_breach = ["reassign"]\n')
    with pytest.raises(ConfigError, match="LG662 .*no tier 'hto' \\(did you mean 'hot'"):
        project.sla()
    with (project.root / "leadgate.toml").open("a") as toml:
        toml.write('[sla.tiers.warm]\non_breach = ["escalate"]\n')
    with pytest.raises(ConfigError, match="LG661 sla.tiers.warm.on_breach says 'escalate'"):
        Project.open(project.root)


# -- speed to lead -------------------------------------------------------------------------
T = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
minutes = st.integers(0, 600).map(lambda m: T + dt.timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 600),
    st.lists(st.tuples(st.sampled_from(["Ana", "Bo"]), st.integers(-300, 900)), max_size=4),
    st.one_of(st.none(), st.just("Imp")),
)
def test_speed_to_lead_split_adds_up(
    touch: int, assigned: list[tuple[str, int]], imported: str | None
) -> None:
    times = sorted(assigned, key=lambda a: a[1])
    lead = _Lead(
        "l1", "hot", T, T + dt.timedelta(minutes=touch), None,
        tuple((rep, T + dt.timedelta(minutes=m)) for rep, m in times), imported,
    )  # fmt: skip
    split = touch_of(lead)
    assert split is not None
    assert split.system_seconds >= 0 and split.rep_seconds >= 0
    assert split.system_seconds + split.rep_seconds == touch * 60
    before = [rep for rep, m in times if m <= touch]
    assert split.rep == (before[-1] if before else imported)


def test_speed_to_lead_per_rep_and_tier(friday: tuple[Project, Clock]) -> None:
    project, clock = friday
    clock.at = FRIDAY_3PM + dt.timedelta(minutes=30)
    project.contacted("big")
    clock.at = FRIDAY_3PM + dt.timedelta(minutes=90)
    project.contacted("mid")
    report = project.sla(at=at(clock.at))
    tiers = {s.key: s for s in report.speed_by_tier}
    assert tiers["hot"].leads == 1 and tiers["hot"].total_p50 == 1800
    assert tiers["hot"].system_p50 == 0 and tiers["hot"].rep_p50 == 1800  # routed at entry
    assert tiers["warm"].rep_p90 == 5400 and tiers["warm"].system_p90 == 0
    assert sum(s.leads for s in report.speed_by_rep) == 2
    owner = next(c.owner for c in project.sla(at=at(FRIDAY_3PM)).clocks if c.lead_id == "mid")
    only = project.sla(at=at(clock.at), owner=(owner or "").lower())
    assert [s.key for s in only.speed_by_rep] == [owner]


def breach_rows(project: Project) -> list[tuple[str, dt.datetime]]:
    with project.store() as store:
        rows = store.execute("SELECT lead_id, due_at FROM sla_breaches").fetchall()
    return [(str(lead), due) for lead, due in rows]


def events(project: Project, event_type: str) -> int:
    with project.store() as store:
        return int(store.scalar("SELECT count(*) FROM outbox WHERE event_type = ?", [event_type]))
