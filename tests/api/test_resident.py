"""The server holds what live scoring reads of the store in memory (leadgate.api.resident):
read at its start, equal to the store's own answers, and read again after a call from
another shell that changed scoring's inputs (not after one that only read)."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.api import local
from leadgate.api.app import create_app
from leadgate.api.event_writer import _ARROW_KEYS, _hashes
from leadgate.api.live import events_of, in_list
from leadgate.api.resident import Keys, Resident
from leadgate.store import Store

from .conftest import NOW, api_project

WINDOWED = """\
leadgate: 1
name: resident-test
version: "1"
engagement:
  window: 30d
  events:
    - {type: pricing_page, points: 20}
    - {type: page_view, points: 1}
tiers:
  - {name: hot, when: "score >= 40", sla: 1h}
"""


def _import(project: Any, tmp: Path, name: str, rows: list[dict[str, Any]], kind: str) -> None:
    path = tmp / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = project.import_file(str(path), kind)
    assert report.rows_rejected == 0, report.rejects


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    days=st.lists(st.integers(0, 60) | st.sampled_from([29, 30]), min_size=1, max_size=12),
    who=st.lists(st.sampled_from(["L0", "L1", "L2", "v0", "v1", "L9"]), min_size=12, max_size=12),
)
def test_held_events_equal_the_stores(tmp_path: Path, days: list[int], who: list[str]) -> None:
    """Every lead's events since the look-back, as held, equal what the store gives for
    them (``events_of``): by lead id, by a linked visitor's anonymous events, none for an
    event naming a lead not stored (L9), none older than the look-back."""
    root = tmp_path / f"p{len(list(tmp_path.iterdir()))}"
    project = api_project(root, WINDOWED)
    leads = [{"lead_id": f"L{n}", "email": f"p{n}@acme.com"} for n in range(3)]
    _import(project, root, "leads.jsonl", leads, "leads")
    events = []
    for n, ago in enumerate(days):
        ts = (NOW - dt.timedelta(days=ago, hours=n)).isoformat()
        named = who[n]
        event = {"type": "pricing_page", "ts": ts, "event_id": f"e{n}"}
        event["visitor_id" if named.startswith("v") else "lead_id"] = named
        events.append(event)
    events.append({"type": "page_view", "ts": NOW.isoformat(), "lead_id": "L0",
                   "visitor_id": "v0", "event_id": "link"})  # fmt: skip
    _import(project, root, "events.jsonl", events, "events")
    now_us = int(NOW.timestamp() * 1_000_000)
    horizon = 30 * 86_400_000_000
    with project.store() as store:
        resident = Resident.read(store, horizon, now_us, intent=False)
        ids = [f"L{n}" for n in range(3)]
        held, ask = resident.events_of(ids, now_us - horizon)
        stored = events_of(store, in_list(ids), now_us - horizon)
    assert ask == []
    expected: dict[str, list[tuple[str, int]]] = {lead: [] for lead in ids}
    for lead, event_type, ts in stored:
        expected[lead].append((event_type, ts))
    assert {k: sorted(v) for k, v in held.items()} == {k: sorted(v) for k, v in expected.items()}


def test_an_accounts_leads_are_the_stores_by_row_then_by_id(tmp_path: Path) -> None:
    """``members`` gives the rows of every lead of the accounts, as the store holds them:
    by row number while the snapshot stands (the index by id, half a second to make at
    1,000,000 leads, is not made), and by id once a lead read since moved accounts."""
    project = api_project(tmp_path, WINDOWED)
    accounts = [{"account_id": f"a{n}", "name": f"A{n}"} for n in range(3)]
    _import(project, tmp_path, "accounts.jsonl", accounts, "accounts")
    leads = [{"lead_id": f"L{n}", "email": f"p{n}@x{n}.com", "account_id": f"a{n % 3}",
              "industry": ["software", "retail"][n % 2]}
             for n in range(9)] + [{"lead_id": "L9", "email": "p9@x9.com"}]  # fmt: skip
    _import(project, tmp_path, "leads.jsonl", leads, "leads")
    now_us = int(NOW.timestamp() * 1_000_000)
    with project.store() as store:
        resident = Resident.read(store, 30 * 86_400_000_000, now_us, intent=False)

        def stored(ids: list[str]) -> list[dict[str, Any]]:
            return store.query(f"SELECT * FROM leads WHERE lead_id IN ({in_list(ids)})")

        # the repeated text encoded for the plan (see resident._coded), read back as stored
        assert pa.types.is_dictionary(resident.leads.coded.schema.field("industry").type)
        planned = resident.leads.arrow(["L4", "L1"]).to_pylist()
        assert planned == [*stored(["L4"]), *stored(["L1"])]
        got = resident.members(["a2", "a0", "a9"])
        assert sorted(r["lead_id"] for r in got) == ["L0", "L2", "L3", "L5", "L6", "L8"]
        assert sorted(got, key=lambda r: r["lead_id"]) == stored(
            ["L0", "L2", "L3", "L5", "L6", "L8"]
        )
        assert resident._members is None
        resident.leads.put({"L0": {**stored(["L0"])[0], "account_id": "a1"}, "L3": None})
        got = resident.members(["a0", "a1"])
        assert sorted(r["lead_id"] for r in got) == ["L0", "L1", "L4", "L6", "L7"]
        assert {r["lead_id"]: r["account_id"] for r in got}["L0"] == "a1"


def _local_call(client: TestClient, root: Path, name: str, *args: Any) -> Any:
    note = local.read_note(root)
    assert note is not None
    answer = client.post(
        local.ROUTE,
        content=pickle.dumps((name, args, {})),
        headers={local.TOKEN_HEADER: note.token},
    )
    assert answer.status_code == 200, answer.text
    status, result = pickle.loads(answer.content)
    assert status == "ok", result
    return result


def test_a_call_from_another_shell_that_changes_events_is_seen(tmp_path: Path) -> None:
    """A local read keeps what the server holds; a local import of events is seen by the
    next live score (the server reads the store again), never scored from stale memory."""
    project = api_project(tmp_path / "p", WINDOWED)
    _import(project, tmp_path, "leads.jsonl", [{"lead_id": "L0", "email": "a@b.com"}], "leads")
    key = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
    recent = (NOW - dt.timedelta(days=1)).isoformat()
    with TestClient(create_app(project, announce_url="http://testserver")) as client:
        live = client.app.state.service.live  # type: ignore[attr-defined]
        held = live.resident
        assert held is not None  # read at the start
        _local_call(client, project.root, "definitions")
        assert live.resident is held  # a read changes nothing: kept
        path = tmp_path / "more.jsonl"
        path.write_text(
            json.dumps({"lead_id": "L0", "type": "pricing_page", "ts": recent}) + "\n",
            encoding="utf-8",
        )
        _local_call(client, project.root, "import_file", str(path), "events")
        assert live.resident is None  # an import may change anything: read again
        body = {"lead_id": "L0", "type": "pricing_page", "ts": NOW.isoformat()}
        answer = client.post("/v1/events", headers=key, json=body)
        assert answer.status_code == 200, answer.text
        (scored,) = answer.json()["leads"]
    assert scored["total"] == 40  # the imported event counts beside the posted one


# A fit rule that reads the lead's stage: a sales action moves it outside the held rows.
READS_STAGE = """\
leadgate: 1
name: stage-test
version: "1"
fit:
  rules:
    - {name: accepted, when: "stage = 'sal'", points: 10}
