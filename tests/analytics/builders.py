"""Small stores made for a test: leads, their stage moves, outcomes and events, written into a
real project store as the handoff writes them (append-only moves, one lead_handoff row)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from leadgate.clock import FixedClock
from leadgate.project import Project, init_project
from leadgate.store import Store

NOW = dt.datetime(2026, 6, 1, 12, 0)
DAY = dt.timedelta(days=1)
PATH = ("mql", "sal", "sql", "opportunity", "won")

DEFINITION = """\
name: t
version: '2'
review_by: 2030-01-01
fit:
  rules:
    - {name: big company, when: company_size >= 100, points: 40}
    - {name: finance, when: industry = 'finance', points: 20}
    - {name: student, when: title_flag = 'student', points: 30}
engagement:
  events:
    - {type: pricing_page, points: 10}
tiers:
  - {name: hot, when: score >= 60, sla: 1h}
  - {name: mql, when: score >= 20, sla: 1d}
"""


def make_project(root: Path, definition: str = DEFINITION, config: str = "") -> Project:
    init_project(root)
    (root / "definition.yaml").write_text(definition)
    if config:
        with (root / "leadgate.toml").open("a") as out:
            out.write(config)
    return Project.open(root, clock=FixedClock(NOW))


class Writer:
    """Appends leads and what happened to them; each call writes at once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.seq = itertools.count(1)
        self.ids = itertools.count(1)

    def lead(
        self,
        lead_id: str,
        created_at: dt.datetime,
        *,
        source: str | None = None,
        company_size: int | None = None,
        industry: str | None = None,
        title_flag: str | None = None,
    ) -> None:
        self.store.execute(
            "INSERT INTO leads (lead_id, created_at, source, company_size, industry, "
            "title_flag) VALUES (?, ?, ?, ?, ?, ?)",
            [lead_id, created_at, source, company_size, industry, title_flag],
        )
        self.store.execute(
            "INSERT INTO lead_aliases (alias, lead_id) VALUES (?, ?)", [lead_id, lead_id]
        )

    def moves(
        self,
        lead_id: str,
        times: list[dt.datetime],
        *,
        tier: str | None = None,
        rejected: str | None = None,
        touched: dt.timedelta | None = None,
    ) -> None:
        """Moves along mql → sal → sql → opportunity → won at ``times`` (as many as
        given), then a rejection (to ``recycled``) with its reason; the MQL entry with its
        tier, and a first touch ``touched`` after it."""
        stages = ["lead", *PATH[: len(times)]]
        rows = [(next(self.seq), lead_id, a, b, t, "system", None, None, None, tier, None)
                for a, b, t in zip(stages, stages[1:], times, strict=False)]  # fmt: skip
        if rejected is not None:
            at = times[-1] + DAY
            rows.append((next(self.seq), lead_id, stages[len(times)], "recycled", at,
                         "user:ana", rejected, None, None, tier, None))  # fmt: skip
        self.store.executemany(
            "INSERT INTO stage_transitions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        touch = None if touched is None else times[0] + touched
        self.store.execute(
            "INSERT INTO lead_handoff VALUES (?, ?, ?, ?)", [lead_id, times[0], tier, touch]
        )

    def outcome(
        self, lead_id: str, outcome: str, ts: dt.datetime, reason: str | None = None
    ) -> None:
        self.store.execute(
            "INSERT INTO outcomes (outcome_id, lead_id, outcome, reason, ts) "
            "VALUES (?, ?, ?, ?, ?)",
            [f"o{next(self.ids)}", lead_id, outcome, reason, ts],
        )

    def event(self, lead_id: str, kind: str, ts: dt.datetime) -> None:
        self.store.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) VALUES (?, ?, ?, ?)",
            [f"e{next(self.ids)}", lead_id, kind, ts],
        )

    def mqls(self, prefix: str, n: int, converted: int, stage: str, **moves: object) -> None:
        """``n`` MQLs entered 60 days before NOW, ``converted`` of them reaching ``stage``
        a week later (the others stop at mql)."""
        mql_at = NOW - 60 * DAY
        for i in range(n):
            lead_id = f"{prefix}{i}"
            self.lead(lead_id, mql_at - DAY)
            steps = PATH.index(stage) + 1 if i < converted else 1
            times = [mql_at] + [mql_at + 7 * DAY] * (steps - 1)
            self.moves(lead_id, times, **moves)  # type: ignore[arg-type]
