"""Must hold: the API's one-event-at-a-time scoring equals batch scoring (``score_store``)
for the same events, replaying a random history both ways."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.api.app import create_app

from .conftest import DEFINITION, NOW, api_project

TYPES = ["demo_request", "pricing_page", "page_view", "unsubscribe"]
TITLES = ["VP Finance", "Software Engineer", None]


# Every rule inside a 30-day window: the held states keep, and read back from the store,
# only the events of the last 30 days (leadgate.api.live.Held.since); the histories reach
# 120 days back, so states read again after they left the cache miss the old events.
WINDOWED = DEFINITION.replace("  half_life: 30d\n", "  half_life: 30d\n  window: 30d\n")
assert WINDOWED != DEFINITION


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """Leads, then events naming a lead, an email, a visitor, or a visitor beside a lead
    (which links it), some sent twice, in any time order; and the server's ``[api]``
    settings: the held-states capacity, whether it holds the store in memory
    (:mod:`leadgate.api.resident`), and whether groups are scored by the plan over it
    (:mod:`leadgate.api.live_plan`). An event with ``"then": True`` is sent in one request
    with the event before it; one with ``"upsert"`` is preceded by that lead's upsert (a
    lead first stored after events named it, or a stored lead whose title changes); one
    with ``"restart"`` is sent to a new server (which reads the store's events again)."""
    n_leads = draw(st.integers(1, 4))
    leads = [
        {"lead_id": f"L{n}", "email": f"p{n}@acme.com", "title": draw(st.sampled_from(TITLES))}
        for n in range(n_leads)
    ]
    events = []
    for _ in range(draw(st.integers(1, 14))):
        ago = draw(st.integers(0, 120 * 24 * 60))  # up to 120 days back, to the minute
        ts = (NOW - dt.timedelta(minutes=ago)).isoformat()
        event: dict[str, Any] = {"type": draw(st.sampled_from(TYPES)), "ts": ts}
        who = draw(st.sampled_from(["lead", "email", "visitor", "both"]))
        lead, visitor = draw(st.integers(0, n_leads - 1)), draw(st.integers(0, 1))
        if who in ("lead", "both"):
            event["lead_id"] = f"L{lead}"
        if who == "email":
            event["email"] = f"P{lead}@acme.com"
        if who in ("visitor", "both"):
            event["visitor_id"] = f"v{visitor}"
        events.append(event)
        if draw(st.booleans()) and draw(st.booleans()):
            events.append(dict(event))  # sent again: stored once
        if len(events) > 1 and draw(st.booleans()):
            events[-1] = events[-1] | {"then": True}
        elif draw(st.integers(0, 5)) == 0:
            upsert = dict(leads[draw(st.integers(0, n_leads - 1))])
            upsert["title"] = draw(st.sampled_from(TITLES))
            events[-1] = events[-1] | {"upsert": upsert}
        elif draw(st.integers(0, 5)) == 0:
            events[-1] = events[-1] | {"restart": True}
    capacity = draw(st.sampled_from([1, 2, 1000]))
    resident = draw(st.booleans())
    plan = draw(st.sampled_from([1, 1000]))  # 1: every group's leads by the plan, if it takes them
    return (
        leads,
        events,
        (f"live_cache_leads = {capacity}\nresident = {str(resident).lower()}\nplan_leads = {plan}"),
    )


def requests(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The requests, ``(path, body)``: one event each, or several (an event marked ``then``
    joins the one before); a lead's upsert before an event marked ``upsert``."""
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for event in events:
        event = dict(event)
        upsert = event.pop("upsert", None)
        if event.pop("restart", False):
            out.append(("restart", [{}]))
        if upsert is not None:
            out.append(("/v1/leads", [upsert]))
        if event.pop("then", False) and out and out[-1][0] == "/v1/events":
            out[-1][1].append(event)
        else:
            out.append(("/v1/events", [event]))
    return [
        (path, rows[0] if len(rows) == 1 else {path.rsplit("/", 1)[-1]: rows}) for path, rows in out
    ]


def send(
    project: Any,
    key: dict[str, str],
    sent: list[tuple[str, dict[str, Any]]],
    answered: Callable[[TestClient, str, dict[str, Any], Any], None] | None = None,
) -> None:
    """Send the requests one at a time to a server that is started again at each
    ``restart`` (it then holds none of what the one before it held); each answered 2xx, or
    handed to ``answered`` with the client, the path and the body when given."""
    client = TestClient(create_app(project)).__enter__()
    try:
        for path, body in sent:
            if path == "restart":
                client.__exit__(None, None, None)
                client = TestClient(create_app(project)).__enter__()
                continue
            answer = client.post(path, headers=key, json=body)
            if answered is not None:
                answered(client, path, body, answer)
            else:
                assert answer.status_code == 200, answer.text
    finally:
        client.__exit__(None, None, None)


def first_leads(leads: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The leads stored before any event: those no event upserts (an upserted lead is
    stored at its first upsert, after events named it)."""
    later = {e["upsert"]["lead_id"] for e in events if "upsert" in e}
    return [lead for lead in leads if lead["lead_id"] not in later] or leads[:1]


@pytest.mark.parametrize("definition", [DEFINITION, WINDOWED], ids=["unbounded", "windowed"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories())
def test_live_scores_equal_batch_scores(
    definition: str, history: tuple[list[Any], list[Any], int]
) -> None:
    leads, events, api = history
    old = (NOW - dt.timedelta(days=400)).isoformat()  # too old to count for anything
    touches = [{"lead_id": lead["lead_id"], "type": "page_view", "ts": old} for lead in leads]
    with tempfile.TemporaryDirectory() as folder:
        project = api_project(Path(folder) / "p", definition, api)
        key = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
        # at the end each lead is touched, so each has a live score (a lead stored after
        # its events is scored at its next event)
        first = {"leads": first_leads(leads, events)}
        send(project, key, [("/v1/leads", first), *requests(events + touches)])
        project.score(as_of=NOW)
        with project.store() as store:
            live = store.query(
                "SELECT lead_id, fit, engagement, total, tier, disqualified, as_of "
                "FROM live_scores ORDER BY lead_id"
            )
            batch = store.query(
                "SELECT s.lead_id, s.fit, s.engagement, s.total, s.tier, s.disqualified, "
                "s.as_of FROM scores s WHERE s.as_of = ? AND s.lead_id IN "
                "(SELECT DISTINCT lead_id FROM lead_events) ORDER BY s.lead_id",
                [NOW.replace(tzinfo=None)],
            )
    assert len(live) == len(leads) and live == batch


# The conftest's definition with two tiers first that read the lead's whole account, and a
# fit rule on the account's row (the server holds only the columns scoring reads).
ROLLUP = DEFINITION.replace(
    "points: 20}\n",
    "points: 20}\n    - {name: software, when: \"account.industry = 'software'\", points: 15}\n",
    1,
).replace(
    "tiers:\n",
    "tiers:\n"
    '  - {name: team, when: "engaged_contacts(30d) >= 2", sla: 1h}\n'
    '  - {name: busy account, when: "account.engagement >= 40", sla: 1h}\n',
)
WINDOWED_ROLLUP = ROLLUP.replace("  half_life: 30d\n", "  half_life: 30d\n  window: 30d\n")
assert WINDOWED_ROLLUP != ROLLUP


@pytest.mark.parametrize("definition", [ROLLUP, WINDOWED_ROLLUP], ids=["unbounded", "windowed"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories())
def test_live_scores_equal_batch_scores_when_scores_read_the_account(
    definition: str, history: tuple[list[Any], list[Any], int]
) -> None:
    """Account roll-ups and engaged contacts: each touched lead is scored with the held
    states of every lead of its account (leadgate.api.live_accounts), accounts leaving the
    cache with any of their leads (capacity 1, 2 or 1,000 leads). A later event of another
    lead of the account changes the account's numbers, so at the end every lead is touched
    once more, by an event too old to count for anything (outside every window); then each
    live score equals the batch's."""
    leads, events, api = history
    for n, lead in enumerate(leads):
        lead["account_id"] = f"a{n % 2}"  # two accounts, leads sharing one
    for event in events:
        if "upsert" in event:
            n = int(event["upsert"]["lead_id"][1:])
            event["upsert"]["account_id"] = f"a{n % 2}"
    old = (NOW - dt.timedelta(days=400)).isoformat()
    touches = [{"lead_id": lead["lead_id"], "type": "page_view", "ts": old} for lead in leads]
    with tempfile.TemporaryDirectory() as folder:
        project = api_project(Path(folder) / "p", definition, api)
        key = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
        rows = Path(folder) / "accounts.jsonl"
        rows.write_text('{"account_id": "a0", "name": "A0", "industry": "software"}\n'
                        '{"account_id": "a1", "name": "A1", "industry": "retail"}\n')  # fmt: skip
        assert project.import_file(str(rows), "accounts").rows_rejected == 0
        first = {"leads": first_leads(leads, events)}
        send(project, key, [("/v1/leads", first), *requests(events + touches)])
        project.score(as_of=NOW)
        with project.store() as store:
            accounts = {r[0] for r in store.execute("SELECT account_id FROM leads").fetchall()}
            assert accounts <= {"a0", "a1"}  # ids as an import writes them
            live = store.query(
                "SELECT lead_id, fit, engagement, total, tier, disqualified, as_of "
                "FROM live_scores ORDER BY lead_id"
            )
            batch = store.query(
                "SELECT lead_id, fit, engagement, total, tier, disqualified, as_of FROM scores "
                "WHERE as_of = ? ORDER BY lead_id",
                [NOW.replace(tzinfo=None)],
            )
    assert len(live) == len(leads) and live == batch
