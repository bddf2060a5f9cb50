"""No page or JSON twin answers without a live session; roles decide what a person may do;
every unsafe request needs the session's CSRF token from this site."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from leadgate.project import Project
from leadgate.web import actions, routes, routes_analysis

from .conftest import sign_in

#: Routes of the app that answer without a session, on purpose.
PUBLIC = {"/health", "/signin", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def web_routes() -> list[tuple[str, str]]:
    """Every (method, path) of the dashboard, with a real lead id in its path."""
    found = []
    analysis = [*routes_analysis.router.routes, *routes_analysis.api.routes]
    for route in [*routes.router.routes, *routes.api.routes, *actions.router.routes, *analysis]:
        assert isinstance(route, Route)
        if route.path in PUBLIC:
            continue
        path = route.path.replace("{lead_id}", "L0000001").replace("{name}", "ana")
        path = path.replace("{action}", "accept").replace("{key}", "abcdef123456")
        found += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return found


def test_every_page_and_twin_refuses_a_request_without_a_session(client: TestClient) -> None:
    found = web_routes()
    paths = {p for _, p in found}
    assert {"/", "/queue", "/leads/L0000001", "/definition", "/reps", "/people"} <= paths
    assert {"/v1/dashboard/queue", "/v1/dashboard/leads/L0000001"} <= paths
    assert {"/compare", "/calibration", "/definition/diff", "/compare/run"} <= paths
    assert {"/v1/dashboard/compare", "/v1/dashboard/calibration"} <= paths
    for method, path in found:
        answer = client.request(method, path, follow_redirects=False)
        assert answer.status_code in (303, 401), (method, path, answer.status_code)
        assert "L0000001" not in answer.text.replace(path, "")
        if method == "GET" and not path.startswith("/v1/"):
            assert answer.headers["location"].startswith("/signin?next=")
    client.cookies.set("leadgate_session", "forged-or-stale")
    assert client.get("/v1/dashboard/queue").status_code == 401


def test_an_api_key_reads_a_twin_as_the_api_does(client: TestClient, project: Project) -> None:
    read = project.create_key("crm", "read").key
    ingest = project.create_key("site", "ingest").key
    assert client.get("/v1/dashboard/queue", headers={"X-API-Key": read}).status_code == 200
    assert client.get("/v1/dashboard/queue", headers={"X-API-Key": ingest}).status_code == 403


@pytest.mark.parametrize(
    ("name", "path", "status"),
    [
        ("ana", "/people", 403),
        ("ana", "/v1/dashboard/people", 403),
        ("mia", "/people", 403),
        ("root", "/people", 200),
        ("rex", "/queue", 200),
    ],
)
def test_roles_decide_what_a_person_sees(
    client: TestClient, name: str, path: str, status: int
) -> None:
    sign_in(client, name)
    assert client.get(path).status_code == status


def test_only_a_role_that_works_the_queue_may_act_on_it(client: TestClient) -> None:
    lead = client_first_lead(client, "rex")
    token = sign_in(client, "rex")
    refused = client.post(f"/queue/{lead}/accept", data={"csrf_token": token})
    assert refused.status_code == 403 and "may not work" in refused.text
    token = sign_in(client, "ana")
    done = client.post(f"/queue/{lead}/accept", data={"csrf_token": token},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    history = client.get(f"/v1/dashboard/leads/{lead}").json()["history"]
    assert history["stage"] == "sal"
    assert history["transitions"][-1]["actor"] == "user:ana"


def test_a_forged_post_is_refused_and_changes_nothing(client: TestClient) -> None:
    lead = client_first_lead(client, "ana")
    token = sign_in(client, "ana")
    forged = [
        ({}, {}),  # no token
        ({"csrf_token": "guess"}, {}),  # a wrong one
        ({"csrf_token": token}, {"origin": "http://evil.example"}),  # right token, other site
    ]
    for data, headers in forged:
        answer = client.post(f"/queue/{lead}/accept", data=data, headers=headers)
        assert answer.status_code == 403, (data, headers)
    assert client.get(f"/v1/dashboard/leads/{lead}").json()["history"]["stage"] == "mql"
    # Sign-out is a form too: without the token it does nothing.
    assert client.post("/signout").status_code == 403
    assert client.get("/v1/dashboard/queue").status_code == 200


def test_the_queue_pages_by_keyset_through_every_lead_once(
    client: TestClient, project: Project
) -> None:
    sign_in(client, "ana")
    tiers = [t.name for t in project.compiled().tiers]
    seen: list[tuple[int, str, str]] = []
    after = None
    while True:
        page = client.get("/v1/dashboard/queue", params={"after": after} if after else {}).json()
        rank = {None: len(tiers), **{t: i for i, t in enumerate(tiers)}}
        seen += [(rank[r["tier"]], r["mql_at"] or "~", r["lead_id"]) for r in page["leads"]]
        after = page["next"]
        if after is None:
            break
    with project.store() as store:
        queued = store.scalar("SELECT count(*) FROM leads WHERE stage IN ('mql', 'sal')")
    assert queued > 25  # more than one page
    assert seen == sorted(seen) and len({lead for *_, lead in seen}) == len(seen) == queued
    bad = client.get("/v1/dashboard/queue", params={"after": "garbage!"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "LG722"


def test_the_queue_filters_by_tier_and_search(client: TestClient, project: Project) -> None:
    sign_in(client, "ana")
    first = client.get("/v1/dashboard/queue").json()["leads"][0]
    tier = client.get("/v1/dashboard/queue", params={"tier": first["tier"]}).json()["leads"]
    assert tier and {r["tier"] for r in tier} == {first["tier"]}
    word = (first["company"] or first["email"]).split()[0]
    found = client.get("/v1/dashboard/queue", params={"q": word}).json()["leads"]
    assert first["lead_id"] in {r["lead_id"] for r in found}
    page = client.get("/queue", params={"q": word}).text
    assert f'value="{word}"' in page and first["lead_id"] in page


def test_an_unknown_lead_is_a_404_page_and_a_404_twin(client: TestClient) -> None:
    sign_in(client, "ana")
    page = client.get("/leads/nobody@example.com")
    assert page.status_code == 404 and "No lead with id or email" in page.text
    assert page.headers["content-type"].startswith("text/html")
    twin = client.get("/v1/dashboard/leads/nobody@example.com")
    assert twin.status_code == 404 and twin.json()["error"]["code"] == "LG402"


def test_static_files_are_served_by_leadgate(client: TestClient) -> None:
    assert "htmx" in client.get("/static/htmx.min.js").text[:200]
    page = client.get("/signin")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert not re.search(r"(src|href)=\"https?://", page.text)


def client_first_lead(client: TestClient, name: str) -> str:
    sign_in(client, name)
    lead: str = client.get("/v1/dashboard/queue").json()["leads"][0]["lead_id"]
    return lead
