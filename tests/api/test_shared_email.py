"""An event named by an email two leads hold is refused (LG405), never given to one of
them; the other requests of its group commit are stored as usual."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import ASGITransport, AsyncClient

from leadgate.api.app import create_app

from .conftest import api_project

TS = "2026-11-02T10:00:00Z"
SHARED = [{"lead_id": "L1", "email": "ana@acme.com"}, {"lead_id": "L2", "email": "Ana@acme.com"}]


def test_an_event_whose_email_names_two_leads_is_refused(tmp_path: Path) -> None:
    project = api_project(tmp_path / "p")
    keys = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
    with TestClient(create_app(project)) as client:
        assert client.post("/v1/leads", headers=keys, json={"leads": SHARED}).status_code == 200
        events = [
            {"lead_id": "L1", "type": "page_view", "ts": TS},
            {"email": " ANA@acme.com", "type": "demo_request", "ts": TS},
        ]
        answer = client.post("/v1/events", headers=keys, json={"events": events})
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "LG405"
        assert error["message"].startswith("events[1].email: 'ANA@acme.com' names 2 leads: L1, L2")
        assert error["details"] == [
            {"index": 1, "field": "email",
             "problem": "'ANA@acme.com' names 2 leads: L1, L2; send the event with the lead_id"}
        ]  # fmt: skip
        named = dict(events[1], lead_id="L2")  # the lead_id says which: stored
        assert client.post("/v1/events", headers=keys, json=named).json()["stored"] == 1
        with project.store() as store:
            assert store.query("SELECT lead_id, type FROM events") == [
                {"lead_id": "L2", "type": "demo_request"}
            ]


def test_the_other_requests_of_the_group_are_stored(tmp_path: Path) -> None:
    """Sent together, the requests may share one group commit: only the refused one fails."""
    project = api_project(tmp_path / "p")
    keys = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
    app = create_app(project)
    bodies: list[dict[str, Any]] = [
        {"lead_id": "L1", "type": "page_view", "ts": TS},
        {"email": "ana@acme.com", "type": "demo_request", "ts": TS},
        {"email": "bo@acme.com", "type": "page_view", "ts": TS},
    ]

    async def send() -> list[int]:
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://t") as client:
            posts = [client.post("/v1/events", headers=keys, json=b) for b in bodies]
            return [r.status_code for r in await asyncio.gather(*posts)]

    with TestClient(app) as client:  # runs the app's lifespan: its writer and batcher
        assert client.post("/v1/leads", headers=keys, json={"leads": SHARED}).status_code == 200
        statuses = client.portal.call(send)  # type: ignore[union-attr]
    assert statuses == [200, 422, 200]
    with project.store() as store:
        stored = store.execute("SELECT type FROM events ORDER BY type").fetchall()
    assert stored == [("page_view",), ("page_view",)]
