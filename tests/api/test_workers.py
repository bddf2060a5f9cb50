"""The server's workers, with no cron. Delivery: a lead an event makes hot is announced to a
real webhook receiver on loopback, signed as the standardwebhooks package verifies, and a
receiver that failed gets the same message again, same id, once it is due. Sweep: an SLA
that runs out while the server runs is recorded as a breach, with its event, by itself."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from leadgate.api.app import create_app
from leadgate.project import Project

from ..handoff.receiver import HandClock, Receiver, receiving
from .conftest import api_project

SECRET = "whsec_" + base64.b64encode(b"thirty-two bytes of webhook key!").decode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from receiving()


def served_project(root: Path, receiver: Receiver, clock: HandClock) -> Project:
    api_project(root, api='deliver_every = "20ms"\nsweep_every = "20ms"\nevent_index = false')
    with (root / "leadgate.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[[webhooks]]\nurl = "{receiver.url("/in")}"\nsecret = "{SECRET}"\n')
    return Project.open(root, clock=clock)


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    """Poll until ``condition`` holds (a bound for a loaded machine, not a speed check)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the delivery worker did not deliver in time"
        time.sleep(0.02)


def make_hot(client: TestClient, project: Project, clock: HandClock) -> None:
    keys = bearer(client, "ingest")
    client.post("/v1/leads", headers=keys, json={"lead_id": "L1", "title": "VP Sales"})
    ts = clock.at.isoformat() + "Z"
    answer = client.post("/v1/events", headers=keys, json={"lead_id": "L1",
                         "type": "demo_request", "ts": ts})  # fmt: skip
    assert answer.json()["entered_mql"] == ["L1"], answer.text


def test_the_worker_posts_a_new_mql_signed_for_an_independent_verifier(
    tmp_path: Path, receiver: Receiver
) -> None:
    # verify() checks the timestamp against the real clock: this clock starts there.
    clock = HandClock(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0))
    project = served_project(tmp_path / "p", receiver, clock)
    with TestClient(create_app(project)) as client:
        make_hot(client, project, clock)
        wait_for(lambda: len(receiver.on("/in")) == 1)
        (got,) = receiver.on("/in")
        body = Webhook(SECRET).verify(got.body, got.headers)
        assert body["type"] == "lead.mql" and body["data"]["lead_id"] == "L1"
        wait_for(lambda: 'leadgate_deliveries_total{result="delivered"} 1' in metrics(client))
        outbox = client.get("/v1/outbox", headers=bearer(client, "admin")).json()
        assert outbox["counts"].get("delivered") == 1 and outbox["count"] == 1
        assert outbox["messages"][0]["message_id"] == got.headers["webhook-id"]


def test_a_failed_post_is_sent_again_with_the_same_id_when_due(
    tmp_path: Path, receiver: Receiver
) -> None:
    clock = HandClock(dt.datetime(2026, 11, 2, 12, 0))
    receiver.behaviour["/in"] = lambda n: (500, {}) if n == 0 else (200, {})
    project = served_project(tmp_path / "p", receiver, clock)
    with TestClient(create_app(project)) as client:
        make_hot(client, project, clock)
        wait_for(lambda: len(receiver.on("/in")) == 1)
        time.sleep(0.2)  # several passes of the worker: the retry is not due yet (5 s)
        assert len(receiver.on("/in")) == 1
        clock.advance(6)  # 5 s of the schedule, +10 % jitter at most
        wait_for(lambda: len(receiver.on("/in")) == 2)
        first, second = receiver.on("/in")
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert json.loads(first.body) == json.loads(second.body)
        assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]


def bearer(client: TestClient, role: str) -> dict[str, str]:
    """A new key of ``role``, made on the server's writer (its workers use the store too)."""
    writer = client.app.state.writer  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {writer.call(writer.project.create_key, role, role).key}"}


def metrics(client: TestClient) -> str:
    return client.get("/metrics", headers=bearer(client, "read")).text


def test_the_server_sweeps_and_records_a_breach_once_by_itself(
    tmp_path: Path, receiver: Receiver
) -> None:
    clock = HandClock(dt.datetime(2026, 11, 2, 12, 0))
    project = served_project(tmp_path / "p", receiver, clock)
    with TestClient(create_app(project)) as client:
        make_hot(client, project, clock)  # the hot tier's SLA: 1h from now
        time.sleep(0.2)  # several sweeps: nothing is due yet
        assert "leadgate_sla_breaches_total 0" in metrics(client)
        clock.advance(3601)
        wait_for(lambda: "leadgate_sla_breaches_total 1" in metrics(client))
        wait_for(lambda: any(json.loads(r.body)["type"] == "sla.breached"
                             for r in receiver.on("/in")))  # fmt: skip
        time.sleep(0.2)  # more sweeps: the breach is recorded once
        writer = client.app.state.writer  # type: ignore[attr-defined]
        rows = writer.call(
            lambda: writer.project.store().execute("SELECT lead_id FROM sla_breaches").fetchall()
        )
        assert rows == [("L1",)]
        assert "leadgate_sla_breaches_total 1" in metrics(client)
