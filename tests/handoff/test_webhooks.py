"""Delivery to real webhook receivers on loopback: signatures, retries, 410, Retry-After."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import time
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from leadgate.config import CONFIG_FILE
from leadgate.handoff.outbox import enqueue
from leadgate.handoff.webhooks import SCHEDULE
from leadgate.project import Project, init_project

from .receiver import HandClock, Receiver, signed_by

SECRET = "whsec_" + base64.b64encode(b"thirty-two bytes of webhook key!").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"the rotated key, also 32 bytes..").decode()
START = dt.datetime(2026, 11, 2, 9, 0)


def hook(url: str, secret: str = SECRET, events: list[str] | None = None) -> str:
    text = f'[[webhooks]]\nurl = "{url}"\nsecret = "{secret}"\n'
    return text + (f"events = {json.dumps(events)}\n" if events is not None else "")


def project_with(tmp_path: Path, clock: HandClock, *webhooks: str) -> Project:
    root = init_project(tmp_path / "p", clock=clock).root
    with (root / CONFIG_FILE).open("a", encoding="utf-8") as config:
        config.write("\n" + "\n".join(webhooks))
    return Project.open(root, clock=clock)


def enqueue_events(project: Project, *types: str) -> list[str]:
    with project.store() as store, store.atomic():
        return [enqueue(store, t, {"n": n}, lead_id=f"L{n}") for n, t in enumerate(types)]


def states(project: Project) -> dict[str, str]:
    return {m.message_id: m.state for m in project.outbox(limit=None).messages}


def test_signatures_verify_with_the_standardwebhooks_package(
    tmp_path: Path, receiver: Receiver
) -> None:
    # verify() checks the timestamp against the real clock: this test's clock starts there.
    clock = HandClock(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0))
    secrets = f'["{NEW_SECRET}", "{SECRET}"]'
    project = project_with(
        tmp_path, clock, hook(receiver.url("/a")).replace(f'"{SECRET}"', secrets)
    )
    [message_id] = enqueue_events(project, "lead.mql")
    report = project.deliver()
    assert (report.messages, report.requests, report.delivered) == (1, 1, 1)
    [got] = receiver.on("/a")
    assert got.headers["webhook-id"] == message_id
    assert len(got.headers["webhook-signature"].split(" ")) == 2  # one per secret
    for secret in (SECRET, NEW_SECRET):  # either secret verifies while rotating
        body = Webhook(secret).verify(got.body, got.headers)
        assert body["type"] == "lead.mql" and body["data"] == {"n": 0}
    other = "whsec_" + base64.b64encode(b"not the key").decode()
    assert not signed_by(other, got)
    assert states(project) == {message_id: "delivered"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_receiver_down_then_back_gets_every_message_with_the_same_id(tmp_path: Path) -> None:
    clock = HandClock(START)
    port = _closed_port()
    receiver = Receiver(behaviour={"/in": lambda n: (500, {}) if n < 4 else (200, {})})
    project = project_with(tmp_path, clock, hook(f"http://127.0.0.1:{port}/in"))
    ids = enqueue_events(project, "lead.mql", "lead.assigned", "sla.breached")

    first = project.deliver()  # nobody listens on the port: refused
    assert (first.messages, first.failed, first.delivered) == (3, 3, 0)
    failed = project.outbox_message(ids[0])
    assert failed.message.state == "failed" and failed.deliveries[0]["status_code"] is None
    assert "Connection" in (failed.deliveries[0]["error"] or "")

    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # the receiver comes back (answering 500 at first)
        sleeps.append(seconds)
        clock.advance(seconds)
        if receiver.server is None:
            receiver.start(port)

    try:
        report = project.deliver(until_empty=True, sleep=sleep)
    finally:
        receiver.stop()
    assert report.next_due is None and report.delivered == 3
    assert set(states(project).values()) == {"delivered"}
    got = receiver.on("/in")
    assert {r.headers["webhook-id"] for r in got} == set(ids)
    assert len(got) == 3 + 4  # every message once, plus the four answered 500
    for r in got:
        assert signed_by(SECRET, r)
        assert json.loads(r.body)["type"] in {"lead.mql", "lead.assigned", "sla.breached"}
    assert sleeps and all(s > 0 for s in sleeps)
    for message_id in ids:  # each retry waited its turn of the schedule, jitter at most 10 %
        tries = project.outbox_message(message_id).deliveries
        assert [t["attempt"] for t in tries] == list(range(1, len(tries) + 1))
        assert tries[-1]["status_code"] == 200 and tries[-1]["error"] is None
        times = [t["attempted_at"] for t in tries]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert all(gap >= wait * 0.9 for gap, wait in zip(gaps, SCHEDULE, strict=False))


def test_410_disables_the_endpoint_and_others_still_receive(
    tmp_path: Path, receiver: Receiver
) -> None:
    clock = HandClock(START)
    receiver.behaviour["/gone"] = lambda n: (410, {})
    project = project_with(tmp_path, clock, hook(receiver.url("/gone")), hook(receiver.url("/ok")))
    [first] = enqueue_events(project, "lead.mql")
    report = project.deliver()
    assert report.disabled == [receiver.url("/gone")]
    assert states(project) == {first: "delivered"}  # /ok took it; /gone is not retried
    second = enqueue_events(project, "lead.mql")[0]
    clock.advance(3600)
    project.deliver()
    assert len(receiver.on("/gone")) == 1  # disabled: never asked again
    assert [r.headers["webhook-id"] for r in receiver.on("/ok")] == [first, second]


def test_a_message_only_a_gone_endpoint_wanted_is_dead(tmp_path: Path, receiver: Receiver) -> None:
    clock = HandClock(START)
    receiver.behaviour["/gone"] = lambda n: (410, {})
    project = project_with(tmp_path, clock, hook(receiver.url("/gone")))
    [message_id] = enqueue_events(project, "lead.mql")
    project.deliver()
    message = project.outbox_message(message_id).message
    assert message.state == "dead" and "410" in (message.last_error or "")

    [later] = enqueue_events(project, "lead.mql")  # the endpoint is disabled: not even tried
    assert project.deliver().requests == 0
    assert "disabled" in (project.outbox_message(later).message.last_error or "")
    assert states(project)[later] == "dead"

    receiver.behaviour["/gone"] = lambda n: (200, {})  # it is back, and enabled again
    assert project.enable_webhook(receiver.url("/gone"))
    project.replay(later)
    assert project.deliver().delivered == 1
    assert [r.headers["webhook-id"] for r in receiver.on("/gone")][-1] == later


def test_retry_after_is_honoured(tmp_path: Path, receiver: Receiver) -> None:
    clock = HandClock(START)
    receiver.behaviour["/busy"] = lambda n: (503, {"Retry-After": "3600"}) if n == 0 else (200, {})
    project = project_with(tmp_path, clock, hook(receiver.url("/busy")))
    [message_id] = enqueue_events(project, "lead.mql")
    project.deliver()
    message = project.outbox_message(message_id).message
    assert message.state == "failed"
    assert message.next_attempt_at == START + dt.timedelta(hours=1)  # not the schedule's 5 s
    clock.advance(600)
    assert project.deliver().requests == 0  # not due yet
    clock.advance(3000)
    assert project.deliver().delivered == 1
    assert len(receiver.on("/busy")) == 2


def test_each_endpoint_gets_only_the_events_it_asks_for(tmp_path: Path, receiver: Receiver) -> None:
    clock = HandClock(START)
    project = project_with(
        tmp_path,
        clock,
        hook(receiver.url("/mql"), events=["lead.mql"]),
        hook(receiver.url("/all")),
        hook(receiver.url("/none"), events=["sla.escalated"]),
    )
    mql, breach = enqueue_events(project, "lead.mql", "sla.breached")
    project.deliver()
    assert [r.headers["webhook-id"] for r in receiver.on("/mql")] == [mql]
    assert sorted(r.headers["webhook-id"] for r in receiver.on("/all")) == sorted([mql, breach])
    assert receiver.on("/none") == []
    assert set(states(project).values()) == {"delivered"}


def test_replay_sends_again_with_the_same_id(tmp_path: Path, receiver: Receiver) -> None:
    clock = HandClock(START)
    project = project_with(tmp_path, clock, hook(receiver.url("/a")))
    [message_id] = enqueue_events(project, "lead.mql")
    project.deliver()
    replayed = project.replay(message_id)
    assert (replayed.state, replayed.round, replayed.message_id) == ("pending", 2, message_id)
    clock.advance(1)
    project.deliver()
    got = receiver.on("/a")
    assert [r.headers["webhook-id"] for r in got] == [message_id, message_id]
    assert got[0].body == got[1].body
    assert states(project) == {message_id: "delivered"}


def test_a_receiver_that_never_answers_2xx_dead_letters_after_about_a_day(
    tmp_path: Path, receiver: Receiver
) -> None:
    clock = HandClock(START)
    receiver.behaviour["/down"] = lambda n: (500, {})
    project = project_with(tmp_path, clock, hook(receiver.url("/down")))
    [message_id] = enqueue_events(project, "lead.mql")
    project.deliver(until_empty=True, sleep=clock.advance)
    detail = project.outbox_message(message_id)
    assert detail.message.state == "dead" and detail.message.next_attempt_at is None
    assert len(receiver.on("/down")) == len(detail.deliveries) == 8
    elapsed = clock.at - START
    assert dt.timedelta(hours=20) < elapsed < dt.timedelta(hours=36)
    assert project.deliver().requests == 0  # dead: only a replay sends it again


def test_a_redirect_or_a_slow_receiver_is_a_failed_try(tmp_path: Path, receiver: Receiver) -> None:
    clock = HandClock(START)
    receiver.behaviour["/moved"] = lambda n: (301, {"Location": receiver.url("/ok")})

    def slow(n: int) -> tuple[int, dict[str, str]]:
        time.sleep(1.0)  # longer than the endpoint's timeout
        return 200, {}

    receiver.behaviour["/slow"] = slow
    slow_hook = hook(receiver.url("/slow")) + "timeout = 0.2\n"
    project = project_with(tmp_path, clock, hook(receiver.url("/moved")), slow_hook)
    [message_id] = enqueue_events(project, "lead.mql")
    assert project.deliver().failed == 1
    tries = {t["endpoint"]: t for t in project.outbox_message(message_id).deliveries}
    assert tries[receiver.url("/moved")]["status_code"] == 301  # not followed
    assert receiver.on("/ok") == []
    assert tries[receiver.url("/slow")]["status_code"] is None
    assert "timed out" in (tries[receiver.url("/slow")]["error"] or "")
