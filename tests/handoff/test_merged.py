"""``leadgate merge`` moves the merged lead's transitions, SLA times and assignments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .test_routing_entry import with_reps
from .test_stages import T0, Clock, make_project


def test_merge_moves_the_handoff_history_to_the_lead_kept(tmp_path: Path) -> None:
    clock = Clock(T0)
    project = with_reps(make_project(tmp_path / "p", clock, {"x1": 1, "x2": 500, "y": 600}), 9)
    with project.store() as store:  # x1 and x2 are one person, stored apart
        store.execute("UPDATE leads SET email = 'ana@acme.com' WHERE lead_id IN ('x1', 'x2')")
    project.score(T0)  # x2 and y enter MQL and are routed
    clock.at = T0 + dt.timedelta(minutes=30)
    project.contacted("x2")
    project.move("x2", "sal", actor="user:ana")
    before = project.history("x2")
    assert [t.to_stage for t in before.transitions] == ["mql", "sal"]

    report = project.merge(apply=True)
    assert report.groups[0].lead_id == "x1" and report.groups[0].merged == ["x2"]
    after = project.history("x1")
    assert after.stage == "sal" and after.mql_at == T0
    assert after.first_touch_at == T0 + dt.timedelta(minutes=30)
    assert [t.seq for t in after.transitions] == [t.seq for t in before.transitions]
    assert all(t.lead_id == "x1" for t in after.transitions)
    assert project.history("x2").lead_id == "x1"  # the old id is an alias now
    with project.store() as store:
        owners = store.execute("SELECT lead_id, rep FROM assignments ORDER BY 1").fetchall()
        left = store.execute(
            "SELECT count(*) FROM (SELECT lead_id FROM stage_transitions UNION ALL "
            "SELECT lead_id FROM lead_handoff UNION ALL SELECT lead_id FROM assignments) "
            "WHERE lead_id = 'x2'"
        ).fetchone()
        handoff_rows = store.execute(
            "SELECT count(*) FROM lead_handoff WHERE lead_id = 'x1'"
        ).fetchone()
    assert owners == [("x1", "Ana"), ("y", "Ana")] and left == (0,) and handoff_rows == (1,)