engagement:
  events:
    - {type: demo_request, points: 50}
    - {type: page_view, points: 1}
tiers:
  - {name: hot, when: "score >= 50", sla: 1h}
"""


def test_a_definition_that_reads_the_stage_scores_the_stage_sales_moved_to(
    tmp_path: Path,
) -> None:
    """The held row keeps the stage it was read with; live scoring of a definition that
    reads ``stage`` takes the store's, so the next event scores as batch scoring does."""
    project = api_project(tmp_path / "p", READS_STAGE)
    _import(project, tmp_path, "leads.jsonl", [{"lead_id": "L0", "email": "a@b.com"}], "leads")
    ingest = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
    sales = {"Authorization": f"Bearer {project.create_key('s', 'sales').key}"}
    with TestClient(create_app(project)) as client:

        def post(kind: str) -> dict[str, Any]:
            body = {"lead_id": "L0", "type": kind, "ts": NOW.isoformat()}
            answer = client.post("/v1/events", headers=ingest, json=body)
            assert answer.status_code == 200, answer.text
            return answer.json()["leads"][0]  # type: ignore[no-any-return]

        assert post("demo_request")["total"] == 50  # enters mql
        accept = {"action": "accept"}
        answer = client.post("/v1/leads/L0/actions", headers=sales, json=accept)
        assert answer.status_code == 200, answer.text
        live = post("page_view")["total"]
    project.score(as_of=NOW)
    with project.store() as store:
        batch = store.scalar("SELECT total FROM scores WHERE lead_id = 'L0'")
    assert live == batch == 61


