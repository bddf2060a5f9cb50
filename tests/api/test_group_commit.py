"""Group commit: requests that queue while the writer is busy commit in ONE transaction; an
acknowledged event survives ``kill -9`` of a real ``leadgate serve`` right after the answer."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from leadgate.api.batcher import Batcher
from leadgate.api.group import Pending
from leadgate.api.inputs import EventIn
from leadgate.api.live import LiveScores
from leadgate.api.local import read_note
from leadgate.api.metrics import Metrics, thread_cpu
from leadgate.api.writer import Writer
from leadgate.project import Project

from .conftest import NOW, api_project
from .test_one_writer import LEADGATE, start_server


def test_requests_that_queue_together_commit_in_one_transaction(tmp_path: Path) -> None:
    project = api_project(tmp_path / "p")
    ts = NOW.replace(tzinfo=None, hour=9)
    requests = [
        [EventIn("page_view", ts, lead_id=f"L{n}"), EventIn("demo_request", ts, lead_id=f"L{n}")]
        for n in range(12)
    ]

    async def scenario() -> tuple[Metrics, list[int]]:
        writer, metrics = Writer(project), Metrics()
        writer.start()
        try:
            batcher = Batcher(writer, LiveScores(), metrics, max_rows=1000)
            batcher.start()
            # All twelve queue while the writer is busy: one group.
            answers = await while_busy(
                writer, [batcher.submit(Pending("events", r)) for r in requests]
            )
            more = await batcher.submit(Pending("events", [EventIn("page_view", ts, lead_id="L0")]))
            await batcher.stop()
        finally:
            writer.stop()
        return metrics, [a.body["stored"] for a in [*answers, more]]

    metrics, stored = asyncio.run(scenario())
    assert stored == [2] * 12 + [0]  # the last one repeats an event: a duplicate
    assert metrics.commits == 2
    assert metrics.commit_requests.n == 2 and metrics.commit_requests.total == 13
    assert metrics.events == 24
    # of the commits' time, the writer thread's own on a core: some, never more than all
    assert 0 < metrics.commit_cpu_seconds <= metrics.commit_seconds.total + 1e-3
    shown = metrics.render(outbox_pending=0)
    assert f"leadgate_group_commit_cpu_seconds_total {metrics.commit_cpu_seconds}" in shown
    with project.store() as store:
        assert store.scalar("SELECT count(*) FROM events") == 24


def test_each_thread_is_counted_on_its_own_cpu_clock() -> None:
    spun, release = threading.Event(), threading.Event()

    def spin() -> None:
        while time.thread_time() < 0.05:  # 50 ms on a core, in this thread alone
            pass
        spun.set()
        release.wait()

    spinner = threading.Thread(target=spin, name="test-spinner", daemon=True)
    spinner.start()
    try:
        assert spun.wait(30)
        running = thread_cpu()
        shown = Metrics().render(outbox_pending=0)
    finally:
        release.set()
        spinner.join()
    assert running["test-spinner"] >= 0.05
    assert sum(running.values()) <= time.process_time()  # each thread its own, not the process's
    assert 'leadgate_thread_cpu_seconds_total{thread="test-spinner"}' in shown
    assert 'leadgate_thread_cpu_seconds_total{thread="MainThread"}' in shown
    ended = thread_cpu()
    assert "test-spinner" not in ended  # an ended thread's time counts in "other"
    assert ended["other"] >= 0.05


def test_a_group_is_capped_but_a_request_is_never_split(tmp_path: Path) -> None:
    project = api_project(tmp_path / "p")
    ts = NOW.replace(tzinfo=None, hour=9)
    requests = [[EventIn("page_view", ts.replace(minute=m), lead_id=f"L{n}") for m in range(3)]
                for n in range(5)]  # fmt: skip

    async def scenario() -> Metrics:
        writer, metrics = Writer(project), Metrics()
        writer.start()
        try:
            batcher = Batcher(writer, LiveScores(), metrics, max_rows=7)
            batcher.start()
            await while_busy(writer, [batcher.submit(Pending("events", r)) for r in requests])
            await batcher.stop()
        finally:
            writer.stop()
        return metrics

    metrics = asyncio.run(scenario())
    assert metrics.commits == 3  # 6 + 6 + 3 rows: two requests fit under 7, three do not
    assert metrics.events == 15


def test_the_drain_lets_a_waiting_call_run_between_its_groups(tmp_path: Path) -> None:
    """The writer thread commits group after group while requests queue, but a call that
    waits for the writer (a sales action) runs after the group under way, not after all."""
    project = api_project(tmp_path / "p")
    ts = NOW.replace(tzinfo=None, hour=9)
    requests = [[EventIn("page_view", ts, lead_id=f"L{n}")] for n in range(6)]

    async def scenario() -> tuple[int, Metrics]:
        writer, metrics = Writer(project), Metrics()
        writer.start()
        try:
            batcher = Batcher(writer, LiveScores(), metrics, max_rows=1)  # a group a request
            batcher.start()
            calls = [batcher.submit(Pending("events", r)) for r in requests]
            calls.append(writer.run(lambda: metrics.commits))  # queued behind the drain
            seen: int = (await while_busy(writer, calls))[-1]
            await batcher.stop()
        finally:
            writer.stop()
        return seen, metrics

    seen, metrics = asyncio.run(scenario())
    assert metrics.commits == 6
    assert seen == 1


async def while_busy(writer: Writer, calls: list[Any]) -> list[Any]:
    """Run ``calls`` (coroutines that queue work for the writer) while the writer thread is
    held busy, then let it go: they all queue before it takes any."""
    gate = threading.Event()
    writer.submit(gate.wait)
    tasks = [asyncio.ensure_future(call) for call in calls]
    await asyncio.sleep(0.05)  # every task has queued its request
    gate.set()
    return list(await asyncio.gather(*tasks))


def post(
    url: str, key: str, body: object, idem: str | None = None
) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if idem:
        headers["Idempotency-Key"] = idem
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, json.loads(answer.read())


def test_an_acknowledged_event_survives_kill_9(tmp_path: Path) -> None:
    project = api_project(tmp_path / "p")
    key = project.create_key("site", "ingest").key
    project.compiled()  # a valid definition, before the server holds the store
    server = start_server(project.root)
    try:
        note = read_note(project.root)
        assert note is not None
        sent = []
        for n in range(5):
            ts = f"2026-01-0{n + 1}T10:00:00Z"
            batch = [
                {"lead_id": f"L{n}", "type": "demo_request", "ts": ts, "event_id": f"e{n}-{m}"}
                for m in range(20)
            ]
            status, answer = post(note.url + "/v1/events", key, {"events": batch}, idem=f"k{n}")
            assert status == 200 and answer["stored"] == 20
            sent += [e["event_id"] for e in batch]
        os.kill(server.pid, signal.SIGKILL)  # right after the last answer
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    reopened = Project.open(project.root)
    with reopened.store() as store:
        stored = {r[0] for r in store.execute("SELECT event_id FROM events").fetchall()}
        answers = store.scalar("SELECT count(*) FROM idempotency")
        scored = store.scalar("SELECT count(*) FROM live_scores")
    assert stored == set(sent)
    assert answers == 5  # each answer is stored with its events
    assert scored == 0  # the leads were never upserted: nothing to score, as batch would


def test_the_server_answers_through_the_cli_beside_it_after_ingest(tmp_path: Path) -> None:
    project = api_project(tmp_path / "p")
    key = project.create_key("site", "ingest").key
    server = start_server(project.root)
    try:
        note = read_note(project.root)
        assert note is not None
        post(note.url + "/v1/leads", key, {"lead_id": "L1", "title": "CEO"})
        demo = {"lead_id": "L1", "type": "demo_request", "ts": "2026-01-01T10:00:00Z"}
        status, answer = post(note.url + "/v1/events", key, demo)
        assert status == 200 and answer["entered_mql"] == ["L1"]
        shown = subprocess.run(
            [*LEADGATE, "-C", str(project.root), "history", "L1", "--json"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["stage"] == "mql"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
