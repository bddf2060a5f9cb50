"""What each dashboard page shows: one function per page, returning plain data.

The HTML page and its JSON twin (``/v1/dashboard/...``) both render the result of the same
function, so they cannot disagree. Each runs on one of the server's readers (it gets a read
view of the :class:`~leadgate.project.Project`, :mod:`leadgate.api.readers`), makes its
Project calls, and returns a result with ``as_dict()``; :func:`queue_row`, after an action,
runs on the writer that made it. To move a page onto a new Project method
(``Project.queue``, ``Project.lead``), change its function here, and nothing else. The
overview, the definition pages and the calibration page have their own modules
(:mod:`.overview`, :mod:`.versions`, :mod:`.calibration`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..clock import naive_utc
from ..errors import LeadgateError
from ..handoff import reads as handoff
from ..project import Project
from ..results import plain
from ..scoring import Score
from . import queries
from .sla import sla_state

QUEUE_PAGE = 25


#: The queue's filters a page takes (``Project.queue``'s, by the same names).
FILTERS = ("owner", "tier", "stage", "source", "q")


@dataclass(frozen=True)
class QueuePage:
    """One page of the working queue, hot first, and the cursor of the next page."""

    rows: list[dict[str, Any]]
    next_cursor: str | None
    filters: dict[str, str | None]
    reject_reasons: tuple[str, ...]
    now: dt.datetime

    @property
    def owner(self) -> str | None:
        return self.filters.get("owner")

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": plain(self.now),
            "filters": self.filters,
            "owner": self.owner,
            "next": self.next_cursor,
            "reject_reasons": list(self.reject_reasons),
            "count": len(self.rows),
            "leads": plain(self.rows),
        }


@dataclass(frozen=True)
class QueueRead:
    """A queue page as read from the store (:meth:`Project.queue_read` and the titles),
    judged by :meth:`at`: the server keeps it until its writer's next call
    (:mod:`leadgate.api.kept`) and judges it as of each request."""

    found: handoff.QueueRead
    titles: dict[str, str | None]
    filters: dict[str, str | None]
    reject_reasons: tuple[str, ...]

    def at(self, now: dt.datetime) -> QueuePage:
        """The page as of ``now`` (naive UTC): each row's SLA countdown."""
        found = self.found.at(now)
        rows = []
        for r in found.rows:
            row = r.as_dict() | {"mql_at": r.mql_at, "first_touch_at": r.first_touch_at}
            row |= {"total": r.score, "title": self.titles.get(r.lead_id), "last_reason": None}
            row["sla"] = sla_state(row, r.sla_due, now)
            rows.append(row)
        return QueuePage(rows, found.next_cursor, self.filters, self.reject_reasons, now)


def queue_page(project: Project, *, after: str | None = None, **filters: str | None) -> QueuePage:
    """A page of :meth:`Project.queue` (the MQLs and accepted leads, hot first, by the
    tier they entered in, then oldest entry first), narrowed by ``filters`` (see
    :data:`FILTERS`), each row with its SLA countdown in words, its three strongest
    reasons and the lead's title."""
    return queue_read(project, after=after, **filters).at(naive_utc(project.clock))


def queue_read(project: Project, *, after: str | None = None, **filters: str | None) -> QueueRead:
    """What :func:`queue_page` reads from the store (judged by ``.at(now)``)."""
    wanted = {k: (filters.get(k) or None) for k in FILTERS}
    found = project.queue_read(
        owner=wanted["owner"], tier=wanted["tier"], stage=wanted["stage"],
        source=wanted["source"], q=wanted["q"], cursor=after, limit=QUEUE_PAGE,
    )  # fmt: skip
    with project.store() as store:
        titles = queries.titles(store, [r["lead_id"] for r in found.rows])
    return QueueRead(found, titles, wanted, project.reject_reasons)


def queue_row(project: Project, lead_id: str) -> dict[str, Any]:
    """One lead as a queue row (after an action changed it), whatever its stage now."""
    found = project.lead(lead_id)
    history, sla, a = found.history, found.sla, found.attributes
    row: dict[str, Any] = {
        "lead_id": found.lead_id,
        "company": a.get("company"),
        "title": a.get("title"),
        "email": a.get("email"),
        "stage": history.stage,
        "tier": found.score.tier if found.score else None,
        "total": float(found.score.total) if found.score else None,
        "mql_at": history.mql_at,
        "first_touch_at": history.first_touch_at,
        "owner": found.owner.rep,
        "last_reason": history.transitions[-1].reason if history.transitions else None,
    }
    now = project.clock.now().replace(tzinfo=None)
    row["sla"] = sla_state(row, sla.due, now)
    row["reasons"] = top_reasons(found.score) if found.score else []
    return row


