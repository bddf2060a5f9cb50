"""The server's readers beside its one writer (leadgate.api.readers): a read sees one
snapshot while the writer commits, a reader cannot write, a person's action shows on the
next page at once, the kept queue order equals the store's, the overview is kept fresh in
the background, and the readers close when the server stops."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.api.readers import Readers
from leadgate.api.writer import Writer
from leadgate.project import Project
from leadgate.store import Store
from leadgate.store.snapshot import ReadOnlyStore

from .conftest import sign_in


def queue_ids(project: Project, **filters: Any) -> list[str]:
    """Every lead of the queue, page by page (small pages, so cursors are crossed)."""
    ids: list[str] = []
    cursor = None
    while True:
        page = project.queue(limit=7, cursor=cursor, **filters)
        ids += [r.lead_id for r in page.rows]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def reject(project: Project, lead: str) -> None:
    project.move(lead, "recycled", actor="user:ana", reason=project.reject_reasons[0])


def wait_for(condition: Callable[[], bool]) -> None:
    """Until ``condition`` holds (a bound on a background task, not a timing check)."""
    for _ in range(1200):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the condition never held")


def test_a_read_sees_one_snapshot_while_the_writer_commits(
    client: TestClient, project: Project
) -> None:
    readers: Readers = client.app.state.readers  # type: ignore[attr-defined]
    writer: Writer = client.app.state.writer  # type: ignore[attr-defined]
    inside, committed = threading.Event(), threading.Event()

    def unit(view: Project) -> tuple[Any, ...]:
        moves = view.store().scalar("SELECT count(*) FROM stage_transitions")
        queue = queue_ids(view)
        inside.set()
        assert committed.wait(60)
        return (
            moves,
            queue,
            view.store().scalar("SELECT count(*) FROM stage_transitions"),
            (queue_ids(view)),
        )

    found: list[tuple[Any, ...]] = []
    reading = threading.Thread(target=lambda: found.append(readers.call(unit)))
    reading.start()
    assert inside.wait(60)
    leaving = readers.call(queue_ids)[0]
    writer.call(reject, writer.project, leaving)  # committed while the read is open
    committed.set()
    reading.join()
    moves, queue, moves_after, queue_after = found[0]
    assert (moves_after, queue_after) == (moves, queue)  # one snapshot, start to end
    assert leaving in queue
    # The next read is a new snapshot: the commit shows.
    assert readers.call(lambda v: v.store().scalar("SELECT count(*) FROM stage_transitions")) == (
        moves + 1
    )
    assert leaving not in readers.call(queue_ids)


def test_a_reader_cannot_write(client: TestClient) -> None:
    readers: Readers = client.app.state.readers  # type: ignore[attr-defined]
    count = "SELECT count(*) FROM leads"
    before = readers.call(lambda v: v.store().scalar(count))
    lead = readers.call(queue_ids)[0]
    with pytest.raises(ReadOnlyStore, match="writer"):
        readers.call(lambda v: v.store().execute("DELETE FROM leads"))
    with pytest.raises(ReadOnlyStore):
        readers.call(lambda v: reject(v, lead))
    assert readers.call(lambda v: v.store().scalar(count)) == before
    assert lead in readers.call(queue_ids)  # nothing moved


def test_an_action_shows_on_the_next_page_at_once(client: TestClient) -> None:
    csrf = sign_in(client, "ana")
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    readers: Readers = client.app.state.readers  # type: ignore[attr-defined]
    first, second = (r["lead_id"] for r in client.get("/v1/dashboard/queue").json()["leads"][:2])
    reads = readers.queue_order.reads

    assert client.post(f"/queue/{first}/accept", headers=headers).status_code == 200
    lead = client.get(f"/v1/dashboard/leads/{first}").json()
    assert lead["history"]["stage"] == "sal"
    rows = {r["lead_id"]: r for r in client.get("/v1/dashboard/queue").json()["leads"]}
    assert rows[first]["stage"] == "sal"
    assert readers.queue_order.reads == reads + 1  # the write made the order be read again

    answer = client.post(f"/queue/{second}/reject", data={"reason": "no budget"}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert second not in {r["lead_id"] for r in client.get("/v1/dashboard/queue").json()["leads"]}
    assert client.get(f"/v1/dashboard/leads/{second}").json()["history"]["stage"] == "recycled"


def test_without_writes_the_queue_order_is_read_once(client: TestClient) -> None:
    sign_in(client, "rex")
    readers: Readers = client.app.state.readers  # type: ignore[attr-defined]
    writer: Writer = client.app.state.writer  # type: ignore[attr-defined]
    pages = [client.get("/v1/dashboard/queue").json() for _ in range(3)]
    generation, reads = writer.generation, readers.queue_order.reads
    assert [client.get("/v1/dashboard/queue").json() for _ in range(3)] == pages[:1] * 3
    assert client.get("/queue").status_code == 200
    assert (writer.generation, readers.queue_order.reads) == (generation, reads)


@pytest.mark.parametrize("filters", [{}, {"tier": "hot"}, {"stage": "mql"}])
def test_the_kept_order_pages_like_the_store(client: TestClient, filters: dict[str, str]) -> None:
    readers: Readers = client.app.state.readers  # type: ignore[attr-defined]
    writer: Writer = client.app.state.writer  # type: ignore[attr-defined]
    for _ in range(2):  # before and after a write
        kept = readers.call(lambda v: queue_ids(v, **filters))
        stored = writer.call(lambda: queue_ids(writer.project, **filters))  # no kept order
        assert kept == stored
        assert len(kept) > 7  # several pages
        writer.call(reject, writer.project, kept[3])


def test_the_overview_is_kept_fresh_in_the_background(client: TestClient) -> None:
    sign_in(client, "rex")
    kept = client.app.state.web_overview  # type: ignore[attr-defined]
    first = client.get("/v1/dashboard/overview").json()
    assert first["age_seconds"] >= 0 and first["refreshed_every"] > 0
    assert "computed" in client.get("/").text
    done = kept.computed
    client.portal.call(kept.soon)  # type: ignore[union-attr]  # as an activation does
    wait_for(lambda: kept.computed > done)  # recomputed with no request waiting for it
    assert client.get("/v1/dashboard/overview").json()["funnel"] == first["funnel"]


def test_the_readers_close_when_the_server_stops(project: Project) -> None:
    endless = "SELECT sum(i) FROM range(1000000000000) t(i)"  # a background read, at stop
    with TestClient(create_app(project)) as client:
        readers: Readers = client.app.state.readers  # type: ignore[attr-defined]
        threads = list(readers._threads)
        assert readers.open_cursors == readers.size == len(threads) > 1
        assert all(t.is_alive() for t in threads)
        started = threading.Event()
        running = readers._submit(lambda v: started.set() or v.store().scalar(endless))
        assert started.wait(60)
    with pytest.raises(duckdb.InterruptException):  # interrupted, not waited for
        running.result()
    assert readers.open_cursors == 0
    assert not any(t.is_alive() for t in threads)
    with pytest.raises(RuntimeError, match="not running"):
        readers.call(lambda v: None)
    with Store(project.store_path) as store:  # the file is free: a new writer opens it
        store.execute("CREATE TABLE after_stop AS SELECT 1 AS x")


def test_pages_answer_while_the_writer_is_busy(client: TestClient, clock: Any) -> None:
    sign_in(client, "rex")
    lead = client.get("/v1/dashboard/queue").json()["leads"][0]["lead_id"]
    clock.at += dt.timedelta(minutes=2)  # the session is due a write (its idle clock)
    writer: Writer = client.app.state.writer  # type: ignore[attr-defined]
    release = threading.Event()
    busy = threading.Thread(target=lambda: writer.call(lambda: release.wait(60)))
    busy.start()  # a long write (a sweep recording thousands of breaches)
    try:
        for path in (
            "/queue",
            "/v1/dashboard/queue",
            f"/leads/{lead}",
            f"/v1/dashboard/leads/{lead}",
        ):
            assert client.get(path).status_code == 200, path
        assert busy.is_alive()  # every page answered while the writer was still busy
    finally:
        release.set()
        busy.join()
