"""POST /v1/events and /v1/leads on the real app: stored, rescored and handed off in one
transaction; every bad input a 4xx of the one error shape, with nothing half-written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.project import Project

from .conftest import api_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return api_project(tmp_path / "p", api="max_body_bytes = 20000\nmax_events = 50")


@pytest.fixture
def client(project: Project) -> Iterator[TestClient]:
    with TestClient(create_app(project)) as client:
        yield client


def bearer(project: Project, role: str = "ingest") -> dict[str, str]:
    return {"Authorization": f"Bearer {project.create_key(role, role).key}"}


def counts(client: TestClient) -> dict[str, int]:
    """Rows of the tables an ingest writes, read on the server's writer."""
    writer = client.app.state.writer  # type: ignore[attr-defined]
    tables = ("events", "leads", "live_scores", "stage_transitions", "outbox", "visitor_links")

    def read() -> dict[str, int]:
        store = writer.project.store()
        return {t: int(store.scalar(f"SELECT count(*) FROM {t}")) for t in tables}

    return writer.call(read)  # type: ignore[no-any-return]


def event(
    lead: str = "L1", kind: str = "demo_request", ts: str = "2026-11-02T10:00:00Z"
) -> dict[str, Any]:
    return {"lead_id": lead, "type": kind, "ts": ts}


def test_an_event_that_makes_a_lead_hot_moves_it_to_mql_with_its_outbox_event(
    client: TestClient, project: Project
) -> None:
    keys = bearer(project)
    assert (
        client.post(
            "/v1/leads", headers=keys, json={"lead_id": "L1", "title": "VP Sales"}
        ).status_code
        == 200
    )
    first = client.post("/v1/events", headers=keys, json=event(kind="pricing_page"))
    assert first.status_code == 200, first.text
    assert first.json()["leads"][0]["tier"] == "warm"  # 20 fit + 20 pricing: not a sales tier
    assert first.json()["entered_mql"] == []
    answer = client.post("/v1/events", headers=keys, json={"events": [event()]}).json()
    assert answer["stored"] == 1 and answer["entered_mql"] == ["L1"]
    assert answer["leads"][0]["tier"] == "hot"
    rows = counts(client)
    assert rows["stage_transitions"] == 1 and rows["outbox"] == 1 and rows["live_scores"] == 1
    history = client.app.state.writer.call(project.history, "L1")  # type: ignore[attr-defined]
    assert history.stage == "mql" and history.transitions[0].actor == "system"


def test_the_same_event_twice_is_stored_once(client: TestClient, project: Project) -> None:
    keys = bearer(project)
    client.post("/v1/events", headers=keys, json=event())
    again = client.post("/v1/events", headers=keys, json={"events": [event(), event()]}).json()
    assert (again["stored"], again["duplicates"]) == (0, 2)
    assert counts(client)["events"] == 1


def test_an_email_names_its_lead_and_a_visitor_joins_it_when_identified(
    client: TestClient, project: Project
) -> None:
    keys = bearer(project)
    client.post("/v1/leads", headers=keys, json={"lead_id": "L7", "email": "ana@acme.com"})
    anonymous = {"visitor_id": "v1", "type": "pricing_page", "ts": "2026-11-01T09:00:00Z"}
    assert client.post("/v1/events", headers=keys, json=anonymous).json()["leads_scored"] == 0
    named = {
        "email": " Ana@Acme.com",
        "visitor_id": "v1",
        "type": "page_view",
        "ts": "2026-11-02T09:00:00Z",
    }
    answer = client.post("/v1/events", headers=keys, json=named).json()
    # The visitor's pricing page (20) now counts for L7, beside the page view (1).
    assert answer["leads"][0]["lead_id"] == "L7"
    assert answer["leads"][0]["total"] == pytest.approx(20.0 * 0.5 ** (27 / 24 / 30) + 1, abs=0.02)
    assert counts(client)["visitor_links"] == 1


