"""The stage machine and its append-only transitions, on real project stores."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.clock import FixedClock
from leadgate.errors import AmbiguousLead, LeadgateError
from leadgate.handoff import transitions
from leadgate.handoff.stages import (
    MOVES,
    BadActor,
    BadAmount,
    BadReason,
    IllegalMove,
    UnknownStage,
    legal_next,
)
from leadgate.project import Project, init_project
from leadgate.vocabulary import STAGES

DEFINITION = """\
name: t
version: '1'
fit:
  rules:
    - {name: big, when: company_size >= 100, points: 60}
    - {name: mid, when: company_size >= 10, points: 20}
tiers:
  - {name: hot, when: score >= 50, sla: 1h}
  - {name: warm, when: score >= 20, sales: false}
"""
T0 = dt.datetime(2026, 3, 2, 9, 0)


class Clock:
    """A clock a test moves forward (the project reads it on every store)."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return FixedClock(self.at).now()

    def today(self) -> dt.date:
        return self.at.date()


def make_project(root: Path, clock: Clock, leads: dict[str, int]) -> Project:
    project = init_project(root, clock=clock)
    project.definition_path.write_text(DEFINITION)
    project = Project.open(root, clock=clock)
    with project.store() as store:
        for lead_id, size in leads.items():
            store.execute(
                "INSERT INTO leads (lead_id, email, company_size) VALUES (?, ?, ?)",
                [lead_id, f"{lead_id}@example.com", size],
            )
            store.execute("INSERT INTO lead_aliases (alias, lead_id) VALUES (?, ?)", [lead_id] * 2)
    return project


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def project(tmp_path: Path, clock: Clock) -> Project:
    return make_project(tmp_path / "p", clock, {"big": 500, "mid": 50, "small": 1})


def stages(project: Project) -> dict[str, str]:
    with project.store() as store:
        return dict(store.execute("SELECT lead_id, stage FROM leads").fetchall())


def test_every_stage_is_in_the_table_and_moves_go_to_known_stages() -> None:
    assert set(MOVES) == set(STAGES)
    assert all(set(to) <= set(STAGES) for to in MOVES.values())
    assert legal_next("won") == () and legal_next("disqualified") == ()
    with pytest.raises(UnknownStage, match="did you mean 'opportunity'"):
        legal_next("oportunity")


def test_an_illegal_move_names_the_legal_ones_and_writes_nothing(project: Project) -> None:
    with pytest.raises(IllegalMove, match="Legal next stages: mql, recycled, disqualified") as e:
        project.move("big", "won", actor="user:ana")
    assert e.value.code == "LG600"
    assert project.history("big").transitions == []
    assert stages(project)["big"] == "lead"


