"""Checkpoints in the ingest's pauses (:mod:`leadgate.api.checkpoints`): DuckDB's own
threshold is moved out of the way, the server moves the log into the file once idle, and
the batcher is not idle while a request waits or commits."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.api.batcher import Batcher
from leadgate.api.checkpoints import wal_bytes
from leadgate.api.group import Pending
from leadgate.api.inputs import EventIn
from leadgate.api.live import LiveScores
from leadgate.api.metrics import Metrics
from leadgate.api.settings import ApiSettings
from leadgate.api.writer import Writer
from leadgate.errors import ConfigError

from .conftest import NOW, api_project
from .test_workers import bearer, metrics, wait_for


def test_the_settings_read_a_ceiling_in_mib_and_an_idle_duration() -> None:
    settings = ApiSettings.from_table({"checkpoint_wal_mib": 64, "checkpoint_idle": "250ms"})
    assert settings.checkpoint_wal_mib == 64
    assert settings.checkpoint_idle == dt.timedelta(milliseconds=250)
    with pytest.raises(ConfigError, match="checkpoint_wal_mib"):
        ApiSettings.from_table({"checkpoint_wal_mib": 0})


def test_the_server_raises_duckdbs_threshold_and_checkpoints_once_idle(tmp_path: Path) -> None:
    api = 'event_index = false\ndeliver = false\ncheckpoint_wal_mib = 64\ncheckpoint_idle = "50ms"'
    project = api_project(tmp_path / "p", api=api)
    ts = NOW.replace(tzinfo=None, hour=9).isoformat() + "Z"
    with TestClient(create_app(project)) as client:
        writer = client.app.state.writer  # type: ignore[attr-defined]
        threshold = writer.call(
            lambda: project.store().scalar("SELECT current_setting('checkpoint_threshold')")
        )
        assert threshold == "64.0 MiB"
        keys = bearer(client, "ingest")
        answer = client.post("/v1/events", headers=keys, json={"events": [
            {"lead_id": f"L{n}", "type": "page_view", "ts": ts} for n in range(50)]})  # fmt: skip
        assert answer.status_code == 200 and answer.json()["stored"] == 50
        generation = writer.generation
        wait_for(lambda: wal_bytes(project.store_path) == 0)
        # A checkpoint changes no row: what the server kept of its reads stays true.
        assert writer.generation == generation
        assert "leadgate_checkpoints_total 0" not in metrics(client)
        count = writer.call(lambda: project.store().scalar("SELECT count(*) FROM events"))
        assert count == 50


def test_checkpoints_in_pauses_can_be_switched_off(tmp_path: Path) -> None:
    """A process that reads the held store beside the server (a test, a script embedding
    it) turns them off: DuckDB refuses a call on a connection the writer thread is using."""
    assert ApiSettings().checkpoint and not ApiSettings.from_table({"checkpoint": False}).checkpoint
    for api, running in [('checkpoint_idle = "50ms"', True), ("checkpoint = false", False)]:
        project = api_project(tmp_path / str(running), api=api)
        with TestClient(create_app(project)) as client:
            tasks = client.app.state.service.tasks  # type: ignore[attr-defined]
            assert ("checkpoint" in {task.get_name() for task in tasks}) is running


def test_the_batcher_is_not_idle_while_a_request_waits_or_commits(tmp_path: Path) -> None:
    project = api_project(tmp_path / "p")
    ts = NOW.replace(tzinfo=None, hour=9)

    async def scenario() -> tuple[float, float]:
        writer = Writer(project)
        writer.start()
        try:
            batcher = Batcher(writer, LiveScores(), Metrics(), max_rows=1000)
            batcher.start()
            answer = asyncio.ensure_future(
                batcher.submit(Pending("events", [EventIn("page_view", ts, lead_id="L1")]))
            )
            await asyncio.sleep(0)  # queued, not yet answered
            while_waiting = batcher.idle_for(time.monotonic() + 60)
            await answer
            await asyncio.sleep(0)  # the batcher task notes the pause after the answers
            after = batcher.idle_for(time.monotonic() + 60)
            await batcher.stop()
        finally:
            writer.stop()
        return while_waiting, after

    while_waiting, after = asyncio.run(scenario())
    assert while_waiting == 0.0
    assert after >= 60
