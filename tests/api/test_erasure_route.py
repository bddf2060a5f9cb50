"""``POST /v1/erasures`` (admin): the person leaves every table and the server's memory; an
unknown or malformed email is a 4xx that records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.project import Project

from .conftest import api_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return api_project(tmp_path / "p")


@pytest.fixture
def client(project: Project) -> Iterator[TestClient]:
    with TestClient(create_app(project)) as client:
        yield client


def bearer(project: Project, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {project.create_key(role, role).key}"}


def count(client: TestClient, sql: str) -> int:
    writer = client.app.state.writer  # type: ignore[attr-defined]
    return int(writer.call(lambda: writer.project.store().scalar(sql)))


def test_an_admin_erases_a_person_from_the_store_and_from_memory(
    client: TestClient, project: Project
) -> None:
    ingest, admin = bearer(project, "ingest"), bearer(project, "admin")
    client.post("/v1/leads", headers=ingest, json={"lead_id": "L1", "email": "Ana@Acme.com"})
    event = {"lead_id": "L1", "type": "demo_request", "ts": "2026-11-02T12:00:00Z"}
    first = client.post("/v1/events", headers=ingest, json=event).json()
    assert first["leads"][0]["total"] == 30.0
    answer = client.post("/v1/erasures", headers=admin, json={"email": " ana@ACME.com"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["leads"] == 1 and body["actor"].startswith("key:")
    assert "ana@acme.com" not in answer.text.lower() and "L1" not in answer.text
    for table in ("leads", "events", "live_scores"):
        assert count(client, f"SELECT count(*) FROM {table}") == 0, table
    assert count(client, "SELECT count(*) FROM erasures") == 1
    assert client.get("/v1/leads/L1", headers=admin).status_code == 404
    # the same id again is a new person: nothing of the erased one's events counts for it
    client.post("/v1/leads", headers=ingest, json={"lead_id": "L1", "email": "bo@acme.com"})
    later = {**event, "type": "pricing_page"}
    again = client.post("/v1/events", headers=ingest, json=later).json()
    assert again["leads"][0]["total"] == 20.0


@pytest.mark.parametrize(
    ("email", "status", "code"),
    [("nobody@acme.com", 404, "LG680"), ("not an email", 400, "LG681")],
)
def test_an_unknown_or_malformed_email_erases_nothing_and_records_nothing(
    client: TestClient, project: Project, email: str, status: int, code: str
) -> None:
    ingest, admin = bearer(project, "ingest"), bearer(project, "admin")
    client.post("/v1/leads", headers=ingest, json={"lead_id": "L1", "email": "ana@acme.com"})
    answer = client.post("/v1/erasures", headers=admin, json={"email": email})
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert count(client, "SELECT count(*) FROM leads") == 1
    assert count(client, "SELECT count(*) FROM erasures") == 0


def test_only_an_admin_may_erase(client: TestClient, project: Project) -> None:
    ingest = bearer(project, "ingest")
    client.post("/v1/leads", headers=ingest, json={"lead_id": "L1", "email": "ana@acme.com"})
    for role in ("sales", "marketing", "ingest", "read"):
        refused = client.post(
            "/v1/erasures", headers=bearer(project, role), json={"email": "ana@acme.com"}
        )
        assert refused.status_code == 403, role
    assert client.post("/v1/erasures", json={"email": "ana@acme.com"}).status_code == 401
    assert count(client, "SELECT count(*) FROM leads") == 1
