"""Every route × every role: a role that may is let through, one that may not gets 403,
and a request without a key 401. The routes are read from the app itself, so a route
added without a rule in :data:`RULES` fails this test until someone decides who may use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.api.keys import ADMIN, DEFINE, INGEST, READ, ROLES, WORK
from leadgate.project import Project

from .conftest import api_project
from .sample import T0, Clock, make_sample, role_keys

#: (method, path) → the permission the route asks for; None: no key needed.
RULES: dict[tuple[str, str], str | None] = {
    ("GET", "/health"): None,
    ("GET", "/v1/whoami"): READ,
    ("GET", "/v1/leads/{lead}"): READ,
    ("POST", "/v1/leads/{lead}/actions"): WORK,
    ("GET", "/v1/leads/{lead}/route"): READ,
    ("GET", "/v1/queue"): READ,
    ("GET", "/v1/reps"): READ,
    ("GET", "/v1/definitions"): READ,
    ("GET", "/v1/definitions/{hash}"): READ,
    ("POST", "/v1/definitions"): DEFINE,
    ("POST", "/v1/definitions/{hash}/activate"): DEFINE,
    ("GET", "/v1/outbox"): ADMIN,
    ("GET", "/v1/outbox/{message_id}"): ADMIN,
    ("POST", "/v1/outbox/{message_id}/replay"): ADMIN,
    ("POST", "/v1/erasures"): ADMIN,
    ("POST", "/v1/events"): INGEST,
    ("POST", "/v1/leads"): INGEST,
    ("GET", "/metrics"): READ,
    ("GET", "/v1/dashboard/overview"): READ,
    ("GET", "/v1/dashboard/queue"): READ,
    ("GET", "/v1/dashboard/leads/{lead_id}"): READ,
    ("GET", "/v1/dashboard/definition"): READ,
    ("GET", "/v1/dashboard/reps"): READ,
    ("GET", "/v1/dashboard/people"): ADMIN,
    ("GET", "/v1/dashboard/definition/diff"): READ,
    ("GET", "/v1/dashboard/compare"): READ,
    ("GET", "/v1/dashboard/calibration"): READ,
}
#: Routes that are not the public API: the CLI's own channel checks its token
#: (test_one_writer); the dashboard's HTML pages and forms work with a person's session, not
#: a key (tests/web/test_guard.py tries each of them without one).
NOT_API = {
    ("POST", "/_local/project"),
    ("GET", "/"),
    ("GET", "/definition"),
    ("GET", "/leads/{lead_id}"),
    ("GET", "/people"),
    ("GET", "/queue"),
    ("GET", "/reps"),
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("POST", "/signout"),
    ("POST", "/people/{name}/disable"),
    ("POST", "/queue/{lead_id}/{action}"),
    ("GET", "/definition/diff"),
    ("POST", "/definition/{key}/activate"),
    ("GET", "/compare"),
    ("POST", "/compare/run"),
    ("GET", "/calibration"),
    ("POST", "/calibration/run"),
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Project]]:
    project = make_sample(tmp_path_factory.mktemp("roles") / "p", Clock(T0))
    with TestClient(create_app(project)) as client:
        yield client, project


def app_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, routers included."""
    return sorted(walk(client.app.routes, ""))  # type: ignore[attr-defined]


