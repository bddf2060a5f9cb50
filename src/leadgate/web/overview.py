"""The overview page: what both teams read first every morning.

Everything comes from the same :class:`~leadgate.project.Project` calls the CLI makes: the
funnel with its diagnostics (:meth:`Project.diagnose`, which reads the funnel by tier), SLA
compliance and speed to lead (:meth:`Project.sla`), and the definition's review date. Two
small store reads add what no Project call answers, over the funnel's own reading of each
lead's journey (:func:`~leadgate.analytics.journeys.build_journeys`): MQLs this week and
month against the period before, and MQL volume per week by tier and by source
(:mod:`.queries`).

These read every lead, so the route keeps the result for a minute (:mod:`.kept`) and the
page says when it was computed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..analytics.journeys import build_journeys
from ..clock import store_time
from ..errors import LeadgateError
from ..project import Project
from ..results import plain
from . import queries

#: Months of MQL volume the overview draws, up to the latest MQL entry.
VOLUME_MONTHS = 12


@dataclass(frozen=True)
class OverviewPage:
    """The overview's figures, computed at ``at`` (the page shows when)."""

    at: dt.datetime
    periods: list[dict[str, Any]]
    funnel: dict[str, Any] | None
    diagnostics: list[dict[str, Any]]
    sla: dict[str, Any] | None
    volume: dict[str, list[dict[str, Any]]]
    review: dict[str, Any]
    problems: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": plain(self.at),
            "mqls_by_period": plain(self.periods),
            "funnel": self.funnel,
            "diagnostics": self.diagnostics,
            "sla": self.sla,
            "volume": plain(self.volume),
            "review": plain(self.review),
            "problems": self.problems,
        }


def overview_page(project: Project) -> OverviewPage:
    """The overview as of the project's clock. A part that cannot be computed (no valid
    definition, no routing for the SLA) is left out and its reason listed in ``problems``:
    the rest of the page still shows."""
    now = project.clock.now()
    problems: list[str] = []
    funnel, diagnostics = _funnel(project, problems)
    with project.store() as store:
        build_journeys(store, store_time(now), None, project.timezone)
        periods = queries.mql_entries_between(store, period_spans(store_time(now)))
        latest = queries.last_mql_at(store)
        since = volume_start(latest) if latest is not None else store_time(now)
        volume = volume_by(queries.mql_entries_by_month(store, since))
    return OverviewPage(
        now, periods, funnel, diagnostics, _sla(project, problems), volume,
        review(project, problems), problems,
    )  # fmt: skip


def period_spans(now: dt.datetime) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """This week (from Monday) and month so far, and the whole period before each.

    >>> spans = period_spans(dt.datetime(2026, 12, 3, 10))
    >>> [f"{a:%m-%d}..{b:%m-%d}" for a, b in spans.values()]
    ['11-30..12-04', '11-23..11-30', '12-01..12-04', '11-01..12-01']
    """
    today = dt.datetime(now.year, now.month, now.day)
    tomorrow = today + dt.timedelta(days=1)
    monday = today - dt.timedelta(days=today.weekday())
    first = today.replace(day=1)
    before = (first - dt.timedelta(days=1)).replace(day=1)
    return {
        "this_week": (monday, tomorrow),
        "last_week": (monday - dt.timedelta(weeks=1), monday),
        "this_month": (first, tomorrow),
        "last_month": (before, first),
    }


def volume_start(latest: dt.datetime) -> dt.datetime:
    """The first day of the :data:`VOLUME_MONTHS` months that end with ``latest``'s.

    >>> volume_start(dt.datetime(2026, 3, 9, 12))
    datetime.datetime(2025, 4, 1, 0, 0)
    """
    months = latest.year * 12 + latest.month - 1 - (VOLUME_MONTHS - 1)
    return dt.datetime(months // 12, months % 12 + 1, 1)


def volume_by(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Monthly MQL entries summed by tier and by source: ``{"tier": [{"month", "key",
    "mqls"}...], "source": [...]}``, months oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for by in ("tier", "source"):
        sums: dict[tuple[Any, str], int] = {}
        for row in rows:
            key = (row["month"], str(row[by]))
            sums[key] = sums.get(key, 0) + int(row["mqls"])
        out[by] = [{"month": m, "key": k, "mqls": n} for (m, k), n in sorted(sums.items())]
    return out


def _funnel(
    project: Project, problems: list[str]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    try:
        found = project.diagnose()
    except LeadgateError as exc:
        problems.append(f"funnel: {exc}")
        return None, []
    funnel = found.funnel.as_dict()
    return funnel, [d.as_dict() for d in found.diagnostics]


def _sla(project: Project, problems: list[str]) -> dict[str, Any] | None:
    try:
        report = project.sla()
    except LeadgateError as exc:
        problems.append(f"SLA: {exc}")
        return None
    out = report.as_dict()
    del out["clocks"]  # the queue shows each clock; the overview counts them
    return out


def review(project: Project, problems: list[str]) -> dict[str, Any]:
    """The definition's ``review_by`` date and whether today is past it."""
    try:
        due = project.compiled().definition.review_by
    except LeadgateError as exc:
        problems.append(f"definition: {exc}")
        due = None
    today = project.clock.today()
    return {"review_by": due, "past": due is not None and due < today, "today": today}


__all__ = [
    "VOLUME_MONTHS",
    "OverviewPage",
    "overview_page",
    "period_spans",
    "volume_by",
    "volume_start",
]
