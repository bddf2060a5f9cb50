"""Every POST of the work routes takes an ``Idempotency-Key``: sent again, the request
changes nothing and gets the first answer back; a refused request keeps nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.project import Project

from .sample import T0, Clock, make_sample, role_keys


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Project]]:
    project = make_sample(tmp_path_factory.mktemp("idem") / "p", Clock(T0))
    with TestClient(create_app(project)) as client:
        yield client, project


def rows(client: TestClient, sql: str) -> int:
    writer = client.app.state.writer  # type: ignore[attr-defined]
    return int(writer.call(lambda: writer.project.store().scalar(sql)))


def first_message(client: TestClient) -> str:
    writer = client.app.state.writer  # type: ignore[attr-defined]
    return str(writer.call(lambda: writer.project.store().scalar("SELECT min(message_id) "
                                                                 "FROM outbox")))  # fmt: skip


def definition(project: Project) -> dict[str, Any]:
    text = project.definition_path.read_text(encoding="utf-8").replace("name: sample", "name: v2")
    return {"source": text}


# (what, a request: (method, path, body), the count that must change once)
CASES: list[tuple[str, Callable[[TestClient, Project], tuple[str, Any]], str]] = [
    ("action", lambda c, p: ("/v1/leads/l3/actions", {"action": "accept"}),
     "SELECT count(*) FROM stage_transitions WHERE actor LIKE 'key:%'"),
    ("upload", lambda c, p: ("/v1/definitions", definition(p)),
     "SELECT count(*) FROM definitions"),
    ("replay", lambda c, p: (f"/v1/outbox/{first_message(c)}/replay", None),
     "SELECT sum(round) FROM outbox"),
    ("erasure", lambda c, p: ("/v1/erasures", {"email": "l6@fern.com"}),
     "SELECT count(*) FROM erasures"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "request_of", "count"), CASES, ids=[c[0] for c in CASES])
def test_a_retried_post_changes_nothing_and_answers_the_first_answer(
    sample: tuple[TestClient, Project],
    what: str,
    request_of: Callable[[TestClient, Project], tuple[str, Any]],
    count: str,
) -> None:
    client, project = sample
    headers = {"Authorization": f"Bearer {role_keys(project)['admin']}",
               "Idempotency-Key": f"retry-{what}"}  # fmt: skip
    path, body = request_of(client, project)
    before = rows(client, count)
    first = client.post(path, json=body, headers=headers)
    assert first.status_code in (200, 201), first.text
    assert rows(client, count) == before + 1
    again = client.post(path, json=body, headers=headers)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers.get("idempotent-replayed") == "true"
    assert rows(client, count) == before + 1
    if body is not None:  # the same key with another body is a client bug: refused
        changed = body | ({"action": "contacted"} if what == "action" else {"source": "x"})
        changed = changed if what != "erasure" else {"email": "l4@dune.com"}
        other = client.post(path, json=changed, headers=headers)
        assert other.status_code == 422 and other.json()["error"]["code"] == "LG713"
        assert rows(client, count) == before + 1


def test_a_refused_action_keeps_nothing_and_the_key_works_afterwards(
    sample: tuple[TestClient, Project],
) -> None:
    client, project = sample
    headers = {"Authorization": f"Bearer {role_keys(project)['sales']}",
               "Idempotency-Key": "refused-then-fixed"}  # fmt: skip
    kept = rows(client, "SELECT count(*) FROM idempotency")
    illegal = client.post("/v1/leads/l5/actions", json={"action": "won"}, headers=headers)
    assert illegal.status_code == 409
    assert rows(client, "SELECT count(*) FROM idempotency") == kept
    fixed = client.post("/v1/leads/l5/actions", json={"action": "won"}, headers=headers)
    assert fixed.status_code == 409 and "idempotent-replayed" not in fixed.headers
    accepted = client.post("/v1/leads/l5/actions", json={"action": "accept"},
                           headers=headers | {"Idempotency-Key": "accept-l5"})  # fmt: skip
    assert accepted.status_code == 200