@pytest.mark.parametrize(
    ("body", "status", "code", "needle"),
    [
        (b'{"type": "demo_request",', 400, "LG710", "not valid JSON"),
        (b"\xff\xfe", 400, "LG710", "UTF-8"),
        (b"[1, 2]", 422, "LG711", "one object or"),
        (b'{"events": []}', 422, "LG711", "non-empty list"),
        (json.dumps({"events": [event()] * 51}).encode(), 413, "LG714", "at most 50"),
        (json.dumps({"lead_id": "L1", "ts": "2026-11-02T10:00:00Z", "type": "fax"}).encode(),
         422, "LG711", "unknown event type 'fax'"),
        (json.dumps(event(ts="2026-11-02T12:30:00Z")).encode(), 422, "LG711",
         "ahead of the server's clock"),
        (json.dumps(event(ts="yesterday")).encode(), 422, "LG711", "not an ISO 8601 time"),
        (json.dumps({"type": "demo_request", "ts": "2026-11-02T10:00:00Z"}).encode(), 422,
         "LG711", "missing lead"),
        (json.dumps(event() | {"colour": "red"}).encode(), 422, "LG711", "colour: unknown field"),
        (b'{"lead_id": "L1", "type": "demo_request", "ts": 5}', 422, "LG711", "ISO 8601 text"),
    ],
)  # fmt: skip
def test_a_bad_body_is_refused_with_the_one_error_shape_and_nothing_written(
    client: TestClient, project: Project, body: bytes, status: int, code: str, needle: str
) -> None:
    before = counts(client)
    answer = client.post("/v1/events", headers=bearer(project), content=body)
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"error"} and set(answer.json()["error"]) == {
        "code",
        "message",
        "details",
    }
    assert answer.json()["error"]["code"] == code
    assert needle in answer.json()["error"]["message"]
    assert counts(client) == before


def test_a_batch_with_one_bad_event_writes_none_and_names_its_index(
    client: TestClient, project: Project
) -> None:
    batch = [event("L1"), event("L2"), event("L3", kind="teleport"), event("L4")]
    answer = client.post("/v1/events", headers=bearer(project), json={"events": batch})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"].startswith("events[2].type: unknown event type 'teleport'")
    assert error["details"] == [
        {"index": 2, "field": "type", "problem": error["details"][0]["problem"]}
    ]
    assert counts(client)["events"] == 0


def test_an_oversized_body_is_refused_before_it_is_read_whole(
    client: TestClient, project: Project
) -> None:
    big = json.dumps({"events": [event() | {"url": "x" * 1000}] * 30}).encode()
    answer = client.post("/v1/events", headers=bearer(project), content=big)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "LG709"
    assert "20,000" in answer.json()["error"]["message"]


def test_bad_leads_are_refused_whole(client: TestClient, project: Project) -> None:
    keys = bearer(project)
    rows = [{"lead_id": "A"}, {"title": "no key"}, {"lead_id": "C", "Bad Name": 1, "x": [1]}]
    answer = client.post("/v1/leads", headers=keys, json={"leads": rows})
    assert answer.status_code == 422
    problems = {(d["index"], d["field"]) for d in answer.json()["error"]["details"]}
    assert problems == {(1, "lead_id"), (2, "Bad Name"), (2, "x")}
    assert counts(client)["leads"] == 0


def test_only_ingest_and_admin_keys_may_post_and_no_key_nothing(
    client: TestClient, project: Project
) -> None:
    assert client.post("/v1/events", json=event()).status_code == 401
    for role, status in (
        ("read", 403),
        ("sales", 403),
        ("marketing", 403),
        ("admin", 200),
        ("ingest", 200),
    ):
        assert (
            client.post("/v1/events", headers=bearer(project, role), json=event()).status_code
            == status
        )
    assert client.get("/metrics", headers=bearer(project, "ingest")).status_code == 403
    assert client.get("/metrics").status_code == 401


@pytest.mark.parametrize("depth", [900, 5_000])
@pytest.mark.parametrize("route", ["/v1/events", "/v1/leads"])
def test_json_nested_hundreds_deep_is_refused_or_taken_never_a_crash(
    client: TestClient, project: Project, route: str, depth: int
) -> None:
    """A body nested deeper than the parsers go is a 400 naming why; one they read is
    taken or refused as any other, and nothing half-written either way."""
    nested = "[" * depth + "1" + "]" * depth
    row = (
        event() | {"properties": "NESTED"}
        if route == "/v1/events"
        else {"lead_id": "L9", "note": "NESTED"}
    )
    body = json.dumps(row).replace('"NESTED"', nested)
    before = counts(client)
    answer = client.post(route, headers=bearer(project, "admin"), content=body)
    assert answer.status_code < 500, answer.text
    if depth > 1_000:
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "LG710"
        assert "nested too deeply" in answer.json()["error"]["message"]
        assert counts(client) == before
