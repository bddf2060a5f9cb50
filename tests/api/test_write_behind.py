"""Write-behind (:mod:`leadgate.api.behind`): a group of events answered once it is in the
journal, written to the store later with the groups after it. What it writes is what a group
committed at once writes, row for row; a read sees every group answered before it; and a
journaled group survives ``kill -9`` of a real ``leadgate serve`` before it was written."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pickle
import re
import signal
import struct
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.api import behind as behind_module
from leadgate.api.app import create_app
from leadgate.api.behind import (
    Behind,
    Journal,
    Rows,
    journal_path,
    read_journal,
    recover,
    segments,
)
from leadgate.api.group import GroupReport, Pending, commit_group
from leadgate.api.inputs import EventIn
from leadgate.api.live import LiveScore, LiveScores
from leadgate.api.local import read_note
from leadgate.clock import FixedClock
from leadgate.project import Project
from leadgate.store import Store

from .conftest import NOW, api_project
from .test_group_commit import post
from .test_live_equals_batch import (
    DEFINITION,
    TITLES,
    TYPES,
    WINDOWED,
    WINDOWED_ROLLUP,
    first_leads,
    histories,
    requests,
    send,
)
from .test_one_writer import start_server

#: Groups stay pending until a read, another call or the server's stop needs them.
HELD_BACK = 'write_behind = true\nbehind_flush_idle = false\nbehind_max_age = "1h"\n'
#: Groups handed to the background flush as soon as it is free.
IN_BACKGROUND = "write_behind = true\n"
AT_ONCE = "write_behind = false\n"
TABLES = {
    "events": "SELECT event_id, lead_id, visitor_id, type, ts, url, properties FROM events",
    "live_scores": "SELECT * FROM live_scores",
    "stage_transitions": "SELECT * FROM stage_transitions",
    "stages": "SELECT lead_id, stage FROM leads",
    "lead_handoff": "SELECT * FROM lead_handoff",
    "outbox": "SELECT event_type, lead_id, body, state, created_at FROM outbox",
    "visitor_links": "SELECT * FROM visitor_links",
}


def replay(
    definition: str,
    api: str,
    leads: list[Any],
    events: list[Any],
    sent: list[tuple[str, Any]] | None = None,
) -> tuple[Any, ...]:
    """Send the history (each event request followed by a read of its first lead; ``sent``:
    these requests instead) to an in-process server; the answers, the reads, and every
    table the ingest writes."""
    with tempfile.TemporaryDirectory() as folder:
        root = api_project(Path(folder) / "p", definition, api).root
        config = root / "leadgate.toml"
        text = config.read_text(encoding="utf-8")
        assert "# reject_reasons = " in text
        config.write_text(text.replace("# reject_reasons = ", "reject_reasons = "), "utf-8")
        project = Project.open(root, clock=FixedClock(NOW))
        if sent and sent[0][0] == "import":  # leads stored before the server starts
            rows = Path(folder) / "leads.jsonl"
            rows.write_text("".join(json.dumps(lead) + "\n" for lead in sent[0][1]))
            assert project.import_file(str(rows), "leads").rows_rejected == 0
            sent = sent[1:]
        key = {"Authorization": f"Bearer {project.create_key('site', 'admin').key}"}
        if sent is None:
            sent = [("/v1/leads", {"leads": first_leads(leads, events)}), *requests(events)]
        answers, reads = [], []

        def answered(client: TestClient, path: str, body: dict[str, Any], answer: Any) -> None:
            answers.append((answer.status_code, answer.json()))
            first = (body.get("events") or [body])[0].get("lead_id")
            if path == "/v1/events" and first:
                read = client.get(f"/v1/leads/{first}", headers=key)
                reads.append((read.status_code, read.json()))

        send(project, key, sent, answered)
        assert not segments(journal_path(project.store_path))  # all written by the stops
        with project.store() as store:
            tables = {
                name: sorted(map(repr, store.execute(sql).fetchall()))
                for name, sql in TABLES.items()
            }
    # the key's id is drawn at random in each store: the actor of its actions
    return tuple(re.sub(r"key:[0-9a-f]+", "key:K", repr(x)) for x in (answers, reads, tables))


@pytest.mark.parametrize("definition", [DEFINITION, WINDOWED], ids=["unbounded", "windowed"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories())
def test_groups_written_behind_write_what_groups_committed_at_once_write(
    definition: str, history: tuple[list[Any], list[Any], str]
) -> None:
    """The same random history (events by lead, email and visitor, duplicates, upserts,
    restarts), sent to a server that holds groups back until a read needs them and to one
    that commits each at once: the same answers, the same reads of the lead after each
    request (a read waits for the groups answered before it), the same rows in the end."""
    leads, events, api = history
    at_once = replay(definition, api + "\n" + AT_ONCE, leads, events)
    for way in (HELD_BACK, IN_BACKGROUND):
        behind = replay(definition, api + "\n" + way, leads, events)
        assert behind[0] == at_once[0]
        assert behind[1] == at_once[1]
        assert behind[2] == at_once[2]


@st.composite
def ingest(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """Stored leads, then requests of one to three events on them (by id or email, some
    older than the 30-day window, some sent again), the lead read after each, and sales
    actions now and then (accepted, rejected to ``recycled``: a recycled lead enters again
    only with an event after its recycling, which may still be pending)."""
    n_leads = draw(st.integers(1, 3))
    leads = [
        {"lead_id": f"L{n}", "email": f"p{n}@acme.com", "title": draw(st.sampled_from(TITLES))}
        for n in range(n_leads)
    ]
    out: list[tuple[str, Any]] = [("import", leads)]
    sent: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 12))):
        lead = draw(st.integers(0, n_leads - 1))
        if draw(st.integers(0, 4)) == 0:
            action = draw(st.sampled_from([
                {"action": "accept"}, {"action": "reject", "reason": "no budget",
                                       "stage": "recycled"}]))  # fmt: skip
            out.append((f"/v1/leads/L{lead}/actions", action))
            continue
        if sent and draw(st.integers(0, 4)) == 0:
            out.append(("/v1/events", dict(draw(st.sampled_from(sent)))))  # again: stored once
            continue
        events = []
        for _ in range(draw(st.integers(1, 3))):
            minutes = draw(st.integers(0, 40 * 24 * 60))
            event = {"type": draw(st.sampled_from(TYPES)),
                     "ts": (NOW - dt.timedelta(minutes=minutes)).isoformat()}  # fmt: skip
            if draw(st.booleans()):
                event["lead_id"] = f"L{lead}"
            else:
                event["email"] = f"P{lead}@acme.com"
            events.append(event)
        body = events[0] if len(events) == 1 else {"events": events}
        sent.append(body)
        out.append(("/v1/events", body))
    return out


@pytest.mark.parametrize("definition", [WINDOWED, WINDOWED_ROLLUP], ids=["lead", "account"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sent=ingest())
def test_events_on_stored_leads_written_behind_equal_those_committed_at_once(
    definition: str, sent: list[tuple[str, Any]]
) -> None:
    """Events on stored leads, every group decided from memory: the same answers, reads
    and rows as a server committing each group at once, with sales actions between them
    (each runs after the groups pending before it are written); also when scores read the
    account's other leads (the leads share their email's domain's account)."""
    at_once = replay(definition, AT_ONCE, [], [], sent)
    for api in (HELD_BACK, IN_BACKGROUND):
        behind = replay(definition, api, [], [], sent)
        assert behind[0] == at_once[0]
        assert behind[1] == at_once[1]
        assert behind[2] == at_once[2]


