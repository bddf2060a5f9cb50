"""Which analyses a report runs, each through the project's own front door.

The sections always present: funnel, conversion by source, cohort conversion, lift per
criterion, conversion by score decile. The reliability curve when a calibration is asked
(``calibrate``: the outcome to learn), the backtest comparison when two definitions are
given. A section whose analysis cannot run here (no valid definition for the lift, too few
outcomes to calibrate) stays in the report with the reason, so a reader sees what is
missing and why instead of a report that silently has less in it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from ..analytics.funnel import window_micros
from ..analytics.journeys import build_journeys
from ..errors import LeadgateError
from . import tables as t

if TYPE_CHECKING:
    from ..project import Project


def _lift(project: Project, as_of: dt.datetime) -> t.Table:
    try:
        return t.lift_table(project.lift(as_of=as_of))
    except (LeadgateError, OSError) as exc:
        return t.note_table("lift", "Lift per criterion", f"Not computed: {exc}")


def _deciles(project: Project, as_of: dt.datetime, window: str | None) -> t.Table:
    with project.store() as store:
        build_journeys(store, as_of, window_micros(window), project.timezone)
        return t.decile_table(t.score_deciles(store))


def _reliability(project: Project, outcome: str, as_of: dt.datetime) -> t.Table:
    try:
        return t.reliability_table(project.calibrate(outcome=outcome, as_of=as_of))
    except (LeadgateError, OSError) as exc:
        code = getattr(exc, "code", "")
        return t.note_table("reliability", "Reliability of the calibrated probability",
                            f"Calibration could not run ({code}): {exc}")  # fmt: skip


def build(
    project: Project,
    as_of: dt.datetime,
    *,
    window: str | None = "90d",
    calibrate: str | None = None,
    compare: tuple[str | Path, str | Path] | None = None,
) -> t.ReportData:
    """Run the report's analyses as of ``as_of`` (naive UTC) and return their tables."""
    overall = project.funnel(window=window, as_of=as_of)
    tables = [
        t.funnel_table(overall),
        t.source_table(project.funnel(by="source", window=window, as_of=as_of)),
        t.cohort_table(project.funnel(by="cohort", window=window, as_of=as_of)),
        _lift(project, as_of),
        _deciles(project, as_of, window),
    ]
    if calibrate is not None:
        tables.append(_reliability(project, calibrate, as_of))
    if compare is not None:
        tables.append(t.comparison_table(project.compare(compare[0], compare[1])))
    return t.ReportData(f"leadgate report: {project.root.name}", as_of, tables)
