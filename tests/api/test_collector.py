"""The server's full garbage collections (:mod:`leadgate.api.collector`): Python's own
full passes are off while it serves, it makes them in the ingest's pauses (and at the
latest every ``full_gc_every``), and Python's thresholds come back when it stops."""

from __future__ import annotations

import gc
import re
import time
import weakref
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.api.collector import FullCollections
from leadgate.api.live import LiveScores
from leadgate.api.settings import ApiSettings
from leadgate.project import Project

from .conftest import NOW, api_project
from .test_workers import bearer, metrics, wait_for


class _Cycle:
    """An object that refers to itself: only a collection frees it."""

    def __init__(self) -> None:
        self.me = self


def _garbage_in_the_oldest_generation() -> weakref.ref[_Cycle]:
    """A reference cycle that survived a young collection (so it sits in the oldest
    generation), then dropped: only a full pass frees it."""
    cycle = _Cycle()
    gc.collect(1)  # it survives: moved to the oldest generation
    ref = weakref.ref(cycle)
    del cycle
    return ref


def test_the_server_makes_the_full_passes_in_the_ingests_pauses(tmp_path: Path) -> None:
    before = gc.get_threshold()
    project = api_project(tmp_path / "p", api='deliver = false\ncheckpoint_idle = "50ms"')
    with TestClient(create_app(project)) as client:
        assert gc.get_threshold()[:2] == before[:2]  # the young generations as before
        assert gc.get_threshold()[2] > 1_000_000  # Python's own full passes: never
        ts = NOW.replace(tzinfo=None, hour=9).isoformat() + "Z"
        answer = client.post("/v1/events", headers=bearer(client, "ingest"), json={
            "events": [{"lead_id": f"L{n}", "type": "page_view", "ts": ts} for n in range(20)]
        })  # fmt: skip
        assert answer.status_code == 200
        ref = _garbage_in_the_oldest_generation()
        wait_for(lambda: ref() is None)  # the server's pass, once idle
        shown = metrics(client)
        assert "leadgate_full_collections_total 0" not in shown
        took = re.search(r"^leadgate_full_collection_seconds_total (\S+)$", shown, re.M)
        assert took is not None and float(took.group(1)) > 0
        collections = client.app.state.service.collections  # type: ignore[attr-defined]
        passes = collections.count
        for _ in range(20):  # idle, young collections promoting objects: no pass again
            kept = [[n] for n in range(20_000)]
            time.sleep(0.05)
        assert collections.count == passes and kept
        answer = client.post("/v1/events", headers=bearer(client, "ingest"), json={
            "lead_id": "L1", "type": "page_view", "ts": ts, "event_id": "again"})  # fmt: skip
        assert answer.status_code == 200
        wait_for(lambda: collections.count == passes + 1)  # the next pause's pass
    assert gc.get_threshold() == before


def test_a_load_that_never_pauses_still_gets_a_full_pass(tmp_path: Path) -> None:
    """With no pause long enough (``checkpoint_idle`` an hour), ``full_gc_every`` still
    makes one."""
    api = 'deliver = false\ncheckpoint_idle = "1h"\nfull_gc_every = "100ms"'
    project = api_project(tmp_path / "p", api=api)
    with TestClient(create_app(project)):
        ref = _garbage_in_the_oldest_generation()
        wait_for(lambda: ref() is None)


def test_full_gc_off_leaves_pythons_thresholds_alone(tmp_path: Path) -> None:
    assert ApiSettings().full_gc and not ApiSettings.from_table({"full_gc": False}).full_gc
    before = gc.get_threshold()
    project = api_project(tmp_path / "p", api="full_gc = false")
    with TestClient(create_app(project)) as client:
        assert gc.get_threshold() == before
        tasks = client.app.state.service.tasks  # type: ignore[attr-defined]
        assert "full-gc" not in {task.get_name() for task in tasks}


def test_two_servers_in_one_process_give_the_thresholds_back_once_both_stopped() -> None:
    before = gc.get_threshold()
    first, second = FullCollections(), FullCollections()
    first.take_over()
    second.take_over()
    first.give_back()  # the second still serves: still off
    assert gc.get_threshold()[2] > 1_000_000
    first.give_back()  # twice: nothing more
    assert gc.get_threshold()[2] > 1_000_000
    second.give_back()
    assert gc.get_threshold() == before


def test_a_server_whose_start_fails_gives_the_thresholds_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start fails after the server took the full passes over (its read of the held
    store raises): the thresholds are Python's again, as after a stop."""
    before = gc.get_threshold()
    project = api_project(tmp_path / "p", api="deliver = false")

    def unreadable(self: LiveScores, project: Project) -> None:
        raise OSError("the store cannot be read")

    monkeypatch.setattr(LiveScores, "warm", unreadable)
    with pytest.raises(OSError, match="cannot be read"), TestClient(create_app(project)):
        pass
    assert gc.get_threshold() == before
