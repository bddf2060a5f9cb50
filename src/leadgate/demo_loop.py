"""The demo's learning loop: calibrate on the generated outcomes, propose the next version,
and show whether its tiers convert in order and beat the starting definition.

The generated world (:mod:`leadgate.testing.truth`) hands leads to sales by a naive old
score and decides who buys from seniority, company size, industry fit, demo and pricing
activity, intent and the form answer. Only the leads that old score handed over have
outcomes, and its points are nearly the starting definition's engagement points: the label
is mostly "the old process picked it", which the starting definition already ranks well.
Both definitions are read as of each lead's decision time (:mod:`leadgate.calibrate.decision`:
its first outcome, else the as-of time), never with the events after it.

What counts as converting is ``sql`` (or any later stage): at a few thousand leads the
deals won are too few to order three tiers by. Conversion per tier is measured on the
leads old enough to have an outcome (created :data:`MIN_AGE_DAYS` or more before the
as-of time). The proposal learned from the older 60 % of them: the holdout comparison
(the calibration's, on the latest 20 %) is the out-of-sample one, and the backtest
comparison (``leadgate compare``, every day of the year) says how each would have worked
live. Each has its own verdict, printed as measured: in the demo the proposal beats the
start replayed day by day, not on the holdout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LeadgateError

if TYPE_CHECKING:
    from .calibrate import Calibration
    from .definition import CompiledDefinition
    from .project import Project
    from .store import Store

OUTCOME = "sql"
CONVERTED = ("sql", "opportunity", "won", "lost")  # an SQL whatever came of it
MIN_AGE_DAYS = 90
PROPOSED_FILE = "proposed.yaml"


@dataclass
class LoopDemo:
    """What the loop found: each definition's conversion per tier, the verdicts."""

    outcome: str
    current_version: str
    proposed_version: str | None = None
    proposed_path: Path | None = None
    current_path: Path | None = None  # the project's definition.yaml, compared with the proposal
    tiers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # version → rows
    in_order: bool = False
    beats: bool = False  # on the holdout: better ranking and precision at the same volume
    beats_backtest: bool = False  # replayed day by day: better precision and better recall
    holdout: dict[str, dict[str, Any]] = field(default_factory=dict)
    backtest: dict[str, dict[str, Any]] = field(default_factory=dict)  # current, proposed
    auc: dict[str, float | None] = field(default_factory=dict)
    note: str | None = None  # why the loop could not run (too few outcomes)

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("proposed_path", "current_path"):
            out[key] = None if out[key] is None else str(out[key])
        return out


def tier_conversion(
    store: Store, c: CompiledDefinition, as_of: dt.datetime
) -> list[dict[str, Any]]:
    """Leads per tier of ``c`` (its order, then no tier) old enough to have an outcome, and
    the share of them that became SQLs, each lead scored as of its decision time. Scored by
    the plan without writing a score: the proposal is not active, and scoring it for real
    would move leads into MQL."""
    from .calibrate.matrix import current_scores

    marks = ", ".join("?" for _ in CONVERTED)
    when = as_of.replace(tzinfo=None)
    rows = store.execute(
        f"""
        SELECT l.lead_id, o.lead_id IS NOT NULL FROM leads l
        LEFT JOIN (SELECT DISTINCT lead_id FROM lead_outcomes
                   WHERE outcome IN ({marks}) AND ts <= ?) o USING (lead_id)
        WHERE l.created_at <= ? - INTERVAL ({MIN_AGE_DAYS}) DAY ORDER BY l.lead_id
        """,
        [*CONVERTED, when, when],
    ).fetchall()
    ids = [str(r[0]) for r in rows]
    _, tiers = current_scores(store, c, when, ids)
    counts: dict[str, list[int]] = {}
    for tier, (_, converted) in zip(tiers.tolist(), rows, strict=True):
        n_k = counts.setdefault(tier or "(no tier)", [0, 0])
        n_k[0] += 1
        n_k[1] += int(bool(converted))
    out = []
    for name in [*(t.name for t in c.tiers), "(no tier)"]:
        n, k = counts.get(name, [0, 0])
        out.append({"tier": name, "leads": n, "converted": k,
                    "rate": round(k / n, 4) if n else None})  # fmt: skip
    return out


def in_order(rows: list[dict[str, Any]]) -> bool:
    """Each tier converts strictly better than the next (no tier included, last)."""
    rates = [r["rate"] for r in rows]
    return None not in rates and all(a > b for a, b in zip(rates, rates[1:], strict=False))


def learn(project: Project, as_of: dt.datetime) -> LoopDemo:
    """Calibrate, write ``proposed.yaml`` in the project, measure both definitions' tiers."""
    from .calibrate import CalibrationError

    current = project.compiled()
    loop = LoopDemo(OUTCOME, current.definition.version)
    out = project.root / PROPOSED_FILE
    try:
        found: Calibration = project.calibrate(
            outcome=OUTCOME, min_age_days=MIN_AGE_DAYS, as_of=as_of, out=out
        )
    except CalibrationError as exc:
        loop.note = f"Calibration did not run ({exc.code}): {exc}"
        return loop
    except LeadgateError as exc:  # pragma: no cover - any other refusal is shown, not hidden
        loop.note = f"Calibration did not run: {exc}"
        return loop
    proposed = project.compiled(out)
    with project.store() as store:
        for c in (current, proposed):
            loop.tiers[c.definition.version] = tier_conversion(store, c, as_of)
    loop.proposed_version, loop.proposed_path = proposed.definition.version, out
    loop.current_path = project.definition_path
    loop.in_order = in_order(loop.tiers[proposed.definition.version])
    loop.holdout = found.comparison
    loop.auc = {"current": found.auc.get("current"), "proposed": found.auc.get("points")}
    mine, theirs = found.comparison["proposed"], found.comparison["current_same_volume"]
    loop.beats = (mine.get("precision") or 0) > (theirs.get("precision") or 0) and (
        loop.auc["proposed"] or 0
    ) > (loop.auc["current"] or 0)
    loop.backtest = replay_both(project, out)
    now, then = loop.backtest["proposed"], loop.backtest["current"]
    loop.beats_backtest = all((now[k] or 0) > (then[k] or 0) for k in ("precision", "recall"))
    return loop


def replay_both(project: Project, proposed: Path) -> dict[str, dict[str, Any]]:
    """``leadgate compare`` of the current definition and the proposal over the year, an
    SQL or later counting as converted: the MQLs each would have made day by day, their
    conversion and the converters caught. Better on both precision and recall means better
    whatever the volumes (a larger volume buys recall, a smaller one precision)."""
    both = project.compare(None, proposed, outcomes=CONVERTED)
    return {
        name: {"mqls": r.mqls, "precision": r.precision, "recall": r.recall}
        for name, r in (("current", both.a), ("proposed", both.b))
    }