def _events(project: Project) -> list[Pending]:
    ts = NOW.replace(tzinfo=None) - dt.timedelta(hours=2)
    return [
        Pending("events", [EventIn("demo_request", ts, lead_id="L1", event_id="e1")]),
        Pending("events", [EventIn("pricing_page", ts, lead_id="L2", event_id="e2")]),
    ]


def _stored_leads(project: Project) -> None:
    rows = project.root / "leads.jsonl"
    rows.write_text('{"lead_id": "L1", "title": "VP Sales"}\n{"lead_id": "L2"}\n')
    assert project.import_file(str(rows), "leads").rows_rejected == 0


@contextlib.contextmanager
def _two_groups_journaled(
    tmp_path: Path, definition: str
) -> Iterator[tuple[Project, Store, LiveScores, Behind, list[GroupReport]]]:
    """A project of two stored leads, held by a writer that journals groups (as the
    server does), and :func:`_events`' two groups committed, each journaled."""
    project = api_project(tmp_path / "p", definition)
    _stored_leads(project)
    live = LiveScores()
    with project.serving() as store:
        behind = Behind(project.store_path)
        behind.start(store)
        live.warm(project)
        reports = [commit_group(project, live, [p], behind) for p in _events(project)]
        assert [r.deferred for r in reports] == [True, True]
        yield project, store, live, behind, reports


