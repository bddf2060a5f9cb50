"""A lead, the queue and sales actions, through the routes and the library, on a real
project store (tests/api/sample.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.api.app import create_app
from leadgate.handoff.queue import BadQueueRequest, decode_cursor
from leadgate.project import Project

from .sample import T0, Clock, make_sample, role_keys


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def project(tmp_path: Path, clock: Clock) -> Project:
    return make_sample(tmp_path / "p", clock)


@pytest.fixture
def api(project: Project) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    keys = {role: {"X-API-Key": key} for role, key in role_keys(project).items()}
    with TestClient(create_app(project)) as client:
        yield client, keys


def ids(page: dict[str, Any]) -> list[str]:
    return [row["lead_id"] for row in page["leads"]]


def test_a_lead_reads_with_an_explanation_that_adds_up_its_owner_and_sla(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, keys = api
    lead = client.get("/v1/leads/l1@ACME.com", headers=keys["read"]).json()
    assert lead["lead_id"] == "l1" and lead["stage"] == "mql"
    score = lead["score"]
    assert score["total"] == 111 and score["tier"] == "hot" and score["adds_up"]
    assert round(sum(c["points"] for c in score["contributions"]), 2) == score["total"]
    assert lead["attributes"]["company"] == "Acme"
    owner = lead["owner"]
    assert owner["rep"] in ("Ana", "Ben") and owner["reason"].startswith("rule 'everyone'")
    assert lead["sla"] == {
        "mql_at": "2026-03-02T09:00:00",
        "tier": "hot",
        "due": "2026-03-02T10:00:00",  # the hot tier's 1h from MQL entry
        "first_touch_at": None,
        "state": "open",
    }
    (entry,) = lead["history"]["transitions"]
    assert (entry["from_stage"], entry["to_stage"], entry["actor"]) == ("lead", "mql", "system")


def test_an_unknown_lead_is_404_in_the_one_error_shape(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, keys = api
    for answer in (
        client.get("/v1/leads/nobody", headers=keys["read"]),
        client.post("/v1/leads/nobody/actions", json={"action": "accept"}, headers=keys["sales"]),
        client.get("/v1/leads/nobody/route", headers=keys["read"]),
    ):
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "LG402"


def test_the_queue_is_hot_first_then_by_entry_and_leaves_nurture_out(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, keys = api
    page = client.get("/v1/queue", headers=keys["sales"]).json()
    assert ids(page) == ["l1", "l5", "l2", "l3"]  # hot, hot, warm, warm; l4 is nurture
    assert page["next_cursor"] is None
    first = page["leads"][0]
    assert first["sla_due"] == "2026-03-02T10:00:00" and first["sla_state"] == "open"
    assert [r["label"] for r in first["reasons"]] == ["big company", "demo_request", "senior"]
    assert [r["points"] for r in first["reasons"]] == [40, 30, 20]


def test_queue_filters(api: tuple[TestClient, dict[str, dict[str, str]]], project: Project) -> None:
    client, keys = api

    def queue(**params: Any) -> list[str]:
        answer = client.get("/v1/queue", params=params, headers=keys["read"])
        assert answer.status_code == 200, answer.text
        return ids(answer.json())

    assert queue(tier="warm") == ["l2", "l3"]
    assert queue(tier="WARM") == queue(tier=" Warm".strip()) == ["l2", "l3"]  # any case
    assert queue(tier="HOT", owner="ANA") == queue(tier="hot", owner="Ana")
    assert queue(q="ACM") == ["l1"] and queue(q="bolt.com") == ["l2"]
    assert queue(source="web") == ["l1", "l5", "l2", "l3"] and queue(source="ads") == []
    ana = [row.lead_id for row in project.queue().rows if row.owner == "Ana"]
    assert queue(owner="ana@example.com") == ana and queue(owner="ANA") == ana
    assert queue(since="2026-03-02T09:00:00") == ["l1", "l5", "l2", "l3"]
    assert queue(until="2026-03-02T09:00:00") == []
    client.post("/v1/leads/l2/actions", json={"action": "accept"}, headers=keys["sales"])
    assert queue(stage="sal") == ["l2"] and queue(stage="mql") == ["l1", "l5", "l3"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(1, 5))
def test_pages_by_cursor_visit_every_lead_once_in_order(project: Project, limit: int) -> None:
    whole = [row.lead_id for row in project.queue(limit=100).rows]
    seen: list[str] = []
    cursor = None
    while True:
        page = project.queue(limit=limit, cursor=cursor)
        assert len(page.rows) <= limit
        seen += [row.lead_id for row in page.rows]
        if page.next_cursor is None:
            break
        assert decode_cursor(page.next_cursor)[2] == page.rows[-1].lead_id
        cursor = page.next_cursor
    assert seen == whole


def test_a_bad_cursor_or_limit_is_refused(
    api: tuple[TestClient, dict[str, dict[str, str]]], project: Project
) -> None:
    client, keys = api
    answer = client.get("/v1/queue", params={"cursor": "not-a-cursor"}, headers=keys["read"])
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "LG722"
    assert "next_cursor" in answer.json()["error"]["message"]
    assert client.get("/v1/queue?limit=0", headers=keys["read"]).status_code == 422
    with pytest.raises(BadQueueRequest, match="stages mql, sal; got stage 'won'"):
        project.queue(stage="won")
    with pytest.raises(BadQueueRequest, match="limit must be 1 to 500"):
        project.queue(limit=501)


@pytest.mark.parametrize(
    "key",
    [
        [1, "2026-01-01T00:00:00+05:00", "L1"],  # a time with a zone: the queue's are naive
        [1, "2026-01-01T00:00:00"],  # too short
        {"rank": 1},
        [True, "2026-01-01T00:00:00", "L1"],
        [1, 20260101, "L1"],
        [1, "yesterday", "L1"],
        "text",
    ],
)
def test_a_tampered_cursor_is_a_400_not_a_crash(
    api: tuple[TestClient, dict[str, dict[str, str]]], key: object
) -> None:
    client, keys = api
    raw = json.dumps(key).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    answer = client.get("/v1/queue", params={"cursor": cursor}, headers=keys["read"])
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "LG722"
    assert "not one this queue gave" in answer.json()["error"]["message"]


def test_stored_reasons_equal_the_rebuilt_ones(tmp_path: Path) -> None:
    """A queue scored with --details reads its reasons from the stored contributions; one
    scored without rebuilds them: the same reasons either way."""
    rebuilt = make_sample(tmp_path / "a", Clock(T0)).queue()
    stored = make_sample(tmp_path / "b", Clock(T0), details=True).queue()
    assert [r.reasons for r in rebuilt.rows] and all(r.reasons for r in rebuilt.rows)
    assert [[(x.label, x.points) for x in r.reasons] for r in rebuilt.rows] == [
        [(x.label, x.points) for x in r.reasons] for r in stored.rows
    ]


def outbox_size(project: Project) -> int:
    with project.store() as store:
        return int(store.scalar("SELECT count(*) FROM outbox"))


def test_sales_actions_move_the_lead_with_the_key_as_actor(
    api: tuple[TestClient, dict[str, dict[str, str]]], project: Project, clock: Clock
) -> None:
    client, keys = api
    sales = keys["sales"]
    key_id = client.get("/v1/whoami", headers=sales).json()["key_id"]

    def act(lead: str, **body: Any) -> Any:
        return client.post(f"/v1/leads/{lead}/actions", json=body, headers=sales)

    clock.at = T0 + dt.timedelta(minutes=30)
    touched = act("l1", action="contacted").json()
    assert touched["transition"] is None
    assert touched["history"]["first_touch_at"] == "2026-03-02T09:30:00"
    assert client.get("/v1/leads/l1", headers=sales).json()["sla"]["state"] == "met"
    accepted = act("l1", action="accept").json()
    assert accepted["transition"]["to_stage"] == "sal"
    assert accepted["transition"]["actor"] == f"key:{key_id}"
    assert act("l1", action="opportunity").json()["history"]["stage"] == "opportunity"
    won = act("l1", action="won", amount=12500.5).json()
    assert won["transition"]["amount"] == 12500.5 and won["history"]["legal_next"] == []
    rejected = act("l5", action="reject", reason="competitor", stage="disqualified").json()
    assert rejected["transition"]["to_stage"] == "disqualified"
    assert rejected["transition"]["reason"] == "competitor"
    assert act("l2", action="reject", reason="no budget").json()["history"]["stage"] == "recycled"


def test_a_lost_deal_without_a_reason_is_refused_without_the_reject_reasons(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, keys = api
    for action in ("accept", "sql", "opportunity"):
        done = client.post("/v1/leads/l3/actions", json={"action": action}, headers=keys["sales"])
        assert done.status_code == 200, done.text
    lost = client.post(
        "/v1/leads/l3/actions", json={"action": "lost", "reason": " "}, headers=keys["sales"]
    )
    assert lost.status_code == 400 and "why the deal was lost" in lost.json()["error"]["message"]
    assert lost.json()["error"]["details"] is None  # the reject reasons are not a lost deal's


def test_refused_actions_say_what_is_allowed_and_write_nothing(
    api: tuple[TestClient, dict[str, dict[str, str]]], project: Project
) -> None:
    client, keys = api
    before = (project.history("l3"), outbox_size(project))

    def act(**body: Any) -> Any:
        return client.post("/v1/leads/l3/actions", json=body, headers=keys["sales"])

    illegal = act(action="won", amount=10)
    assert illegal.status_code == 409
    assert illegal.json()["error"]["details"] == {
        "stage": "mql",
        "legal_next": ["sal", "recycled", "disqualified"],
    }
    bad_reason = act(action="reject", reason="too small")
    assert bad_reason.status_code == 400
    assert bad_reason.json()["error"]["details"]["reject_reasons"] == list(project.reject_reasons)
    assert act(action="reject").status_code == 400  # no reason at all
    assert act(action="promote").status_code == 422  # not an action
    assert act(action="accept", reasn="typo").status_code == 422  # unknown field
    assert act(action="accept", amount=-1).status_code == 422
    assert act(action="accept", stage="disqualified").status_code == 400  # reject only
    as_json = keys["sales"] | {"content-type": "application/json"}
    not_json = client.post("/v1/leads/l3/actions", content=b"{nope", headers=as_json)
    assert not_json.status_code == 422 and set(not_json.json()) == {"error"}
    assert (project.history("l3"), outbox_size(project)) == before


def test_reps_and_the_route_test(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, keys = api
    reps = client.get("/v1/reps", headers=keys["read"]).json()
    assert [r["name"] for r in reps["reps"]] == ["Ana", "Ben"]
    assert sum(r["open"] for r in reps["reps"]) == 4  # the four MQLs, routed
    route = client.get("/v1/leads/l4/route", headers=keys["read"]).json()
    assert route["routed"] and route["rule"] == "everyone" and route["rules"][0]["to"] == "pool:ae"


def test_the_cli_prints_the_queue_and_its_pages(project: Project) -> None:
    import json
    import subprocess
    import sys

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "leadgate", "-C", str(project.root), "queue", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    first = json.loads(cli("--limit", "3", "--json").stdout)
    assert ids(first) == ["l1", "l5", "l2"]
    rest = json.loads(cli("--limit", "3", "--cursor", first["next_cursor"], "--json").stdout)
    assert ids(rest) == ["l3"] and rest["next_cursor"] is None
    table = cli("--tier", "hot", "--columns", "lead_id,tier,owner")
    assert table.returncode == 0 and "l5" in table.stdout and "l2" not in table.stdout
    bad = cli("--cursor", "zzz", "--json")
    assert bad.returncode == 1 and json.loads(bad.stderr)["error"]["code"] == "LG722"


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(1, 4))
def test_both_ways_of_paging_agree_with_leads_imported_in_stage_mql(
    project: Project, limit: int
) -> None:
    """The plain queue pages by MQL entry; a filter on a lead column joins instead. Both
    give the same order, and a lead imported in stage mql (no entry on record) comes last."""
    with project.store() as store:
        if not store.scalar("SELECT count(*) FROM leads WHERE lead_id LIKE 'crm%'"):
            for lead_id in ("crm2", "crm1"):
                store.execute(
                    "INSERT INTO leads (lead_id, email, source, stage) VALUES (?, ?, 'web', 'mql')",
                    [lead_id, f"{lead_id}@example.com"],
                )

    def walk(**filters: Any) -> list[str]:
        seen, cursor = [], None
        while True:
            page = project.queue(limit=limit, cursor=cursor, **filters)
            seen += [row.lead_id for row in page.rows]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor

    expected = ["l1", "l5", "l2", "l3", "crm1", "crm2"]
    assert walk() == expected
    assert walk(source="web") == expected  # every lead's source: the joined way
    assert walk(q="@") == expected
    assert walk(tier="hot") == ["l1", "l5"]  # no entry, no tier


def test_a_lead_and_the_queue_still_read_while_the_definition_file_is_away(
    project: Project,
) -> None:
    """Reading must not fail because the definition is being edited (or was moved): the
    lead comes without its explanation, saying why, and the queue still lists it."""
    project.definition_path.rename(project.definition_path.with_suffix(".moved"))
    lead = project.lead("l1")
    assert lead.score is None
    assert any(project.definition_path.name in w for w in lead.warnings)
    assert "l1" in [row.lead_id for row in project.queue().rows]


def test_a_score_the_server_changed_is_the_score_everything_else_reads(
    api: tuple[TestClient, dict[str, dict[str, str]]], project: Project, clock: Clock
) -> None:
    """l3 is warm at 65 after the batch run; a demo request through the API makes it 95
    and hot. The queue, ``leads --tier`` and the next stage move read 95 (not the run's
    65) until a later run scores it again."""
    client, keys = api
    clock.at = T0 + dt.timedelta(minutes=30)
    event = {"lead_id": "l3", "type": "demo_request", "ts": "2026-03-02T09:20:00Z"}
    answer = client.post("/v1/events", headers=keys["ingest"], json=event).json()
    (live,) = answer["leads"]
    assert (live["total"], live["tier"]) == (95.0, "hot")

    row = next(r for r in project.queue().rows if r.lead_id == "l3")
    assert row.score == 95.0 and row.reasons  # rebuilt: a live score keeps no parts
    hot = {r["lead_id"]: r["total"] for r in project.leads(tier="hot").rows}
    assert hot.get("l3") == 95.0
    moved = client.post("/v1/leads/l3/actions", headers=keys["sales"],
                        json={"action": "accept"}).json()  # fmt: skip
    last = moved["history"]["transitions"][-1]
    assert (last["to_stage"], last["score"], last["tier"]) == ("sal", 95.0, "hot")

    # A later batch run is newer than the live score: its numbers are current again.
    project.score(T0 + dt.timedelta(hours=1))
    assert next(r for r in project.queue().rows if r.lead_id == "l3").score == 95.0
    assert {r["lead_id"] for r in project.leads(tier="hot").rows} >= {"l3"}


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"tier": "nope"}, "No tier 'nope' in the queue: it must be a tier of the definition"),
        ({"tier": "hto"}, "did you mean 'hot'?"),
        ({"stage": "sall"}, "got stage 'sall' (did you mean 'sal'?)"),
        ({"owner": "Anna"}, "No owner 'Anna' in the queue: it must be a rep or an imported "
                            "owner (did you mean 'Ana'?)"),
        ({"owner": "Zed"}, "a rep or an imported owner (known: Ana, Ben)."),  # each once
    ],
)  # fmt: skip
def test_an_unknown_filter_is_refused_with_the_near_name(
    api: tuple[TestClient, dict[str, dict[str, str]]],
    project: Project,
    given: dict[str, str],
    said: str,
) -> None:
    with pytest.raises(BadQueueRequest) as refused:
        project.queue(**given)
    assert said in str(refused.value)
    client, keys = api
    answer = client.get("/v1/queue", params=given, headers=keys["read"])
    if "stage" in given:  # the route's own model refuses a stage first
        assert answer.status_code == 422
    else:
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "LG722"
        assert said in answer.json()["error"]["message"]


def test_known_filters_in_any_case_still_narrow_the_queue(project: Project) -> None:
    assert [r.lead_id for r in project.queue(tier="hot").rows] == ["l1", "l5"]
    assert {r.owner for r in project.queue(owner="ana").rows} <= {"Ana"}
