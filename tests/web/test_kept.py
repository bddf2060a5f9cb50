"""Reads the server keeps until the store next changes (leadgate.api.kept): a page asked for
again reads nothing, any write (an action, a scoring run, a statement on the held store
made around the writer) shows on the next page, and a kept read judged later equals the
page read afresh then. The answers made of a kept read are kept for a second: the same
bytes again in that second, made anew in the next, never one person's page for another,
never anything without a session."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.api.kept import KeptReads
from leadgate.api.readers import Readers
from leadgate.api.writer import Writer
from leadgate.clock import naive_utc
from leadgate.handoff.lead import owner_of
from leadgate.handoff.one_lead import read_lead_rows
from leadgate.handoff.sla import clocks_of, read_periods
from leadgate.handoff.transitions import history
from leadgate.project import Project
from leadgate.scoring.lookup import find_lead
from leadgate.web import pages

from .conftest import MovingClock, sign_in
from .test_readers import wait_for


def state(client: TestClient) -> tuple[KeptReads, Writer, Readers]:
    app: Any = client.app
    return app.state.kept_reads, app.state.writer, app.state.readers


def fresh_queue(writer: Writer) -> Any:
    """The queue page read now on the writer, nothing kept (no kept order either)."""
    return jsonable_encoder(writer.call(lambda: pages.queue_page(writer.project).as_dict()))


def fresh_lead(writer: Writer, lead: str) -> Any:
    return jsonable_encoder(writer.call(lambda: pages.lead_page(writer.project, lead).as_dict()))


def test_a_page_asked_again_reads_nothing_until_the_store_changes(client: TestClient) -> None:
    sign_in(client, "rex")
    kept, writer, _ = state(client)
    queue = client.get("/v1/dashboard/queue").json()
    lead = queue["leads"][0]["lead_id"]
    first = client.get(f"/v1/dashboard/leads/{lead}").json()
    reads = kept.reads
    assert client.get("/v1/dashboard/queue").json() == queue
    assert client.get(f"/v1/dashboard/leads/{lead}").json() == first
    assert client.get("/queue").status_code == client.get(f"/leads/{lead}").status_code == 200
    assert kept.reads == reads  # the pages, their twins and the session: all from memory
    assert queue == fresh_queue(writer) and first == fresh_lead(writer, lead)


def _accept(client: TestClient, project: Project, lead: str, csrf: str) -> None:
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    assert client.post(f"/queue/{lead}/accept", headers=headers).status_code == 200


def _contacted(client: TestClient, project: Project, lead: str, csrf: str) -> None:
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    assert client.post(f"/queue/{lead}/contacted", headers=headers).status_code == 200


def _reject(client: TestClient, project: Project, lead: str, csrf: str) -> None:
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    answer = client.post(f"/queue/{lead}/reject", data={"reason": "no budget"}, headers=headers)
    assert answer.status_code == 200, answer.text


def _rescored(client: TestClient, project: Project, lead: str, csrf: str) -> None:
    """A new scoring run by a changed definition (every rule that adds points adds more)."""
    path = project.definition_path
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"points: (\d)", r"points: 1\1", text), encoding="utf-8")
    writer: Writer = client.app.state.writer  # type: ignore[attr-defined]
    writer.call(lambda: writer.project.score(details=True))


def _around_the_writer(client: TestClient, project: Project, lead: str, csrf: str) -> None:
    """A statement on the held store made by this process, not through the writer."""
    project.store().execute("UPDATE leads SET company = 'Renamed Ltd' WHERE lead_id = ?", [lead])


@pytest.mark.parametrize(
    "write", [_accept, _contacted, _reject, _rescored, _around_the_writer], ids=lambda f: f.__name__
)
def test_a_write_shows_on_the_next_page(client: TestClient, project: Project, write: Any) -> None:
    csrf = sign_in(client, "ana")
    kept, writer, _ = state(client)
    rows = client.get("/v1/dashboard/queue").json()["leads"]
    lead = next(r["lead_id"] for r in rows if r["first_touch_at"] is None)
    before = client.get(f"/v1/dashboard/leads/{lead}").json()
    page = client.get(f"/leads/{lead}").text
    client.get("/queue")  # every kept read and answer there is (the clock stands still:
    write(client, project, lead, csrf)  # the write is in the same second as the answers)
    queue = client.get("/v1/dashboard/queue").json()
    after = client.get(f"/v1/dashboard/leads/{lead}").json()
    assert queue == fresh_queue(writer)
    assert after == fresh_lead(writer, lead) != before  # the write changed the lead's page
    assert client.get(f"/leads/{lead}").text != page  # and the HTML page shows it


def test_a_kept_read_judged_later_equals_a_fresh_read_then(
    client: TestClient, clock: MovingClock
) -> None:
    """SLA countdowns, due times and the score over time move with the clock alone: a read
    kept from before is judged as of each request, as a fresh read would be."""
    _, writer, readers = state(client)
    queue = readers.call(lambda view: pages.queue_read(view))
    ids = [r["lead_id"] for r in queue.found.rows]
    leads = {i: readers.call(lambda view, i=i: pages.lead_read(view, i)) for i in ids}
    seen = []
    for step in (dt.timedelta(minutes=50), dt.timedelta(hours=20), dt.timedelta(days=9)):
        clock.at += step
        now = naive_utc(clock)
        judged = jsonable_encoder(queue.at(now).as_dict())
        assert judged == fresh_queue(writer)
        for lead, read in leads.items():
            assert jsonable_encoder(read.at(now).as_dict()) == fresh_lead(writer, lead)
        seen.append([r["sla"]["text"] for r in judged["leads"]])
    assert seen[0] != seen[-1]  # the countdowns moved: the time was judged, not kept


def test_the_overview_twin_is_written_once_per_computation(client: TestClient) -> None:
    sign_in(client, "rex")
    app: Any = client.app
    refreshed = app.state.web_overview
    ages = ("age_seconds", "refreshed_every")
    for _ in range(2):  # the first figures, then the next computation's
        body = client.get("/v1/dashboard/overview").json()
        data, _ = client.portal.call(refreshed.get)  # type: ignore[union-attr]
        assert {k: v for k, v in body.items() if k not in ages} == jsonable_encoder(data.as_dict())
        assert body["age_seconds"] >= 0 and body["refreshed_every"] > 0
        assert app.state.web_overview_json[0] is data  # the JSON made of these figures
        done = refreshed.computed
        client.portal.call(refreshed.soon)  # type: ignore[union-attr]
        wait_for(lambda done=done: refreshed.computed > done)


def _varied_history(store: Any) -> None:
    """Moves out of ``mql`` (by people and by the system), touches and reassignments at
    different times after the demo's MQL entries, so the periods' cut by time matters."""
    store.execute(
        "INSERT INTO stage_transitions (seq, lead_id, from_stage, to_stage, moved_at, actor) "
        "SELECT 100000 + row_number() OVER (), lead_id, 'mql', 'sal', "
        "mql_at + to_minutes((hash(lead_id) % 600)::BIGINT), "
        "CASE WHEN hash(lead_id) % 3 = 0 THEN 'system' ELSE 'user:ana' END "
        "FROM lead_handoff WHERE mql_at IS NOT NULL AND hash(lead_id) % 2 = 0"
    )
    store.execute("DELETE FROM assignments WHERE hash(lead_id) % 5 = 0")  # handed later
    store.execute(
        "INSERT INTO assignments SELECT 100000 + row_number() OVER (), lead_id, 'Ben', "
        "'everyone', 'test', NULL, mql_at + to_minutes((hash(lead_id) % 900)::BIGINT) "
        "FROM lead_handoff WHERE mql_at IS NOT NULL AND hash(lead_id) % 5 < 3"
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.tuples(st.floats(0, 1), st.sampled_from([-1, 0, 1])), min_size=1, max_size=6)
)
def test_periods_read_once_judge_like_the_store_at_any_time(
    project: Project, picks: list[tuple[float, int]]
) -> None:
    """The SLA periods a kept page holds, judged at times in any order (on, just before and
    just after each time something happened in them), give the clocks the store gives at
    each of those times."""
    setup = project._sla_setup_or_none(project.compiled())
    assert setup is not None
    with project.store() as store:
        if not store.scalar("SELECT count(*) FROM assignments WHERE reason = 'test'"):
            _varied_history(store)
        ids = [r[0] for r in store.execute("SELECT lead_id FROM lead_handoff").fetchall()]
        periods = read_periods(store, setup, ids)
        times = sorted(
            {t for row in periods.rows for t in (row[2], row[3], *row[6]) if t is not None}
            | {m[0] for row in periods.rows for m in row[4]}
        )
        assert len(times) > 30
        for share, step in picks:
            at = times[int(share * (len(times) - 1))] + dt.timedelta(seconds=step)
            at = at.replace(tzinfo=dt.timezone.utc)
            assert periods.clocks(at) == clocks_of(store, setup, ids, at)


def test_an_answer_is_sent_again_in_its_second_and_made_anew_in_the_next(
    client: TestClient, clock: MovingClock
) -> None:
    sign_in(client, "rex")
    kept, writer, _ = state(client)
    lead = client.get("/v1/dashboard/queue").json()["leads"][0]["lead_id"]
    paths = ["/v1/dashboard/queue", "/queue", f"/v1/dashboard/leads/{lead}", f"/leads/{lead}"]
    first = {p: client.get(p).content for p in paths}
    made, repeated = kept.answers
    assert {p: client.get(p).content for p in paths} == first
    assert kept.answers == (made, repeated + len(paths))  # the same bytes, nothing made
    reads = kept.reads
    clock.at += dt.timedelta(seconds=1)
    again = {p: client.get(p).content for p in paths}
    assert kept.reads == reads  # the reads are still kept: only the answers are new
    assert kept.answers[0] > made
    assert again["/v1/dashboard/queue"] != first["/v1/dashboard/queue"]  # its "now" moved
    assert client.get("/v1/dashboard/queue").json() == fresh_queue(writer)
    assert client.get(f"/v1/dashboard/leads/{lead}").json() == fresh_lead(writer, lead)


def test_an_answer_is_judged_as_of_the_start_of_its_second(
    client: TestClient, clock: MovingClock
) -> None:
    sign_in(client, "rex")
    _, writer, _ = state(client)
    clock.at += dt.timedelta(seconds=7, microseconds=654321)
    body = client.get("/v1/dashboard/queue").json()
    second = naive_utc(clock).replace(microsecond=0)
    assert body["now"] == second.isoformat()
    read = writer.call(lambda: pages.queue_read(writer.project))
    assert body == jsonable_encoder(read.at(second).as_dict())


def _session(client: TestClient, name: str) -> tuple[str, str]:
    """A new session of ``name``: its cookie and CSRF token (the client forgets it)."""
    csrf = sign_in(client, name)
    cookie = client.cookies["leadgate_session"]
    client.cookies.clear()
    return cookie, csrf


def test_nobody_gets_another_persons_page(client: TestClient) -> None:
    """Two sessions of one person, another person of the same role, and people of other
    roles ask for the same pages in the same second: each page carries its own person's
    name and CSRF token (and nobody else's), and the navigation of its role; pages of one
    role are made once and sent to each of its people."""
    kept, _, _ = state(client)
    sessions = {
        "ana": _session(client, "ana"),
        "ana again": _session(client, "ana"),
        "rex": _session(client, "rex"),
        "root": _session(client, "root"),
    }
    client.cookies.set("leadgate_session", sessions["rex"][0])
    lead = client.get("/v1/dashboard/queue").json()["leads"][0]["lead_id"]
    for path in ("/queue", f"/leads/{lead}"):
        made, repeated = kept.answers
        pages_of = {}
        for who, (cookie, _) in sessions.items():
            client.cookies.set("leadgate_session", cookie)
            pages_of[who] = client.get(path).text
        for who, page in pages_of.items():
            name = who.split()[0]
            tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
            assert tokens == {sessions[who][1]}, (path, who)
            assert f">{name} (" in page
            assert all(f">{other} (" not in page for other in {"ana", "rex", "root"} - {name})
            assert ('href="/people"' in page) == (who == "root")
        assert pages_of["ana"] != pages_of["ana again"]  # their own tokens
        assert kept.answers[1] > repeated  # ana's second session was sent ana's role's page


def test_no_session_gets_a_kept_answer(client: TestClient) -> None:
    """With every answer kept for this second, a request without a session, or with a
    stale one, still gets none of it."""
    sign_in(client, "rex")
    lead = client.get("/v1/dashboard/queue").json()["leads"][0]["lead_id"]
    paths = ["/v1/dashboard/queue", "/queue", f"/v1/dashboard/leads/{lead}", f"/leads/{lead}"]
    for path in paths:
        assert client.get(path).status_code == 200
    for cookie in (None, "forged-or-stale"):
        client.cookies.clear()
        if cookie is not None:
            client.cookies.set("leadgate_session", cookie)
        for path in paths:
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code in (303, 401), (path, answer.status_code)
            assert lead not in answer.text.replace(path, "")


def test_one_leads_rows_read_by_id_are_what_the_separate_reads_give(project: Project) -> None:
    """A lead page reads each handoff table once (``read_lead_rows``); its history, owner,
    tier and SLA periods equal what ``history``, ``owner_of``, the handoff row and
    ``read_periods`` give for the lead, for every lead of a store with moves out of mql,
    touches, reassignments and an imported owner column."""
    setup = project._sla_setup_or_none(project.compiled())
    assert setup is not None
    with project.store() as store:
        _varied_history(store)
        store.execute("ALTER TABLE leads ADD COLUMN owner VARCHAR")
        store.execute("UPDATE leads SET owner = 'imported ' || lead_id WHERE hash(lead_id) % 2 = 0")
        ids = [r[0] for r in store.execute("SELECT lead_id FROM leads").fetchall()]
        kinds = set()
        for lead_id in ids:
            row = find_lead(store, lead_id)
            rows = read_lead_rows(store, row)
            assert rows.history == history(store, lead_id)
            assert rows.owner == owner_of(store, row)
            assert rows.tier == store.scalar(
                "SELECT mql_tier FROM lead_handoff WHERE lead_id = ?", [lead_id]
            )
            one, apart = rows.periods(setup).rows, read_periods(store, setup, [lead_id]).rows
            assert _sorted_moves(one) == _sorted_moves(apart), lead_id
            kinds.add((bool(one), bool(one and one[0][4]), rows.owner.rule is None))
        assert kinds >= {(False, False, True), (True, True, False), (True, False, False)}


def _sorted_moves(rows: tuple[tuple[Any, ...], ...]) -> list[tuple[Any, ...]]:
    """Periods' rows with their moves in one order (SQL's ``list()`` keeps none)."""
    return [(*r[:4], tuple(sorted(r[4], key=str)), *r[5:]) for r in rows]