def test_a_group_is_journaled_and_reaches_the_store_at_the_flush(tmp_path: Path) -> None:
    """A group of events on held leads is answered from the journal: the store has none of
    it until the flush writes every pending group in one go; a duplicate of a pending event
    is found (its key is pending), and a group that upserts a lead is committed at once,
    after the pending ones."""
    with _two_groups_journaled(tmp_path, WINDOWED) as (project, store, live, behind, reports):
        assert reports[0].answers[0].body["entered_mql"] == ["L1"]
        assert store.scalar("SELECT count(*) FROM events") == 0
        assert [seq for seq, _ in read_journal(journal_path(project.store_path))] == [1, 2]
        again = commit_group(project, live, _events(project)[:1], behind)
        assert again.answers[0].body["duplicates"] == 1
        upsert = commit_group(project, live, [Pending("leads", [{"lead_id": "L3"}])], behind)
        assert not upsert.deferred and not behind.pending
        assert store.scalar("SELECT count(*) FROM events") == 2
        assert store.execute("SELECT lead_id, stage FROM leads ORDER BY 1").fetchall() == [
            ("L1", "mql"), ("L2", "lead"), ("L3", "lead")
        ]  # fmt: skip
        assert store.scalar("SELECT max(seq) FROM journal_applied") == 3
        assert not segments(journal_path(project.store_path))  # all written: none kept
        behind.close()


def test_a_group_reading_the_account_is_journaled_unless_an_event_is_after_the_clock(
    tmp_path: Path,
) -> None:
    """Scores that read the account's other leads are decided from memory too, unless a
    lead holds an event after the clock (a minute ahead, which the API accepts): such a
    lead is scored as of that event with its account read back from the store, so that
    group, and those after it until the clock passes the event, are committed at once."""
    with _two_groups_journaled(tmp_path, WINDOWED_ROLLUP) as (project, store, live, behind, _):
        ahead = NOW.replace(tzinfo=None) + dt.timedelta(minutes=1)
        later = [Pending("events", [EventIn("page_view", ahead, lead_id="L2", event_id="e3")]),
                 Pending("events", [EventIn("page_view", ahead - dt.timedelta(hours=1),
                                            lead_id="L1", event_id="e4")])]  # fmt: skip
        reports = [commit_group(project, live, [p], behind) for p in later]
        assert [r.deferred for r in reports] == [False, False]
        assert store.scalar("SELECT count(*) FROM events") == 4
        behind.close()


def test_a_cut_record_is_dropped_and_no_record_is_written_twice(tmp_path: Path) -> None:
    """Recovery writes the whole records the store lacks, drops one cut short by the crash,
    and skips those the store already holds (a journal whose emptying never reached the
    disk)."""
    project = api_project(tmp_path / "p")
    _stored_leads(project)
    base = journal_path(project.store_path)
    ts = NOW.replace(tzinfo=None)
    records = [
        Rows(ts, "h", events=[(EventIn("page_view", ts, "L1"), f"k{n}", "L1", n)]) for n in range(3)
    ]
    journal = Journal(base)
    for seq, rows in enumerate(records[:2], start=1):
        journal.append(seq, rows)
    (segment,) = segments(base)
    whole = segment.read_bytes()
    journal.append(3, records[2])
    journal.close()
    segment.write_bytes(segment.read_bytes()[: len(whole) + 9])  # the third cut after 9 bytes
    with project.store() as store:  # opening it writes what the journal holds
        keys = [r[0] for r in store.execute("SELECT event_id FROM events ORDER BY 1").fetchall()]
        assert keys == ["k0", "k1"]
        assert not segments(base)
        segment.write_bytes(whole)  # as if the removal had been lost
        assert recover(store, project.store_path) == 0
        assert store.scalar("SELECT count(*) FROM events") == 2
        assert not segments(base)


