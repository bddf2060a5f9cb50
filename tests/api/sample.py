"""A small project on disk for the read and work routes: scored leads in two sales tiers
and a nurture tier, reps and routing rules, the MQLs routed, and a key for every role."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from leadgate.api.keys import ROLES
from leadgate.clock import FixedClock
from leadgate.project import Project, init_project

DEFINITION = """\
name: sample
version: '1'
fit:
  rules:
    - {name: big company, when: company_size >= 100, points: 40}
    - {name: mid company, when: company_size >= 10, points: 15}
    - {name: senior, when: "seniority in ['vp', 'cxo']", points: 20}
engagement:
  events:
    - {type: demo_request, points: 30}
    - {type: page_view, points: 2, cap: 10}
tiers:
  - {name: hot, when: score >= 70, sla: 1h}
  - {name: warm, when: score >= 40, sla: 1d}
  - {name: nurture, when: score >= 15, sales: false}
"""

ROUTING = """
[[reps]]
name = "Ana"
email = "ana@example.com"
teams = ["ae"]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
working_hours = "00:00-23:59"
timezone = "UTC"

[[reps]]
name = "Ben"
email = "ben@example.com"
teams = ["ae"]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
working_hours = "00:00-23:59"
timezone = "UTC"

[routing]
rules = [
  { name = "everyone", to = "pool:ae" },
]

# The tests move the clock and count outbox messages: no sweep of the server's own between;
# they read the held store beside the server: no checkpoint of its own on the writer either.
[api]
sweep = false
checkpoint = false
"""

T0 = dt.datetime(2026, 3, 2, 9, 0)

#: lead id → (company, size, seniority, demo requests, page views)
LEADS = {
    "l1": ("Acme", 500, "vp", 1, 3),  # 40 + 15 + 20 + 30 + 6 = 111: hot
    "l2": ("Bolt", 50, "cxo", 1, 0),  # 15 + 20 + 30 = 65: warm
    "l3": ("Core", 200, "ic", 0, 5),  # 40 + 15 + 10 = 65: warm
    "l4": ("Dune", 20, "ic", 0, 1),  # 15 + 2 = 17: nurture
    "l5": ("Echo", 300, "cxo", 1, 0),  # 40 + 15 + 20 + 30 = 105: hot
    "l6": ("Fern", 1, "ic", 0, 0),  # 0: no tier
}


class Clock:
    """A clock a test moves forward (the project reads it on every store)."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return FixedClock(self.at).now()

    def today(self) -> dt.date:
        return self.at.date()


def make_sample(root: Path, clock: Clock, *, details: bool = False) -> Project:
    """The sample project, scored at :data:`T0` and routed."""
    init_project(root, clock=clock)
    (root / "definition.yaml").write_text(DEFINITION, encoding="utf-8")
    with (root / "leadgate.toml").open("a", encoding="utf-8") as toml:
        toml.write(ROUTING)
    project = Project.open(root, clock=clock)
    with project.store() as store:
        for lead_id, (company, size, seniority, demos, views) in LEADS.items():
            store.execute(
                "INSERT INTO leads (lead_id, email, company, company_size, seniority, source) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [lead_id, f"{lead_id}@{company.lower()}.com", company, size, seniority, "web"],
            )
            store.execute("INSERT INTO lead_aliases (alias, lead_id) VALUES (?, ?)", [lead_id] * 2)
            events = [("demo_request", i) for i in range(demos)]
            events += [("page_view", i) for i in range(views)]
            for kind, i in events:
                store.execute(
                    "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, ?, ?, ?)",
                    [f"{lead_id}-{kind}-{i}", lead_id, kind, T0 - dt.timedelta(hours=i + 1)],
                )
    project.score(T0, details=details)
    project.route(apply=True, at=T0.replace(tzinfo=dt.timezone.utc))
    return project


def role_keys(project: Project) -> dict[str, str]:
    """A key for every role, by role."""
    return {role: project.create_key(f"{role} key", role).key for role in ROLES}
