"""Fixtures of the API tests: a project with a small definition, and keys of each role."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from leadgate.clock import FixedClock
from leadgate.project import Project, init_project

NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.timezone.utc)

DEFINITION = """\
leadgate: 1
name: api-test
version: "1"
fit:
  rules:
    - {name: senior, when: "seniority in ['director', 'vp', 'cxo']", points: 20}
engagement:
  half_life: 30d
  events:
    - {type: demo_request, points: 30, half_life: none}
    - {type: pricing_page, points: 20, cap: 40}
    - {type: page_view, points: 1, cap: 5, window: 30d}
    - {type: unsubscribe, points: -20}
tiers:
  - {name: hot, when: "score >= 50", sla: 1h, route: fast}
  - {name: warm, when: "score >= 20", sales: false}
"""


def api_project(root: Path, definition: str = DEFINITION, api: str = "") -> Project:
    """A project at ``root`` with ``definition`` and an ``[api]`` table, on a fixed clock.
    The server's sweep worker is off unless ``api`` sets it (tests count what they cause),
    and so are its checkpoints in pauses, unless ``api`` sets one of their keys: a test reads
    the held store beside the in-process server, and DuckDB refuses a call on a connection
    that the writer thread is using."""
    project = init_project(root)
    (project.root / "definition.yaml").write_text(definition, encoding="utf-8")
    if "sweep" not in api:
        api = "sweep = false\n" + api
    if "checkpoint" not in api:
        api = "checkpoint = false\n" + api
    with (project.root / "leadgate.toml").open("a", encoding="utf-8") as out:
        out.write("\n[api]\n" + api + "\n")
    return Project.open(project.root, clock=FixedClock(NOW))