def test_a_journaled_group_survives_kill_9_before_it_is_written(tmp_path: Path) -> None:
    """A real ``leadgate serve`` holding groups back answers them from its journal; killed
    with ``kill -9`` before writing them, its store (opened by the CLI next) has every
    answered event, score, MQL entry and outbox message."""
    project = api_project(tmp_path / "p", WINDOWED, HELD_BACK)
    _stored_leads(project)
    key = project.create_key("site", "ingest").key
    project.compiled()
    server = start_server(project.root)
    try:
        note = read_note(project.root)
        assert note is not None
        # the server's clock is the real one: events of an hour ago on it
        ts = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat()
        answers = [
            post(note.url + "/v1/events", key, {"lead_id": lead, "type": kind, "ts": ts})
            for lead, kind in [("L1", "demo_request"), ("L2", "page_view"), ("L1", "page_view")]
        ]
        assert [status for status, _ in answers] == [200, 200, 200]
        assert answers[0][1]["entered_mql"] == ["L1"]
        assert len(list(read_journal(journal_path(project.store_path)))) == 3
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    with Project.open(project.root).store() as store:
        assert store.scalar("SELECT count(*) FROM events") == 3
        assert store.execute("SELECT lead_id FROM live_scores ORDER BY 1").fetchall() == [
            ("L1",), ("L2",)
        ]  # fmt: skip
        assert store.execute("SELECT lead_id, from_stage, to_stage FROM stage_transitions")\
            .fetchall() == [("L1", "lead", "mql")]  # fmt: skip
        assert store.scalar("SELECT count(*) FROM outbox WHERE event_type = 'lead.mql'") == 1
        moved_at = store.scalar("SELECT moved_at FROM stage_transitions")
        assert store.scalar("SELECT mql_at FROM lead_handoff") == moved_at  # the SLA's start
    assert not segments(journal_path(project.store_path))


def test_a_lead_sales_moved_does_not_enter_again_from_a_group_written_behind(
    tmp_path: Path,
) -> None:
    """A write-behind group takes its leads' stages from memory (:mod:`.held_stages`): a
    lead accepted before the server read them, and one accepted after its entry was
    written, are in ``sal``, so events that keep them in a sales tier enter neither again."""
    project = api_project(tmp_path / "p", WINDOWED)
    rows = project.root / "leads.jsonl"
    rows.write_text('{"lead_id": "L1", "title": "VP Sales"}\n{"lead_id": "L3", "title": "VP"}\n')
    assert project.import_file(str(rows), "leads").rows_rejected == 0
    ts = NOW.replace(tzinfo=None) - dt.timedelta(hours=2)

    def demo(lead: str, minutes: int) -> list[Pending]:
        at = ts + dt.timedelta(minutes=minutes)
        return [Pending("events", [EventIn("demo_request", at, lead_id=lead)])]

    live = LiveScores()
    with project.serving() as store:
        assert commit_group(project, live, demo("L3", 0)).answers[0].body["entered_mql"] == ["L3"]
        project.act("L3", "accept", actor="user:ana")  # before the stages are read
        behind = Behind(project.store_path)
        behind.start(store)
        live.warm(project)
        first = commit_group(project, live, demo("L1", 1) + demo("L3", 2), behind)
        assert first.deferred
        assert [a.body["entered_mql"] for a in first.answers] == [["L1"], []]
        behind.flush(store)
        project.act("L1", "accept", actor="user:ana")  # after they were read
        again = commit_group(project, live, demo("L1", 3) + demo("L3", 4), behind)
        assert again.deferred
        assert [a.body["entered_mql"] for a in again.answers] == [[], []]
        behind.flush(store)
        moves = store.execute(
            "SELECT lead_id, from_stage, to_stage FROM stage_transitions ORDER BY seq"
        ).fetchall()
        behind.close()
    assert moves == [("L3", "lead", "mql"), ("L3", "mql", "sal"), ("L1", "lead", "mql"),
                     ("L1", "mql", "sal")]  # fmt: skip


