"""Idempotency-Key: a retried POST changes nothing and gets the first answer; the same key
with another body is refused; any route opts in with the ``idempotency`` dependency."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.api.auth import require
from leadgate.api.idempotency import Idempotency, idempotency
from leadgate.api.keys import ADMIN, ApiKey
from leadgate.project import Project

from .conftest import api_project
from .test_ingest import bearer, counts, event


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return api_project(tmp_path / "p")


@pytest.fixture
def client(project: Project) -> Iterator[TestClient]:
    app = create_app(project)
    router = APIRouter()

    @router.post("/test/keys")
    async def make_key(
        key: ApiKey = Depends(require(ADMIN)),  # noqa: B008
        idem: Idempotency = Depends(idempotency),  # noqa: B008
    ) -> JSONResponse:
        return await idem.run(lambda p: p.create_key("made", "read"), status=201)

    app.include_router(router)
    with TestClient(app) as client:
        yield client


def test_a_retried_event_post_changes_nothing_and_answers_the_same(
    client: TestClient, project: Project
) -> None:
    headers = bearer(project) | {"Idempotency-Key": "7c1e"}
    first = client.post("/v1/events", headers=headers, json=event())
    rows = counts(client)
    # The event is new the second time (a different time), but the key says: a retry.
    again = client.post("/v1/events", headers=headers, json=event())
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert counts(client) == rows


def test_the_same_key_with_another_body_is_refused(client: TestClient, project: Project) -> None:
    headers = bearer(project) | {"Idempotency-Key": "k-1"}
    assert client.post("/v1/events", headers=headers, json=event("L1")).status_code == 200
    rows = counts(client)
    other = client.post("/v1/events", headers=headers, json=event("L2"))
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "LG713"
    assert "used before with another request" in other.json()["error"]["message"]
    assert counts(client) == rows
    leads = client.post("/v1/leads", headers=headers, json={"lead_id": "L1"})
    assert leads.status_code == 422  # another path is another request


def test_keys_belong_to_the_api_key_that_sent_them(client: TestClient, project: Project) -> None:
    one, two = bearer(project), bearer(project)
    a = client.post("/v1/events", headers=one | {"Idempotency-Key": "same"}, json=event("L1"))
    b = client.post("/v1/events", headers=two | {"Idempotency-Key": "same"}, json=event("L2"))
    assert a.json()["stored"] == b.json()["stored"] == 1


def test_a_refused_request_keeps_nothing_and_can_be_sent_again(
    client: TestClient, project: Project
) -> None:
    headers = bearer(project) | {"Idempotency-Key": "fix-me"}
    assert client.post("/v1/events", headers=headers, json=event(kind="fax")).status_code == 422
    assert client.post("/v1/events", headers=headers, json=event()).status_code == 200


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_refused(client: TestClient, project: Project, key: str) -> None:
    answer = client.post(
        "/v1/events", headers=bearer(project) | {"Idempotency-Key": key}, json=event()
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "LG715"
    assert counts(client)["events"] == 0


def test_any_post_route_opts_in_with_the_dependency(client: TestClient, project: Project) -> None:
    headers = bearer(project, "admin") | {"Idempotency-Key": "once"}
    first = client.post("/test/keys", headers=headers)
    again = client.post("/test/keys", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["key"] == first.json()["key"]
    made = [k for k in client.app.state.writer.call(project.keys).keys if k.name == "made"]  # type: ignore[attr-defined]
    assert len(made) == 1
    assert client.post("/test/keys", headers=bearer(project, "admin")).status_code == 201
