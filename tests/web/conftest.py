"""A demo project (built once per run, copied for each test) and a signed-in test client."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.demo import run_demo
from leadgate.project import Project

PASSWORD = "correct horse battery"
#: Planted in every kind of user-provided text the pages show.
HOSTILE = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=1">'


@dataclass
class MovingClock:
    """A clock a test moves forward (sessions expire by the project's clock)."""

    at: dt.datetime

    def now(self) -> dt.datetime:
        return self.at

    def today(self) -> dt.date:
        return self.at.date()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo project (300 leads, scored, MQLs in the queue) with one user per role."""
    root = run_demo(tmp_path_factory.mktemp("demo") / "p", leads=300, accounts=60).directory
    # The tests read the held store beside the in-process server: no checkpoint of its own
    # may run on the writer thread meanwhile (DuckDB refuses a second call on a connection).
    with (root / "leadgate.toml").open("a", encoding="utf-8") as out:
        out.write("\n[api]\ncheckpoint = false\n")
    project = Project.open(root)
    for name, role in [("ana", "sales"), ("mia", "marketing"), ("root", "admin"), ("rex", "read")]:
        project.add_user(name, role, PASSWORD)
    return root


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "p"
    shutil.copytree(demo_template, root)
    return root


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc))


@pytest.fixture
def project(demo: Path, clock: MovingClock) -> Project:
    return Project.open(demo, clock=clock)


@pytest.fixture
def client(project: Project) -> Iterator[TestClient]:
    with TestClient(create_app(project)) as client:
        yield client


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign ``name`` in on ``client``; the CSRF token of their session."""
    answer = client.post(
        "/signin", data={"name": name, "password": password}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)