def test_a_lead_erased_and_imported_again_enters_from_a_group_written_behind(
    tmp_path: Path,
) -> None:
    """An erasure changes leads outside the stage transitions: what the server holds goes
    (as the erasure route does), the stages with it, so the same lead imported again starts
    at ``lead`` and enters ``mql``."""
    project = api_project(tmp_path / "p", WINDOWED)
    rows = project.root / "leads.jsonl"
    rows.write_text('{"lead_id": "L1", "email": "ana@acme.test", "title": "VP Sales"}\n')
    assert project.import_file(str(rows), "leads").rows_rejected == 0
    ts = NOW.replace(tzinfo=None) - dt.timedelta(hours=2)
    late = [Pending("events", [EventIn("demo_request", ts, lead_id="L1")])]
    live = LiveScores()
    with project.serving() as store:
        behind = Behind(project.store_path)
        behind.start(store)
        live.warm(project)
        assert commit_group(project, live, late, behind).answers[0].body["entered_mql"] == ["L1"]
        behind.flush(store)
        project.act("L1", "accept", actor="user:ana")
        late[0].rows[0] = late[0].rows[0]._replace(ts=ts + dt.timedelta(minutes=1))
        assert commit_group(project, live, late, behind).answers[0].body["entered_mql"] == []
        behind.flush(store)
        project.forget("ana@acme.test", actor="user:dpo")
        live.forget()
        assert project.import_file(str(rows), "leads").rows_rejected == 0
        live.warm(project)  # the store read again, as the next group would
        again = commit_group(project, live, late, behind)
        behind.flush(store)
        behind.close()
    assert again.deferred and again.answers[0].body["entered_mql"] == ["L1"]


def test_a_recycled_lead_enters_again_with_an_event_still_pending(tmp_path: Path) -> None:
    """A recycled lead enters ``mql`` again only with an event after its recycling: one in
    the group being decided counts though the store does not have it yet."""
    project = api_project(tmp_path / "p", WINDOWED)
    (project.root / "leadgate.toml").write_text(
        (project.root / "leadgate.toml")
        .read_text(encoding="utf-8")
        .replace("# reject_reasons = ", "reject_reasons = "),
        encoding="utf-8",
    )
    project = Project.open(project.root, clock=FixedClock(NOW))
    _stored_leads(project)
    live = LiveScores()
    ts = NOW.replace(tzinfo=None)
    with project.serving() as store:
        behind = Behind(project.store_path)
        behind.start(store)
        live.warm(project)
        first = commit_group(project, live, _events(project)[:1], behind)
        assert first.deferred and first.answers[0].body["entered_mql"] == ["L1"]
        behind.flush(store)  # as the writer does before any other call
        project.act("L1", "reject", actor="user:ana", reason="no budget", stage="recycled")
        late = [EventIn("demo_request", ts + dt.timedelta(minutes=1), lead_id="L1")]  # after it
        again = commit_group(project, live, [Pending("events", late)], behind)
        assert again.deferred and again.answers[0].body["entered_mql"] == ["L1"]
        behind.flush(store)
        moves = store.execute(
            "SELECT from_stage, to_stage FROM stage_transitions ORDER BY seq"
        ).fetchall()
        behind.close()
    assert moves == [("lead", "mql"), ("mql", "recycled"), ("recycled", "mql")]


