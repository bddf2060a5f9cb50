"""Real outbox bodies validate against the published schemas; the MQL export round-trips."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import leadgate
from leadgate.handoff.erasure import forget
from leadgate.handoff.schemas import SCHEMA_DIR, UnknownEventType, event_types, schema
from leadgate.project import Project

from .test_lifecycle import DAY0, Story, build, run_days
from .test_routing_entry import with_reps
from .test_sla import ESCALATE, sla_project
from .test_sla import MONDAY as SLA_MONDAY
from .test_stages import DEFINITION as BASE
from .test_stages import T0, Clock, make_project

# Points in hundredths: an export that rounds to fewer digits fails the round trip.
DEFINITION = BASE.replace("points: 60", "points: 61.13").replace("points: 20", "points: 20.01")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    clock = Clock(T0)
    root = tmp_path_factory.mktemp("schemas") / "p"
    leads = {"a": 500, "b": 120, "c": 50, "d": 700}
    project = with_reps(make_project(root, clock, leads), 10)
    project.definition_path.write_text(DEFINITION)
    project.score(T0)  # lead.mql, lead.assigned
    clock.at = T0 + dt.timedelta(hours=2)
    project.move("a", "sal", actor="user:ana")  # stage.changed
    project.move("b", "disqualified", actor="key:k1", reason="student")
    with project.store() as store:
        store.execute("UPDATE leads SET first_name = 'Zoë', company = 'Acme, \"Inc\"'")
    return project


def bodies(project: Project) -> list[tuple[str, str]]:
    with project.store() as store:
        return [(t, b) for t, b in store.execute("SELECT event_type, body FROM outbox").fetchall()]


def test_every_schema_is_valid_and_every_real_body_validates(project: Project) -> None:
    assert {"lead.mql", "lead.assigned", "stage.changed"} <= set(event_types())
    for name in event_types():
        Draft202012Validator.check_schema(schema(name))
    found = bodies(project)
    assert {t for t, _ in found} == {"lead.mql", "lead.assigned", "stage.changed"}
    for event_type, body in found:
        Draft202012Validator(schema(event_type)).validate(json.loads(body))


def test_a_schema_refuses_a_body_that_is_not_of_its_shape(project: Project) -> None:
    event_type, body = next(b for b in bodies(project) if b[0] == "lead.mql")
    data = json.loads(body)
    validator = Draft202012Validator(schema(event_type))
    for broken in (
        data | {"type": "stage.changed"},
        data | {"data": {k: v for k, v in data["data"].items() if k != "lead_id"}},
        data | {"data": data["data"] | {"to_stage": "won"}},
        data | {"data": data["data"] | {"score": "80"}},
    ):
        assert list(validator.iter_errors(broken)), broken


def test_an_erased_body_still_validates(tmp_path: Path) -> None:
    clock = Clock(T0)
    project = make_project(tmp_path / "p", clock, {"e": 500})
    project.score(T0)
    with project.store() as store:
        store.execute("UPDATE outbox SET state = 'delivered'")
        forget(store, "e@example.com", actor="system")
    ((event_type, body),) = bodies(project)
    assert json.loads(body)["data"] == {"erased": True}
    Draft202012Validator(schema(event_type)).validate(json.loads(body))


def test_an_unknown_event_type_names_the_known_ones() -> None:
    with pytest.raises(UnknownEventType, match="did you mean 'lead.mql'") as error:
        schema("lead.mq")
    assert error.value.code == "LG682"
    assert (SCHEMA_DIR / "lead.mql.json").is_file()


def stored_mqls(project: Project) -> list[tuple[str, float, str | None]]:
    with project.store() as store:
        return store.execute(
            "SELECT t.lead_id, t.score, o.rep FROM stage_transitions t LEFT JOIN assignments o "
            "USING (lead_id) WHERE t.to_stage = 'mql' ORDER BY t.seq"
        ).fetchall()


def test_the_mql_export_round_trips_exactly_in_csv_and_json(
    project: Project, tmp_path: Path
) -> None:
    expected = stored_mqls(project)
    assert len(expected) == 3 and all(score % 1 for _, score, _ in expected)
    report = project.export_mqls(tmp_path / "m.csv", since=T0)
    assert report.rows == 3 and report.fmt == "csv"
    with (tmp_path / "m.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    got = [(r["lead_id"], float(r["score"]), r["owner"] or None) for r in rows]
    assert got == expected  # float() of the text is the stored double, bit for bit
    assert rows[0]["first_name"] == "Zoë" and rows[0]["company"] == 'Acme, "Inc"'
    assert rows[0]["entered_at"] == "2026-03-02T09:00:00Z" and rows[0]["tier"] == "hot"
    assert {r["stage"] for r in rows} == {"sal", "disqualified", "mql"}

    project.export_mqls(tmp_path / "m.json", fmt="json", since=T0)
    records = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert [(r["lead_id"], r["score"], r["owner"]) for r in records] == expected
    assert [r["email"] for r in records] == [r["email"] for r in rows]

    later = project.export_mqls(tmp_path / "none.csv", since=T0 + dt.timedelta(minutes=1))
    assert later.rows == 0
    assert (tmp_path / "none.csv").read_text(encoding="utf-8").startswith("lead_id,email,")


# Every literal event type the library enqueues: enqueue(store, "type", ...).
_ENQUEUED = re.compile(r"""enqueue(?:_many)?\(\s*store,\s*"([a-z_]+\.[a-z_]+)\"""")


def test_every_event_type_the_library_enqueues_has_a_schema() -> None:
    source = Path(leadgate.__file__).parent
    found = {
        name
        for path in source.rglob("*.py")
        for name in _ENQUEUED.findall(path.read_text(encoding="utf-8"))
    }
    assert {"sla.breached", "sla.escalated", "lead.recycled"} <= found  # the pattern works
    assert found <= set(event_types()), found - set(event_types())


def test_breach_escalation_reassignment_and_recycle_bodies_fit_their_schemas(
    tmp_path: Path,
) -> None:
    clock = Clock(SLA_MONDAY)
    sla = sla_project(tmp_path / "sla", clock, ESCALATE, big=500)
    sla.score(clock.at)
    clock.at += dt.timedelta(hours=2)
    assert len(sla.sweep(at=clock.at.replace(tzinfo=dt.timezone.utc), apply=True).breaches) == 1
    days = Clock(DAY0)
    recycled = build(tmp_path / "recycled", days, [Story(demos=(0,), opens=(), touch=None)])
    run_days(recycled, days, [Story(demos=(0,), opens=(), touch=None)], recycled)
    found = bodies(sla) + bodies(recycled)
    wanted = {"sla.breached", "sla.escalated", "lead.recycled", "lead.assigned", "stage.changed"}
    assert wanted <= {t for t, _ in found}
    for event_type, body in found:
        Draft202012Validator(schema(event_type)).validate(json.loads(body))
    breach = next(json.loads(b) for t, b in found if t == "sla.breached")
    assert breach["data"]["reassigned_to"] in ("Ana", "Bo")
    for broken in (breach["data"] | {"hours": "weekdays"}, breach["data"] | {"running": "yes"}):
        assert list(Draft202012Validator(schema("sla.breached")).iter_errors(
            breach | {"data": broken}))  # fmt: skip