def top_reasons(score: Score, n: int = 3) -> list[dict[str, Any]]:
    """The ``n`` contributions of ``score`` that added the most points."""
    best = sorted((c for c in score.contributions if c.cents > 0), key=lambda c: -c.cents)
    return [{"label": c.label, "points": float(c.points)} for c in best[:n]]


@dataclass(frozen=True)
class LeadPage:
    """Everything about one lead: attributes (enriched ones named), the score with its
    explanation grouped so the groups add up, the score over time, the latest events, the
    stage history, the owner with the routing reason, and the SLA."""

    attributes: dict[str, Any]
    enriched: list[str]
    score: dict[str, Any]
    history: dict[str, Any]
    owner: dict[str, Any] | None
    sla: dict[str, Any]
    activity: dict[str, Any]
    groups: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "attributes": plain(self.attributes),
            "enriched": self.enriched,
            "score": self.score,
            "explanation": self.groups,
            "trend": self.activity["trend"],
            "events": self.activity["events"],
            "events_total": self.activity["events_total"],
            "history": self.history,
            "owner": plain(self.owner),
            "sla": plain(self.sla),
            "warnings": self.warnings,
        }


def lead_page(project: Project, lead_id: str) -> LeadPage:
    """One lead (by id, alias or email), from :meth:`Project.lead` and
    :meth:`Project.lead_activity`."""
    return lead_read(project, lead_id).at(naive_utc(project.clock))


@dataclass(frozen=True)
class LeadRead:
    """A lead page as read from the store (:meth:`Project.lead_read` and
    :meth:`Project.lead_activity_read`), judged by :meth:`at` (see :class:`QueueRead`)."""

    lead: handoff.LeadRead
    activity: handoff.ActivityRead

    def at(self, now: dt.datetime) -> LeadPage:
        """The page as of ``now`` (naive UTC): the SLA countdown, the score over time."""
        found, activity = self.lead.at(now), self.activity.at(now)
        groups: dict[str, dict[str, Any]] = {}
        score: dict[str, Any] = {"total": None, "tier": None, "warnings": []}
        if found.score is not None:
            score = found.score.as_dict()
            for c in found.score.contributions:
                group = groups.setdefault(c.group, {"group": c.group, "cents": 0, "lines": []})
                group["cents"] += c.cents
                group["lines"].append(c.as_dict())
        explained = [g | {"points": g.pop("cents") / 100} for g in groups.values()]
        owner = found.owner
        shown_owner = None if owner.rep is None else {
            "owner": owner.rep, "rule": owner.rule, "reason": owner.reason,
            "assigned_at": owner.assigned_at,
        }  # fmt: skip
        sla = found.sla
        row = {"mql_at": sla.mql_at, "first_touch_at": sla.first_touch_at}
        countdown = sla_state(row, sla.due, now)
        attributes = dict(found.attributes)
        enriched = [str(n) for n in attributes.pop("enriched", None) or []]
        return LeadPage(
            attributes, enriched, score, found.history.as_dict(), shown_owner,
            dict(vars(sla)) | {"countdown": countdown}, activity.as_dict(), explained,
            list(found.warnings),
        )  # fmt: skip


def lead_read(project: Project, lead_id: str) -> LeadRead:
    """What :func:`lead_page` reads from the store (judged by ``.at(now)``)."""
    found = project.lead_read(lead_id)
    activity = project.lead_activity_read(found.lead_id, data=found.data, timeline=found.timeline)
    return LeadRead(found, activity)


def lead_reads(project: Project, keys: list[str]) -> dict[str, LeadRead | LeadgateError]:
    """:func:`lead_read` of each of ``keys``, read together (:meth:`Project.lead_reads`):
    an unknown or ambiguous key's error in its place."""
    return {
        key: found if isinstance(found, LeadgateError) else LeadRead(*found)
        for key, found in project.lead_reads(keys).items()
    }


@dataclass(frozen=True)
class RepsPage:
    """The reps now (available or why not, caps, open MQLs) and the routing rules."""

    reps: dict[str, Any]
    rules: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"reps": self.reps["reps"], "at": self.reps["at"], "rules": self.rules}


def reps_page(project: Project) -> RepsPage:
    return RepsPage(project.reps().as_dict(), [r.as_dict() for r in project.routing.rules])


@dataclass(frozen=True)
class PeoplePage:
    users: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"users": self.users}


def people_page(project: Project) -> PeoplePage:
    return PeoplePage([u.as_dict() for u in project.users().users])
