"""Definition versions: upload, list, activate (the file changes, the activation is recorded,
the previous text is kept), through the library, the routes and the CLI; and the outbox
routes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadgate.definition.versions import (
    AmbiguousVersion,
    DefinitionVersion,
    VersionNotFound,
    find,
)
from leadgate.errors import DefinitionError
from leadgate.project import Project

from .sample import DEFINITION, T0, Clock, make_sample, role_keys

WARMER = DEFINITION.replace("score >= 70", "score >= 60")
BROKEN = """\
name: broken
version: 2
fit:
  rules:
    - {name: big, when: company_sise >= 100, points: forty}
tiers:
  - {name: hot}
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_sample(tmp_path / "p", Clock(T0))


@pytest.fixture
def api(project: Project) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    from leadgate.api.app import create_app

    keys = {role: {"X-API-Key": key} for role, key in role_keys(project).items()}
    with TestClient(create_app(project)) as client:
        yield client, keys


def test_a_version_is_kept_then_activated_and_the_previous_one_kept(project: Project) -> None:
    first = project.compiled().hash
    added = project.add_definition(WARMER)
    new = added.version.hash
    assert added.validation.ok and not added.version.active and added.source == WARMER
    assert project.compiled().hash == first  # kept, not active yet
    done = project.activate(new[:8], actor="user:ana")
    assert (done.definition_hash, done.previous_hash, done.actor) == (new, first, "user:ana")
    assert project.definition_path.read_text(encoding="utf-8") == WARMER
    assert project.compiled().hash == new
    listing = project.definitions()
    assert listing.active_hash == new
    by_hash = {v.hash: v for v in listing.versions}
    assert by_hash[new].active and by_hash[new].activated_by == "user:ana"
    assert not by_hash[first].active and by_hash[first].stored
    back = project.activate(first, actor="key:0123456789ab")
    assert back.previous_hash == new and project.compiled().hash == first
    assert [a.definition_hash for a in project.definitions().activations] == [first, new]


def test_an_invalid_text_is_refused_with_every_problem_and_nothing_kept(project: Project) -> None:
    before = project.definitions()
    with pytest.raises(DefinitionError) as refused:
        project.add_definition(BROKEN)
    paths = {p.path for p in refused.value.problems if p.severity == "error"}
    assert {"fit.rules[0].points", "fit.rules[0].when", "tiers[0].when"} <= paths
    assert project.definitions().versions == before.versions


def test_unknown_and_ambiguous_hashes(project: Project) -> None:
    with pytest.raises(VersionNotFound, match="leadgate definitions"):
        project.definition_version("ffffffffff")
    with pytest.raises(VersionNotFound):
        project.activate("ab", actor="user:ana")  # too short to be a prefix
    assert project.definition_version(project.compiled().hash[:6]).version.active
    twins = [DefinitionVersion(h, "d", "1", None, True, False) for h in ("abcdef12", "abcdef34")]
    with pytest.raises(AmbiguousVersion, match="abcdef12, abcdef34"):
        find(twins, "abcdef")


def test_an_invalid_file_is_kept_beside_it_when_a_version_replaces_it(project: Project) -> None:
    good = project.compiled().hash
    project.definition_path.write_text(BROKEN, encoding="utf-8")
    listing = project.definitions()
    assert listing.active_hash is None and listing.problems
    project.activate(good, actor="user:ana")
    kept = list(project.root.glob("definition.yaml.*.bak"))
    assert [p.read_text(encoding="utf-8") for p in kept] == [BROKEN]
    assert project.compiled().hash == good


def test_the_routes_upload_activate_and_refuse_sales(
    api: tuple[TestClient, dict[str, dict[str, str]]], project: Project
) -> None:
    client, keys = api
    broken = client.post("/v1/definitions", json={"source": BROKEN}, headers=keys["marketing"])
    assert broken.status_code == 422
    assert len(broken.json()["error"]["details"]) >= 3  # every problem at once
    made = client.post("/v1/definitions", json={"source": WARMER}, headers=keys["marketing"])
    assert made.status_code == 201
    new = made.json()["hash"]
    shown = client.get(f"/v1/definitions/{new[:10]}", headers=keys["read"]).json()
    assert shown["source"] == WARMER and shown["validation"]["valid"]
    refused = client.post(f"/v1/definitions/{new}/activate", headers=keys["sales"])
    assert refused.status_code == 403
    assert project.definition_path.read_text(encoding="utf-8") == DEFINITION
    done = client.post(f"/v1/definitions/{new}/activate", headers=keys["marketing"]).json()
    marketing = client.get("/v1/whoami", headers=keys["marketing"]).json()["key_id"]
    assert done["actor"] == f"key:{marketing}"
    listing = client.get("/v1/definitions", headers=keys["read"]).json()
    assert listing["active_hash"] == new
    assert client.get("/v1/definitions/0000000000", headers=keys["read"]).status_code == 404


def test_the_cli_lists_and_activates(project: Project) -> None:
    new = project.add_definition(WARMER).version.hash

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "leadgate", "-C", str(project.root), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    done = cli("definitions", "activate", new[:12], "--as", "ana", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["actor"] == "user:ana"
    listed = json.loads(cli("definitions", "--json").stdout)
    assert listed["active_hash"] == new
    missing = cli("definitions", "show", "ffffffffff", "--json")
    assert missing.returncode == 1 and json.loads(missing.stderr)["error"]["code"] == "LG720"


def test_the_outbox_routes(
    api: tuple[TestClient, dict[str, dict[str, str]]], project: Project
) -> None:
    client, keys = api
    admin = keys["admin"]
    listing = client.get("/v1/outbox", params={"state": "pending", "limit": 3}, headers=admin)
    body = listing.json()
    assert body["count"] == 3 and body["counts"]["pending"] == project.outbox().counts["pending"]
    message_id = body["messages"][0]["message_id"]
    one = client.get(f"/v1/outbox/{message_id}", headers=admin).json()
    assert one["message_id"] == message_id and one["deliveries"] == []
    again = client.post(f"/v1/outbox/{message_id}/replay", headers=admin).json()
    assert again["round"] == one["round"] + 1 and again["state"] == "pending"
    assert client.get("/v1/outbox/msg_nope", headers=admin).status_code == 404
    assert client.get("/v1/outbox", headers=keys["marketing"]).status_code == 403
