"""API keys (stored hashed, revocable) and the role check on real routes of the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.api.auth import VerifiedKeys
from leadgate.api.keys import ROLES, KeyError_, parse_key
from leadgate.project import Project, init_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return init_project(tmp_path / "p")


@pytest.fixture
def client(project: Project) -> Iterator[TestClient]:
    with TestClient(create_app(project)) as client:
        yield client


def test_a_key_is_shown_once_and_stored_only_as_its_hash(project: Project) -> None:
    new = project.create_key("website", "ingest")
    assert parse_key(new.key) == new.info.key_id
    with project.store() as store:
        rows = store.query("SELECT * FROM api_keys")
    assert len(rows) == 1
    assert all(new.key not in str(value) for value in rows[0].values())
    secret = new.key.rsplit("_", 1)[1]
    assert all(secret not in str(value) for value in rows[0].values())
    assert [k.key_id for k in project.keys().keys] == [new.info.key_id]


def test_unknown_role_and_unknown_key_are_refused_clearly(project: Project) -> None:
    with pytest.raises(KeyError_, match="Unknown role 'boss'.*admin, marketing"):
        project.create_key("x", "boss")
    with pytest.raises(KeyError_, match="No API key 'nope'"):
        project.revoke_key("nope")


def test_health_needs_no_key_but_everything_else_does(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    answer = client.get("/v1/whoami")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error"]["code"] == "LG705"


def test_a_key_works_until_it_is_revoked(client: TestClient, project: Project) -> None:
    new = project.create_key("crm", "read")
    bearer = {"Authorization": f"Bearer {new.key}"}
    assert client.get("/v1/whoami", headers=bearer).json()["key_id"] == new.info.key_id
    assert client.get("/v1/whoami", headers={"X-API-Key": new.key}).status_code == 200
    project.revoke_key(new.info.key_id)
    answer = client.get("/v1/whoami", headers=bearer)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "LG706"


def test_a_forged_secret_with_a_real_id_is_refused(client: TestClient, project: Project) -> None:
    new = project.create_key("crm", "admin")
    forged = new.key[:-4] + ("AAAA" if not new.key.endswith("AAAA") else "BBBB")
    assert client.get("/v1/whoami", headers={"X-API-Key": forged}).status_code == 401


@pytest.mark.parametrize("role", sorted(ROLES))
def test_whoami_needs_read_permission(client: TestClient, project: Project, role: str) -> None:
    new = project.create_key(role, role)
    answer = client.get("/v1/whoami", headers={"X-API-Key": new.key})
    if "read" in ROLES[role]:
        assert answer.status_code == 200
        assert answer.json()["role"] == role
    else:
        assert answer.status_code == 403
        error = answer.json()["error"]
        assert error["code"] == "LG707"
        assert f"role {role!r}" in error["message"]


def test_every_error_has_the_one_shape(client: TestClient) -> None:
    for answer in (client.get("/nowhere"), client.post("/health"), client.get("/v1/whoami")):
        assert set(answer.json()) == {"error"}
        assert set(answer.json()["error"]) == {"code", "message", "details"}


def test_a_key_verified_before_its_revocation_began_is_not_taken_from_memory(
    project: Project,
) -> None:
    """The server's memory of verified keys (VerifiedKeys): a key whose revocation began in
    this process is read from the store again, even if a read that began before the
    revocation committed (and saw it valid) hands it over afterwards."""
    new = project.create_key("crm", "read")
    verified = VerifiedKeys()
    verified.remember(new.key, new.info)
    assert verified.get(new.key) == new.info
    project.revoke_key(new.info.key_id)
    assert verified.get(new.key) is None
    verified.remember(new.key, new.info)  # a read from before the revocation, late
    assert verified.get(new.key) is None