def walk(routes: list[Any], prefix: str) -> set[tuple[str, str]]:
    """The routes, descending into included routers (FastAPI keeps those as a route that
    holds the router: ``original_router``, with the prefix given at inclusion)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            found |= {(m, prefix + route.path) for m in route.methods - {"HEAD"}}
        elif hasattr(route, "original_router"):
            inner = prefix + getattr(route.include_context, "prefix", "")
            found |= walk(route.original_router.routes, inner)
        elif getattr(route, "path", "") not in DOCS | {"/static"}:
            raise AssertionError(f"a route this test cannot read: {route!r}")
    return found


#: FastAPI's own pages: the schema and its viewers.
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def test_every_route_of_the_app_has_a_rule(sample: tuple[TestClient, Project]) -> None:
    client, _ = sample
    missing = [r for r in app_routes(client) if r not in RULES and r not in NOT_API]
    assert not missing, f"routes without a rule in RULES (who may use them?): {missing}"
    gone = [r for r in RULES if r not in app_routes(client)]
    assert not gone, f"rules for routes the app no longer has: {gone}"


def request_for(project: Project, method: str, path: str) -> tuple[str, dict[str, Any] | None]:
    """A well-formed request of the route: real path parameters and a valid body."""
    with project.store() as store:
        message = store.scalar("SELECT min(message_id) FROM outbox")
    values = {
        "lead": "l3",
        "lead_id": "l3",
        "hash": project.compiled().hash,
        "message_id": message,
    }
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
    bodies = {
        "/v1/leads/{lead}/actions": {"action": "contacted"},
        "/v1/definitions": {"source": project.definition_path.read_text(encoding="utf-8")},
        "/v1/events": {"lead_id": "l3", "type": "page_view", "ts": "2026-03-01T09:00:00Z"},
        "/v1/leads": {"lead_id": "l3", "title": "VP Sales"},
        # an email no lead has: the admin's try is a 404, and the sample keeps its people
        "/v1/erasures": {"email": "nobody@example.com"},
    }
    return url, bodies.get(path) if method == "POST" else None


@pytest.mark.parametrize("role", [*sorted(ROLES), "no key"])
def test_each_role_on_every_route(sample: tuple[TestClient, Project], role: str) -> None:
    client, project = sample
    keys = role_keys(project)
    headers = {"Authorization": f"Bearer {keys[role]}"} if role in keys else {}
    tried = 0
    for method, path in app_routes(client):
        if (method, path) in NOT_API:
            continue
        tried += 1
        url, body = request_for(project, method, path)
        answer = client.request(method, url, headers=headers, json=body)
        needed = RULES[(method, path)]
        where = f"{role} {method} {path}: {answer.status_code} {answer.text[:200]}"
        if needed is None:
            assert answer.status_code not in (401, 403), where
        elif role == "no key":
            assert answer.status_code == 401, where
        elif needed in ROLES[role]:
            assert answer.status_code not in (401, 403), where
            assert answer.status_code < 500, where
        else:
            assert answer.status_code == 403, where
            assert answer.json()["error"]["code"] == "LG707", where
    assert tried == len(RULES)


def test_the_cases_the_issue_names(sample: tuple[TestClient, Project]) -> None:
    client, project = sample
    keys = role_keys(project)
    version = project.compiled().hash
    sales = {"X-API-Key": keys["sales"]}
    refused = client.post(f"/v1/definitions/{version}/activate", headers=sales)
    assert refused.status_code == 403
    assert "may not define" in refused.json()["error"]["message"]
    ingest = {"X-API-Key": keys["ingest"]}
    assert client.get("/v1/leads/l1", headers=ingest).status_code == 403
    assert client.get("/v1/queue", headers=ingest).status_code == 403
    for path in ("/v1/leads/l1", "/v1/queue", "/v1/definitions", "/v1/outbox", "/v1/reps"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert "l1@acme.com" not in answer.text and "Acme" not in json.dumps(answer.json())


def test_the_readme_routes_table_names_every_route_with_its_permission(
    sample: tuple[TestClient, Project],
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+ /\S*)` \| (\w+) \|", readme, flags=re.M))
    for (method, path), needed in RULES.items():
        assert rows.get(f"{method} {path}") == (needed or "none"), (method, path)


@pytest.mark.parametrize("field", ["stage", "last_contacted"])
def test_an_upsert_moves_the_handoff_only_with_a_role_that_may_work(
    tmp_path: Path, field: str
) -> None:
    """``ingest`` posts leads, nothing else: a handoff field in its upsert is refused whole
    (403, the one error shape, naming the item, the field and the roles that may); admin,
    which may work leads too, moves it."""
    project = api_project(tmp_path / "p")
    keys = role_keys(project)
    value = {"stage": "won", "last_contacted": "2026-11-02T10:00:00Z"}[field]
    rows = [{"lead_id": "L7", "title": "VP"}, {"lead_id": "L8", field: value}]
    with TestClient(create_app(project)) as client:
        ingest = {"X-API-Key": keys["ingest"]}
        answer = client.post("/v1/leads", headers=ingest, json={"leads": rows})
        assert answer.status_code == 403, answer.text
        error = answer.json()["error"]
        assert error["code"] == "LG707"
        assert error["message"].startswith(f"leads[1].{field}: key ")
        assert "roles that may: admin." in error["message"]
        assert [(d["index"], d["field"]) for d in error["details"]] == [(1, field)]
        with project.store() as store:
            assert store.scalar("SELECT count(*) FROM leads") == 0  # nothing written
        plain = client.post("/v1/leads", headers=ingest, json={"leads": rows[:1]})
        assert plain.status_code == 200, plain.text
        admin = {"X-API-Key": keys["admin"]}
        moved = client.post("/v1/leads", headers=admin, json={"leads": rows})
        assert moved.status_code == 200, moved.text
    if field == "stage":
        with project.store() as store:
            assert store.scalar("SELECT stage FROM leads WHERE lead_id = 'L8'") == "won"