@pytest.mark.parametrize("by_ids", [5_000, 0], ids=["by-ids", "join"])
def test_score_enters_sales_tiers_into_mql_once(
    project: Project, clock: Clock, by_ids: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also with a move too large to update ``leads.stage`` by ids (``_BY_IDS``: joined)."""
    monkeypatch.setattr(transitions, "_BY_IDS", by_ids)
    report = project.score(T0)
    assert report.entered_mql == 1 and report.as_dict()["entered_mql"] == 1
    assert stages(project) == {"big": "mql", "mid": "lead", "small": "lead"}  # warm: no sales
    first = project.history("big@example.com")
    assert first.mql_at == T0 and first.stage == "mql"
    (entry,) = first.transitions
    assert (entry.from_stage, entry.to_stage, entry.actor) == ("lead", "mql", "system")
    assert entry.reason == "tier hot at score 80.0" and entry.tier == "hot" and entry.score == 80
    assert entry.definition_hash == report.definition_hash

    clock.at = T0 + dt.timedelta(days=1)  # re-scoring, later, enters no one again
    again = project.score(T0 + dt.timedelta(days=1))
    assert again.entered_mql == 0
    later = project.history("big")
    assert later.mql_at == T0 and later.transitions == first.transitions


def test_sales_feedback_moves_with_reasons_and_amounts(project: Project, clock: Clock) -> None:
    project.score(T0)
    clock.at = T0 + dt.timedelta(minutes=30)
    touched = project.contacted("big")
    assert touched.first_touch_at == clock.at and touched.stage == "mql"
    clock.at += dt.timedelta(hours=1)
    assert project.contacted("big").first_touch_at == T0 + dt.timedelta(minutes=30)

    assert project.move("big", "sal", actor="user:ana").legal_next == (
        "sql", "opportunity", "recycled", "disqualified",
    )  # fmt: skip
    with pytest.raises(BadAmount):
        project.move("big", "sql", actor="user:ana", amount=10)
    project.move("big", "sql", actor="key:k1")
    project.move("big", "opportunity", actor="user:ana", amount=1200)
    with pytest.raises(BadReason, match="needs a reason"):
        project.move("big", "lost", actor="user:ana")
    won = project.move("big", "won", actor="user:ana", amount=5000.0)
    assert won.as_dict()["transition"]["amount"] == 5000.0 and won.legal_next == ()
    history = project.history("big")
    assert [t.to_stage for t in history.transitions] == ["mql", "sal", "sql", "opportunity", "won"]
    assert history.mql_at == T0  # no move but entry touches the SLA start
    assert all(t.score == 80 and t.tier == "hot" for t in history.transitions)


def test_a_rejection_needs_a_configured_reason(project: Project) -> None:
    with pytest.raises(BadReason, match="not ICP, no budget"):
        project.move("mid", "disqualified", actor="user:ana", reason="meh")
    (project.root / "leadgate.toml").write_text('[handoff]\nreject_reasons = ["too small"]\n')
    project = Project.open(project.root, clock=project.clock)
    with pytest.raises(BadReason):
        project.move("mid", "disqualified", actor="user:ana", reason="not ICP")
    done = project.move("mid", "disqualified", actor="user:ana", reason="too small")
    assert done.transition.reason == "too small" and stages(project)["mid"] == "disqualified"


@pytest.mark.parametrize("typed", ["Not ICP", "  NOT icp ", "not ICP"])
def test_a_reason_matches_whatever_its_case_and_is_stored_as_configured(
    project: Project, typed: str
) -> None:
    done = project.move("mid", "disqualified", actor="user:ana", reason=typed)
    assert done.transition.reason == "not ICP"
    assert [t.reason for t in project.history("mid").transitions][-1] == "not ICP"


def test_an_unknown_reason_suggests_the_near_one(project: Project) -> None:
    with pytest.raises(BadReason, match="did you mean 'no budget'"):
        project.move("mid", "recycled", actor="user:ana", reason="no budgett")
    assert stages(project)["mid"] != "recycled"


def test_a_recycled_lead_reenters_mql_only_with_new_engagement(
    project: Project, clock: Clock
) -> None:
    project.score(T0)
    clock.at = T0 + dt.timedelta(days=1)
    project.move("big", "recycled", actor="user:ana", reason="no budget")
    project.score(T0 + dt.timedelta(days=2))
    assert stages(project)["big"] == "recycled"
    with project.store() as store:
        store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES ('e1', 'big', 'page_view', ?)",
            [T0 + dt.timedelta(days=1, hours=2)],
        )
    clock.at = T0 + dt.timedelta(days=3)
    assert project.score(T0 + dt.timedelta(days=3)).entered_mql == 1
    history = project.history("big")
    assert [t.to_stage for t in history.transitions] == ["mql", "recycled", "mql"]
    assert history.mql_at == clock.at  # a new entry: a new SLA


def test_bad_actor_and_ambiguous_lead(project: Project) -> None:
    with pytest.raises(BadActor, match="user:NAME"):
        project.move("big", "mql", actor="ana")
    with project.store() as store:
        store.execute("UPDATE leads SET email = 'big@example.com' WHERE lead_id = 'mid'")
    with pytest.raises(AmbiguousLead):
        project.move("big@example.com", "mql", actor="user:ana")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tries=st.lists(
        st.tuples(st.sampled_from(STAGES), st.sampled_from(["system", "user:ana"])),
        max_size=12,
    )
)
def test_any_sequence_of_attempts_leaves_a_legal_history(
    tmp_path_factory: pytest.TempPathFactory, tries: list[tuple[str, str]]
) -> None:
    project = make_project(tmp_path_factory.mktemp("h"), Clock(T0), {"x": 500})
    for to, actor in tries:
        reason = "not ICP" if to in ("recycled", "disqualified", "lost") else None
        amount = 10.0 if to == "won" else None
        try:
            project.move("x", to, actor=actor, reason=reason, amount=amount)
        except LeadgateError as error:
            assert error.code in ("LG600",)
    history = project.history("x")
    current = "lead"
    for t in history.transitions:
        assert t.from_stage == current and t.to_stage in MOVES[current]
        current = t.to_stage
    assert history.stage == current == stages(project)["x"]
    assert [t.seq for t in history.transitions] == sorted(t.seq for t in history.transitions)


def test_events_of_a_run_in_sql_equal_those_of_its_transitions(project: Project) -> None:
    from leadgate.handoff.transitions import _entry_events_sql, _events_of

    project.score(T0)
    moved = project.move("big", "sal", actor="user:ana")
    with project.store() as store:
        rows = store.execute(_entry_events_sql(0)).fetchall()
    in_sql = [(kind, json.loads(payload)) for kind, _lead, payload in rows]
    history = project.history("big").transitions
    in_python = [(e.event_type, e.payload) for e in _events_of(history)]
    assert in_sql[0] == in_python[0] and in_sql[0][0] == "lead.mql"
    assert in_python[1] == ("stage.changed", moved.transition.as_dict())


def test_every_transition_is_announced_in_the_outbox_in_its_own_transaction(
    project: Project,
) -> None:
    report = project.score(T0)
    entered = {t.lead_id for t in project.history("big").transitions}
    moved = project.move("big", "sal", actor="user:ana")
    with pytest.raises(LeadgateError):
        project.move("big", "won", actor="user:ana", amount=5.0)  # illegal: nothing written
    messages = project.outbox(limit=None).messages
    bodies = {m.message_id: json.loads(m.body) for m in messages}
    mql = [m for m in messages if m.event_type == "lead.mql"]
    assert len(mql) == report.entered_mql and entered <= {m.lead_id for m in mql}
    changed = [m for m in messages if m.event_type == "stage.changed"]
    assert [m.lead_id for m in changed] == ["big"]
    assert bodies[changed[0].message_id]["data"] == moved.transition.as_dict()
    for m in mql:  # the envelope a scoring run writes in SQL reads like enqueue's
        body = bodies[m.message_id]
        assert set(body) == {"type", "timestamp", "data"} and body["type"] == "lead.mql"
        assert body["data"]["lead_id"] == m.lead_id and body["data"]["to_stage"] == "mql"
    assert len({m.message_id for m in messages}) == len(messages)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(0, 1000), min_size=1, max_size=6),
    days=st.lists(st.integers(1, 60), min_size=1, max_size=4),
)
def test_mql_at_is_set_on_entry_and_never_moved_by_rescoring(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], days: list[int]
) -> None:
    clock = Clock(T0)
    leads = {f"l{i}": size for i, size in enumerate(sizes)}
    project = make_project(tmp_path_factory.mktemp("m"), clock, leads)
    project.score(T0)
    hot = {lead for lead, size in leads.items() if size >= 100}
    for day in sorted(days):
        clock.at = T0 + dt.timedelta(days=day)
        assert project.score(clock.at).entered_mql == 0
    for lead in leads:
        history = project.history(lead)
        assert history.mql_at == (T0 if lead in hot else None)
        assert len(history.transitions) == (lead in hot)
