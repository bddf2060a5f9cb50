"""Lead pages read together (:meth:`Project.lead_reads`, :mod:`leadgate.api.batched`) are
each exactly the page read alone: every lead of a demo store, with and without an
account, with and without events, moved and assigned, and keys that are not a lead's id."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.api.batched import Batches
from leadgate.errors import LeadNotFound
from leadgate.handoff.many_leads import MOST, find_ids
from leadgate.project import Project
from leadgate.web import pages

from .conftest import MovingClock, sign_in


@pytest.fixture
def mixed(demo: Path, clock: MovingClock) -> Project:
    """The demo with every other lead's account taken away (their scores now differ from
    the stored ones: a warning each), some of those without events, and a move."""
    project = Project.open(demo, clock=clock)
    with project.store() as store:
        store.execute("UPDATE leads SET account_id = NULL WHERE hash(lead_id) % 2 = 0")
        store.execute(
            "DELETE FROM events WHERE lead_id IN (SELECT lead_id FROM leads "
            "WHERE account_id IS NULL AND hash(lead_id) % 3 = 0)"
        )
        queued = store.scalar(
            "SELECT h.lead_id FROM lead_handoff h JOIN leads l USING (lead_id) "
            "WHERE l.account_id IS NULL AND h.mql_at IS NOT NULL ORDER BY 1 LIMIT 1"
        )
    project.move(queued, "sal", actor="user:ana")
    return project


def test_every_lead_read_together_is_the_lead_read_alone(mixed: Project) -> None:
    with mixed.store() as store:
        ids = [r[0] for r in store.execute("SELECT lead_id FROM leads ORDER BY lead_id").fetchall()]
        email = store.scalar("SELECT email FROM leads WHERE email IS NOT NULL ORDER BY 1 LIMIT 1")
        lone = store.query(
            "SELECT l.lead_id, count(DISTINCT e.ts) AS events, count(DISTINCT t.seq) AS moves, "
            "count(DISTINCT a.assignment_id) AS assigned FROM leads l "
            "LEFT JOIN events e USING (lead_id) LEFT JOIN stage_transitions t USING (lead_id) "
            "LEFT JOIN assignments a USING (lead_id) WHERE l.account_id IS NULL GROUP BY 1"
        )
        together = find_ids(store, ids)
    # What the store holds: leads read together with and without events, moves, owners;
    # leads with an account (read alone).
    assert {k: any(r[k] for r in lone) for k in ("events", "moves", "assigned")} == dict.fromkeys(
        ("events", "moves", "assigned"), True
    )
    assert any(r["events"] == 0 for r in lone) and any(r["assigned"] == 0 for r in lone)
    assert len(together) == len(ids) and 0 < len(lone) < len(ids)

    keys = [*ids, email, "no-such-lead", ids[0]]
    now = dt.datetime(2026, 12, 1, 9, 0)
    compared = 0
    for start in range(0, len(keys), MOST):
        chunk = keys[start : start + MOST]
        read = pages.lead_reads(mixed, chunk)
        assert list(read) == list(dict.fromkeys(chunk))
        for key in chunk:
            found = read[key]
            if key == "no-such-lead":
                assert isinstance(found, LeadNotFound)
                with pytest.raises(LeadNotFound, match=str(found)):
                    pages.lead_read(mixed, key)
                continue
            alone = pages.lead_read(mixed, key)
            assert isinstance(found, pages.LeadRead)
            assert found.lead == alone.lead, key
            assert found.activity == alone.activity, key
            for at in (now, now + dt.timedelta(days=3)):  # the page as judged then
                assert found.at(at).as_dict() == alone.at(at).as_dict(), key
            compared += 1
    assert compared == len(ids) + 2


def test_the_leads_asked_for_in_the_same_moment_are_read_together(mixed: Project) -> None:
    """Twenty twins asked for while every reader is busy wait together: one read for all
    (after the first, which went at once), each answer its lead's alone; an unknown lead
    among them is a 404 for its request only."""
    project = mixed
    with project.store() as store:
        ids = [
            r[0] for r in store.execute("SELECT lead_id FROM leads ORDER BY 1 LIMIT 20").fetchall()
        ]
    asked = [*ids, "no-such-lead"]
    with TestClient(create_app(project)) as client:
        sign_in(client, "ana")
        app = client.app
        batches: Batches[str, pages.LeadRead] = app.state.web_leads  # type: ignore[attr-defined]
        readers = app.state.readers  # type: ignore[attr-defined]
        gate = threading.Event()
        busy = [
            threading.Thread(target=readers.call, args=(lambda _: gate.wait(30),))
            for _ in range(readers.size)
        ]
        for thread in busy:
            thread.start()
        answers: dict[str, tuple[int, bytes]] = {}

        def ask(lead: str) -> None:
            got = client.get(f"/v1/dashboard/leads/{lead}")
            answers[lead] = got.status_code, got.content

        users = [threading.Thread(target=ask, args=(lead,)) for lead in asked]
        for thread in users:
            thread.start()
        waited = time.monotonic()
        while len(batches.waiting) < len(asked) - 1 and time.monotonic() - waited < 30:
            time.sleep(0.01)
        assert len(batches.waiting) == len(asked) - 1  # the first's read is queued
        gate.set()
        for thread in [*busy, *users]:
            thread.join(30)
        assert (batches.reads, batches.items) == (2, len(asked))

        assert answers.pop("no-such-lead")[0] == 404
        app.state.kept_reads = type(app.state.kept_reads)()  # type: ignore[attr-defined]
        for lead, (status, body) in answers.items():
            assert status == 200
            assert client.get(f"/v1/dashboard/leads/{lead}").content == body, lead
        assert batches.reads == 2 + len(ids)  # each read again, alone