def test_a_lead_stored_after_its_events_counts_them(tmp_path: Path) -> None:
    """Events stored before their lead was (the store's events at the server's start name
    a lead it does not hold): once the lead is upserted through the API, its next live
    score counts them, as batch scoring does."""
    project = api_project(tmp_path / "p", WINDOWED)
    _import(project, tmp_path, "leads.jsonl", [{"lead_id": "L0", "email": "a@b.com"}], "leads")
    earlier = (NOW - dt.timedelta(days=2)).isoformat()
    event = {"lead_id": "L5", "type": "pricing_page", "ts": earlier}
    _import(project, tmp_path, "events.jsonl", [event], "events")
    ingest = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
    with TestClient(create_app(project)) as client:
        lead = {"lead_id": "L5", "email": "five@b.com"}
        assert client.post("/v1/leads", headers=ingest, json=lead).status_code == 200
        body = {"lead_id": "L5", "type": "page_view", "ts": NOW.isoformat()}
        answer = client.post("/v1/events", headers=ingest, json=body)
        assert answer.status_code == 200, answer.text
        (scored,) = answer.json()["leads"]
    assert scored["total"] == 21  # the imported page (20) and the posted view (1)


def _two_imported(tmp_path: Path) -> tuple[Any, dict[str, str], list[dict[str, str]]]:
    """A project whose lead L0 holds two imported events, one with an id and one keyed by
    its content; an ingest key's header; the two events."""
    project = api_project(tmp_path / "p", WINDOWED)
    _import(project, tmp_path, "leads.jsonl", [{"lead_id": "L0", "email": "a@b.com"}], "leads")
    ts = (NOW - dt.timedelta(days=1)).isoformat()
    with_id = {"lead_id": "L0", "type": "pricing_page", "ts": ts, "event_id": "imported-1"}
    by_content = {"lead_id": "L0", "type": "page_view", "ts": ts}
    _import(project, tmp_path, "events.jsonl", [with_id, by_content], "events")
    key = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
    return project, key, [with_id, by_content]


