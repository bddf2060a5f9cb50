"""The demo: generate a realistic B2B dataset, import it, score it, hand off, show it.

``leadgate demo`` runs :func:`run_demo` and prints its result; everything it does is what
a user would do with their own files (``init``, ``import``, ``score``, ``leads``,
``explain``), so the demo doubles as an end-to-end check of the whole path.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clock import FixedClock
from .demo_handoff import DEMO_TEAM, DEMO_TEAM_MARK, HandoffDemo, hand_off
from .demo_loop import LoopDemo, learn
from .ingest import ImportReport
from .project import Project, init_project
from .scoring import BatchReport, Score
from .scoring.coverage import RuleCoverage
from .store import Store
from .testing import generate

KINDS_IN_ORDER = ("accounts", "leads", "events", "intent", "outcomes")


@dataclass
class DemoResult:
    directory: Path
    imports: dict[str, ImportReport]
    scoring: BatchReport
    tiers: list[dict[str, Any]]
    queue: list[dict[str, Any]]
    explained: list[Score]
    coverage: list[RuleCoverage]
    seconds: float
    notes: list[str] = field(default_factory=list)
    handoff: HandoffDemo | None = None
    loop: LoopDemo | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "imports": {k: r.as_dict() for k, r in self.imports.items()},
            "scoring": self.scoring.as_dict(),
            "tiers": self.tiers,
            "queue": [
                {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
                for row in self.queue
            ],
            "explained": [s.as_dict() for s in self.explained],
            "coverage": [r.as_dict() for r in self.coverage],
            "seconds": round(self.seconds, 2),
            "handoff": self.handoff.as_dict() if self.handoff else None,
            "loop": self.loop.as_dict() if self.loop else None,
        }


def tier_outcomes(store: Store, definition_hash: str, as_of: dt.datetime) -> list[dict[str, Any]]:
    """Leads per tier and how many of them sales later accepted and won (known outcomes)."""
    return store.query(
        """
        SELECT coalesce(s.tier, CASE WHEN s.disqualified THEN '(disqualified)'
                                ELSE '(no tier)' END) AS tier,
               count(*) AS leads,
               count(*) FILTER (WHERE o.accepted) AS accepted,
               count(*) FILTER (WHERE o.won) AS won,
               round(100.0 * count(*) FILTER (WHERE o.won) / count(*), 1) AS won_pct
        FROM scores s
        LEFT JOIN (SELECT lead_id, bool_or(outcome IN ('accepted', 'sql', 'opportunity',
                                                       'won', 'lost')) AS accepted,
                          bool_or(outcome = 'won') AS won
                   FROM outcomes GROUP BY lead_id) o USING (lead_id)
        WHERE s.definition_hash = ? AND s.as_of = ?
        GROUP BY 1 ORDER BY won_pct DESC NULLS LAST
        """,
        [definition_hash, as_of.replace(tzinfo=None)],
    )


def run_demo(
    directory: str | Path,
    *,
    seed: int = 7,
    leads: int = 5_000,
    accounts: int = 600,
    fmt: str = "parquet",
    explain: int = 2,
    handoff: bool = True,
    loop: bool = True,
) -> DemoResult:
    """Build a demo project in ``directory`` and run the whole path on it; with
    ``handoff`` (the default) its sales team too (:mod:`leadgate.demo_handoff`); with
    ``loop`` (the default) calibration on the outcomes and the proposal's tiers
    (:mod:`leadgate.demo_loop`)."""
    started = time.perf_counter()
    data = generate(seed=seed, accounts=accounts, leads=leads)
    as_of = data.end.replace(tzinfo=dt.timezone.utc)
    # The demo's data ends on a fixed day: its project lives on that day, so every run of
    # the demo shows the same numbers.
    project = init_project(directory, clock=FixedClock(as_of))
    config = project.root / "leadgate.toml"
    if handoff and DEMO_TEAM_MARK not in config.read_text(encoding="utf-8"):  # once
        with config.open("a", encoding="utf-8") as toml:
            toml.write(DEMO_TEAM)
    project = Project.open(project.root, clock=FixedClock(as_of))
    paths = data.write(project.root / "data", fmt)
    imports = {kind: project.import_file(paths[kind], kind) for kind in KINDS_IN_ORDER}
    report = project.score(as_of)
    compiled = project.compiled()
    sales_tiers = [t.name for t in compiled.tiers if t.sales]
    queue = [row for tier in sales_tiers for row in project.leads(tier=tier, limit=5).rows]
    explained = [project.explain(row["lead_id"]) for row in queue[:explain]]
    cover = project.coverage(as_of=as_of).rules
    with project.store() as store:
        tiers = tier_outcomes(store, compiled.hash, as_of)
    # Routes, SLA clocks, a breach, webhooks.
    handed = hand_off(project, as_of) if handoff else None
    learned = learn(project, as_of) if loop else None
    return DemoResult(
        directory=project.root,
        imports=imports,
        scoring=report,
        tiers=tiers,
        queue=queue,
        explained=explained,
        coverage=cover,
        seconds=time.perf_counter() - started,
        handoff=handed,
        loop=learned,
    )