def test_a_full_segment_goes_once_the_store_holds_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records go to one segment until it is full; a full segment is deleted once the store
    holds its last record, the one being written when the server stops with all written."""
    monkeypatch.setattr(behind_module, "SEGMENT_BYTES", 1)  # each record fills one
    base = tmp_path / "s.duckdb.journal"
    rows = Rows(NOW.replace(tzinfo=None), "h")
    journal = Journal(base)
    for seq in (1, 2, 3):
        journal.append(seq, rows)
    assert [p.name for p in segments(base)] == [f"s.duckdb.journal.{n}" for n in (1, 2, 3)]
    journal.applied(2)
    assert [seq for seq, _ in read_journal(base)] == [3]
    journal.close(applied=2)  # record 3 is not in the store: kept
    assert [seq for seq, _ in read_journal(base)] == [3]
    monkeypatch.setattr(behind_module, "SEGMENT_BYTES", 1 << 20)
    later = Journal(base)
    later.append(4, rows)
    later.append(5, rows)
    assert [p.name for p in segments(base)] == [f"s.duckdb.journal.{n}" for n in (3, 4)]
    later.close(applied=5)
    assert [p.name for p in segments(base)] == ["s.duckdb.journal.3"]  # not this one's


def test_a_journal_record_reads_back_as_the_rows_it_was_written_from(tmp_path: Path) -> None:
    """A record (msgpack on disk) reads back as the same events, scores, replaced leads and
    entries; records in the older formats (pickles: the flat ``rows-v2`` tuple, and the
    ``Rows`` before it), left by a server stopped before an upgrade, still read."""
    at = NOW.replace(tzinfo=None)
    ts = at - dt.timedelta(hours=1, microseconds=7)
    event = EventIn("pricing_page", ts, "L1", None, "v-1", "e-1", "https://x.test/p", '{"a": 1}')
    score = LiveScore("L1", ts, 40.0, 12.5, 52.5, "B", 2, "mql", False, None, True)
    micros = (event.ts - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)
    rows = Rows(at, "h", [(event, "e-1", "L1", micros)], [score], ["L1"],
                [("L1", "lead", 52.5, "mql", "h", at)])  # fmt: skip
    base = tmp_path / "s.duckdb.journal"
    journal = Journal(base)
    journal.append(1, rows)
    journal.close()
    to_us = (score.as_of - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)
    flat = ("rows-v2", 2, at, "h",
            [("pricing_page", "L1", None, "v-1", "e-1", "https://x.test/p", '{"a": 1}',
              "e-1", "L1", micros)],
            [("L1", to_us, *score[2:])], ["L1"],
            [("L1", "lead", 52.5, "mql", "h", at)])  # fmt: skip
    with open(segments(base)[0], "ab") as segment:
        for older in (pickle.dumps(flat, protocol=5), pickle.dumps((3, rows), protocol=5)):
            segment.write(struct.pack("<II", len(older), zlib.crc32(older)) + older)
    read = list(read_journal(base))
    assert [seq for seq, _ in read] == [1, 2, 3]
    assert segments(base)[0].read_bytes()[8:9] != b"\x80"  # the new record is not a pickle
    for _, back in read:
        assert back == rows
        assert type(back.events[0][0]) is EventIn and type(back.scores[0]) is LiveScore


def test_an_erasure_leaves_nothing_of_the_person_in_the_journal(tmp_path: Path) -> None:
    """The journal keeps records already written until a segment is full; an erasure
    through the server (a call on the writer) empties it, so the person's email is not left
    on disk there."""
    project = api_project(tmp_path / "p", WINDOWED, IN_BACKGROUND)
    rows = tmp_path / "leads.jsonl"
    rows.write_text('{"lead_id": "L1", "email": "ana@acme.com", "title": "VP Sales"}\n')
    assert project.import_file(str(rows), "leads").rows_rejected == 0
    key = {"Authorization": f"Bearer {project.create_key('dpo', 'admin').key}"}
    base = journal_path(project.store_path)
    ts = (NOW - dt.timedelta(hours=1)).isoformat()
    with TestClient(create_app(project)) as client:
        for kind in ("page_view", "pricing_page"):
            event = {"email": "ana@acme.com", "type": kind, "ts": ts}
            assert client.post("/v1/events", headers=key, json=event).status_code == 200
        assert any(b"ana@acme.com" in p.read_bytes() for p in segments(base))
        erased = client.post("/v1/erasures", headers=key, json={"email": "ana@acme.com"})
        assert erased.status_code == 200, erased.text
        assert not any(b"ana@acme.com" in p.read_bytes() for p in segments(base))


def test_a_read_hands_the_pending_groups_to_the_flush_thread(tmp_path: Path) -> None:
    """A read waits for the groups answered before it, but the writer does not write them
    itself (it would hold up the ingest for the whole write): the flush thread does, and
    the journal is not emptied as the writer's own flush empties it."""
    project = api_project(tmp_path / "p", WINDOWED, HELD_BACK)
    _stored_leads(project)
    ts = (NOW - dt.timedelta(hours=2)).isoformat()
    with TestClient(create_app(project)) as client:
        keys = {"Authorization": f"Bearer {project.create_key('site', 'admin').key}"}
        answer = client.post("/v1/events", headers=keys, json={
            "lead_id": "L1", "type": "demo_request", "ts": ts, "event_id": "e1"})  # fmt: skip
        assert answer.status_code == 200 and answer.json()["entered_mql"] == ["L1"]
        behind = client.app.state.writer.behind  # type: ignore[attr-defined]
        assert behind.pending and behind.applied == 0  # held back: nothing written yet
        read = client.get("/v1/leads/L1", headers=keys)
        assert read.status_code == 200 and read.json()["stage"] == "mql"  # read your writes
        assert behind.applied == behind.seq == 1 and behind.flushes == 1
        assert segments(journal_path(project.store_path))  # written by the flush thread
