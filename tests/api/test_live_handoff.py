"""An event that moves a lead into a sales tier hands it off at once: in the transaction
that stores the event, the lead enters ``mql``, is routed to a rep (or recorded as
unrouted, with the reason), its SLA clock starts, and the outbox holds ``lead.mql`` and
``lead.assigned``; the answer names the owner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.project import Project

from .conftest import DEFINITION, NOW, api_project

REPS = """
[[reps]]
name = "Ana"
teams = ["ae"]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
working_hours = "00:00-23:59"
timezone = "UTC"
max_open = 1

[[reps]]
name = "Ben"
teams = ["ae"]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
working_hours = "00:00-23:59"
timezone = "UTC"
max_open = 1

[routing]
rules = [{ name = "everyone", to = "pool:ae" }]
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = api_project(tmp_path / "p")
    with (project.root / "leadgate.toml").open("a", encoding="utf-8") as toml:
        toml.write(REPS)
    return Project.open(project.root, clock=project.clock)


@pytest.fixture
def client(project: Project) -> Iterator[TestClient]:
    with TestClient(create_app(project)) as client:
        yield client


def ingest_key(client: TestClient, project: Project, *leads: str) -> dict[str, str]:
    """An ingest key, after posting ``leads`` (an event scores a lead the store knows)."""
    keys = {"Authorization": f"Bearer {project.create_key('in', 'ingest').key}"}
    rows = [{"lead_id": lead, "email": f"{lead.lower()}@acme.com"} for lead in leads]
    assert client.post("/v1/leads", headers=keys, json={"leads": rows}).status_code == 200
    return keys


def on_writer(client: TestClient, sql: str) -> list[tuple[Any, ...]]:
    writer = client.app.state.writer  # type: ignore[attr-defined]
    return writer.call(lambda: writer.project.store().execute(sql).fetchall())  # type: ignore[no-any-return]


def test_an_event_into_a_sales_tier_routes_the_lead_and_starts_its_sla(
    client: TestClient, project: Project
) -> None:
    keys = ingest_key(client, project, "L1")
    # 30 + 20 points at the clock's time (no decay yet): 50, the hot tier's threshold
    event = {"lead_id": "L1", "type": "demo_request", "ts": "2026-11-02T12:00:00Z"}
    answer = client.post("/v1/events", headers=keys, json={"events": [
        event, {**event, "type": "pricing_page"}]})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["entered_mql"] == ["L1"], body
    shown = body["leads"][0]
    assert shown["stage"] == "mql" and shown["owner"] in ("Ana", "Ben")
    assert "rule 'everyone'" in shown["routing"] and shown["owner"] in shown["routing"]
    # everything is stored already, in the writer's store: no later pass is needed
    assert on_writer(client, "SELECT lead_id, rep FROM assignments") == [("L1", shown["owner"])]
    assert sorted(on_writer(client, "SELECT event_type FROM outbox")) == [
        ("lead.assigned",),
        ("lead.mql",),
    ]
    detail = client.app.state.writer.call(project.lead, "L1")  # type: ignore[attr-defined]
    assert detail.owner.rep == shown["owner"]
    assert detail.sla.state == "open" and detail.sla.mql_at == NOW.replace(tzinfo=None)


def test_a_lead_nobody_can_take_is_mql_with_its_unrouted_reason(
    client: TestClient, project: Project
) -> None:
    keys = ingest_key(client, project, "L1", "L2", "L3")
    events = [
        {"lead_id": lead, "type": kind, "ts": "2026-11-02T12:00:00Z"}
        for lead in ("L1", "L2", "L3")
        for kind in ("demo_request", "pricing_page")
    ]
    body = client.post("/v1/events", headers=keys, json={"events": events}).json()
    assert body["entered_mql"] == ["L1", "L2", "L3"]
    owners = {lead["lead_id"]: lead["owner"] for lead in body["leads"]}
    assert sorted(o for o in owners.values() if o) == ["Ana", "Ben"]  # one each: max_open 1
    (unowned,) = [lead for lead in body["leads"] if lead["owner"] is None]
    assert unowned["routing"] == (
        "rule 'everyone' → pool 'ae': nobody available "
        "(Ana: at cap, 1 open of 1; Ben: at cap, 1 open of 1)"
    )
    missed = on_writer(client, "SELECT lead_id, reason FROM routing_misses")
    assert missed == [(unowned["lead_id"], unowned["routing"])]
    stages = on_writer(client, "SELECT stage, count(*) FROM leads GROUP BY 1")
    assert stages == [("mql", 3)]


REENTRY = DEFINITION + "lifecycle:\n  reentry_events: [demo_request]\n"


def test_a_recycled_lead_comes_back_through_the_api_only_with_a_reentry_event(
    tmp_path: Path,
) -> None:
    project = api_project(tmp_path / "p", REENTRY)
    with TestClient(create_app(project)) as client:
        keys = ingest_key(client, project, "L1")
        sales = {"Authorization": f"Bearer {project.create_key('s', 'sales').key}"}

        def post(kind: str, at: str) -> list[str]:
            event = {"lead_id": "L1", "type": kind, "ts": f"2026-11-02T{at}:00Z"}
            answer = client.post("/v1/events", headers=keys, json=event)
            assert answer.status_code == 200, answer.text
            return answer.json()["entered_mql"]  # type: ignore[no-any-return]

        assert post("demo_request", "12:00") + post("pricing_page", "12:00") == ["L1"]  # 50
        rejected = {"action": "reject", "reason": "not ICP"}
        assert client.post("/v1/leads/L1/actions", headers=sales, json=rejected).status_code == 200
        # Recycled at the clock's 12:00; new engagement after it, not of a re-entry type:
        assert post("pricing_page", "12:01") == []  # hot again, still recycled
        stage = on_writer(client, "SELECT stage FROM leads")
        assert stage == [("recycled",)]
        assert post("demo_request", "12:02") == ["L1"]
        moves = on_writer(client, "SELECT from_stage, to_stage FROM stage_transitions ORDER BY seq")
        assert moves == [("lead", "mql"), ("mql", "recycled"), ("recycled", "mql")]


def test_a_leads_page_explains_the_live_score_the_answer_gave(
    client: TestClient, project: Project
) -> None:
    """After a batch run, events through the API rescore a lead: ``GET /v1/leads/{lead}``
    explains that live total (adding up to it), as the queue shows it, not the run's."""
    keys = ingest_key(client, project, "L1")
    hour_ago = NOW.replace(tzinfo=None) - dt.timedelta(hours=1)
    client.app.state.writer.call(project.score, hour_ago)  # type: ignore[attr-defined]
    on_writer(client, "UPDATE score_runs SET scored_at = scored_at - INTERVAL 1 HOUR")
    batch = client.get("/v1/leads/L1", headers=read_key(project)).json()["score"]
    event = {"lead_id": "L1", "type": "demo_request", "ts": "2026-11-02T12:00:00Z"}
    answer = client.post("/v1/events", headers=keys, json=event).json()
    (live,) = answer["leads"]
    page = client.get("/v1/leads/L1", headers=read_key(project)).json()["score"]
    assert batch["total"] != live["total"]
    assert page["total"] == live["total"]
    assert dt.datetime.fromisoformat(page["as_of"]) == dt.datetime.fromisoformat(live["as_of"])
    assert page["adds_up"]


def read_key(project: Project) -> dict[str, str]:
    return {"Authorization": f"Bearer {project.create_key('r', 'read').key}"}