def test_an_event_stored_before_the_server_started_is_a_duplicate(tmp_path: Path) -> None:
    """The duplicate check asks the store only about keys whose hash a stored key has
    (:class:`leadgate.api.resident.Keys`, read at the start): an event imported before the
    server started, with an id or by its content, and posted again is not stored twice,
    and neither is one posted twice to the same server; a new event is stored."""
    project, key, (with_id, by_content) = _two_imported(tmp_path)
    fresh = {"lead_id": "L0", "type": "page_view", "ts": NOW.isoformat(), "event_id": "new-1"}
    with TestClient(create_app(project)) as client:
        answers = [
            client.post("/v1/events", headers=key, json={"events": [with_id, by_content]}),
            client.post("/v1/events", headers=key, json=fresh),
            client.post("/v1/events", headers=key, json=fresh),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [(a.json()["stored"], a.json()["duplicates"]) for a in answers] == [
        (0, 2), (1, 0), (0, 1)
    ]  # fmt: skip
    with project.store() as store:
        assert store.scalar("SELECT count(*) FROM events") == 3


def test_a_batch_mixing_stored_and_new_events_stores_each_new_one_once(tmp_path: Path) -> None:
    """Each key of a batch is checked against its own hash (hashed in one statement, in the
    batch's order): the imported events among new ones are duplicates, the new ones are
    stored, and posted again they are duplicates (their hashes noted as stored)."""
    project, key, (with_id, by_content) = _two_imported(tmp_path)
    new = [{"lead_id": "L0", "type": "page_view", "ts": NOW.isoformat(), "event_id": f"new-{i}"}
           for i in range(3)]  # fmt: skip
    batch = [new[0], with_id, new[1], new[2], by_content]
    with TestClient(create_app(project)) as client:
        answers = [
            client.post("/v1/events", headers=key, json={"events": batch}),
            client.post("/v1/events", headers=key, json={"events": [new[2], new[0]]}),
        ]
    assert [a.status_code for a in answers] == [200, 200]
    assert [(a.json()["stored"], a.json()["duplicates"]) for a in answers] == [(3, 2), (0, 2)]
    with project.store() as store:
        assert store.scalar("SELECT count(*) FROM events") == 5


@pytest.mark.parametrize("n", [3, _ARROW_KEYS + 500])
def test_a_groups_key_hashes_are_each_keys_own(tmp_path: Path, n: int) -> None:
    """The duplicate check hashes a group's keys in one statement (as a list, or from
    ``_ARROW_KEYS`` on as an Arrow column): each key gets its own hash, in the group's
    order, the hash the store gives that key alone."""
    keys = [f"key-{(i * 7919) % n}-{'é' * (i % 3)}" for i in range(n)]
    with Store(tmp_path / "s.duckdb") as store:
        alone = [store.scalar("SELECT hash(?)", [key]) for key in keys[:5] + keys[-5:]]
        hashed = _hashes(store, keys)
    assert len(hashed) == n
    assert hashed[:5] + hashed[-5:] == alone
    assert len(set(hashed)) == n


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(0, 5000),
    top_bits=st.integers(0, 64),
    extra=st.lists(st.integers(0, 2**64 - 1), max_size=20),
)
def test_keys_find_exactly_the_stored_hashes(
    seed: int, size: int, top_bits: int, extra: list[int]
) -> None:
    """``Keys.maybe`` finds exactly the stored hashes (and those noted since), whatever
    their spread: uniform, or crowded into a few values of their top bits (``top_bits``
    bits shared), with repeats, the smallest and the largest hash, and each one's
    neighbours."""
    rng = np.random.default_rng(seed)
    stored = rng.integers(0, 2**64 - 1, size, dtype=np.uint64, endpoint=True)
    if top_bits:  # all under a few values of the top bits
        low = np.uint64((1 << (64 - top_bits)) - 1) if top_bits < 64 else np.uint64(0)
        stored = (stored & low) | (np.uint64(rng.integers(0, 4)) << np.uint64(62))
    values = stored.tolist() + extra[:3]  # Python ints
    keys = Keys(np.array(values, np.uint64))
    asked = extra + [0, 2**64 - 1]
    for v in values[:300]:
        asked += [v, max(v - 1, 0), min(v + 1, 2**64 - 1)]
    held = set(values)
    assert keys.maybe(asked) == [h in held for h in asked]
    noted = [h for h in asked if h not in held][:5]
    keys.note(noted)
    assert keys.maybe(asked) == [h in held or h in noted for h in asked]
