"""A CRM import's stages become transitions by ``import``, with their outbox events."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from leadgate.project import Project, init_project

from .test_stages import T0, Clock

FIRST = "lead_id,email,stage\na1,a1@x.io,lead\na2,a2@x.io,mql\na3,a3@x.io,won\n"
# A day later the CRM says a1 was won (no MQL, no SAL on record) and a2 accepted.
SECOND = (
    "lead_id,email,stage,last_activity_date\n"
    "a1,a1@x.io,won,\na2,a2@x.io,sal,2026-03-02T15:00:00\na3,a3@x.io,won,\n"
)


def imported(project: Project, tmp_path: Path, text: str, name: str) -> dict[str, object]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return project.import_file(path, "leads").as_dict()


def test_crm_stages_are_recorded_as_transitions_with_their_events(tmp_path: Path) -> None:
    clock = Clock(T0)
    project = init_project(tmp_path / "p", clock=clock)
    first = imported(project, tmp_path, FIRST, "first.csv")
    assert (first["stage_changes"], first["illegal_stage_changes"]) == (2, 0)
    a2 = project.history("a2")
    (entry,) = a2.transitions
    assert (entry.from_stage, entry.to_stage, entry.actor) == ("lead", "mql", "import")
    assert entry.reason == f"import {first['import_id']}: first seen at this stage"
    assert a2.mql_at == T0 and a2.first_touch_at is None  # the SLA clock starts at entry

    clock.at = T0 + dt.timedelta(days=1)
    second = imported(project, tmp_path, SECOND, "second.csv")
    assert (second["stage_changes"], second["illegal_stage_changes"]) == (2, 1)
    assert any("a1: lead → won" in n for n in second["notices"])  # type: ignore[attr-defined]
    (won,) = project.history("a1").transitions
    assert (won.from_stage, won.to_stage, won.actor) == ("lead", "won", "import")
    assert won.reason is not None and "not a legal move" in won.reason
    accepted = project.history("a2")
    assert [t.to_stage for t in accepted.transitions] == ["mql", "sal"]
    assert accepted.transitions[1].reason == f"import {second['import_id']}"
    assert accepted.first_touch_at == dt.datetime(2026, 3, 2, 15, 0)  # the CRM's activity
    assert project.history("a3").stage == "won"

    with project.store() as store:
        events = store.execute(
            "SELECT event_type, lead_id, body FROM outbox ORDER BY created_at, lead_id"
        ).fetchall()
    assert [(e, lead) for e, lead, _ in events] == [
        ("lead.mql", "a2"), ("stage.changed", "a3"), ("stage.changed", "a1"),
        ("stage.changed", "a2"),
    ]  # fmt: skip
    body = json.loads(events[-1][2])["data"]
    assert (body["to_stage"], body["actor"]) == ("sal", "import")

    again = imported(project, tmp_path, SECOND, "second.csv")  # nothing new: nothing recorded
    assert again["stage_changes"] == 0
    assert len(project.history("a2").transitions) == 2


def test_a_leads_file_without_stages_records_no_transition(tmp_path: Path) -> None:
    project = init_project(tmp_path / "p", clock=Clock(T0))
    report = imported(project, tmp_path, "lead_id,email\nb1,b1@x.io\n", "plain.csv")
    assert report["stage_changes"] == 0 and project.history("b1").transitions == []


def test_a_stage_leadgate_does_not_know_rejects_its_row_and_any_case_is_one_word(
    tmp_path: Path,
) -> None:
    """Without a value map, a stage column holds leadgate's words in any case; another word
    rejects its row (stored, no move could ever leave it), the others load."""
    project = init_project(tmp_path / "p", clock=Clock(T0))
    text = "lead_id,email,stage\nb1,b1@x.io,bogus\nb2,b2@x.io, MQL \nb3,b3@x.io,\nb4,b4@x.io,Won\n"
    report = imported(project, tmp_path, text, "stages.csv")
    assert (report["rows_loaded"], report["rows_rejected"]) == (3, 1)
    (reject,) = project.import_file(tmp_path / "stages.csv", "leads").rejects
    assert (reject.line, reject.column, reject.raw) == (2, "stage", "bogus")
    assert "not one of leadgate's stages" in reject.reason and "'opportunity'" in reject.reason
    assert [project.history(lead).stage for lead in ("b2", "b3", "b4")] == ["mql", "lead", "won"]
    with project.store() as store:
        assert store.scalar("SELECT count(*) FROM leads WHERE lead_id = 'b1'") == 0
        columns = store.table_columns("leads")
    assert "stage_raw" not in columns  # leadgate's own words are not kept twice
