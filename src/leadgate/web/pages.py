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


def queue_page(project: Project, *, after: str | None = None, **filters: str | None) -> QueuePage:
    """A page of :meth:`Project.queue` (the MQLs and accepted leads, hot first, by the
    tier they entered in, then oldest entry first), narrowed by ``filters`` (see
    :data:`FILTERS`), each row with its SLA countdown in words, its three strongest
    reasons and the lead's title."""
    wanted = {k: (filters.get(k) or None) for k in FILTERS}
    found = project.queue(
        owner=wanted["owner"], tier=wanted["tier"], stage=wanted["stage"],
        source=wanted["source"], q=wanted["q"], cursor=after, limit=QUEUE_PAGE,
    )  # fmt: skip
    now = found.at.replace(tzinfo=None)
    with project.store() as store:
        titles = queries.titles(store, [r.lead_id for r in found.rows])
    rows = []
    for r in found.rows:
        row = r.as_dict() | {"mql_at": r.mql_at, "first_touch_at": r.first_touch_at}
        row |= {"total": r.score, "title": titles.get(r.lead_id), "last_reason": None}
        sla_us = None if r.sla_due is None or r.mql_at is None else _us(r.sla_due - r.mql_at)
        row["sla"] = sla_state(row, sla_us, now)
        rows.append(row)
    return QueuePage(rows, found.next_cursor, wanted, project.reject_reasons, now)


def _us(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def queue_row(project: Project, lead_id: str) -> dict[str, Any]:
    """One lead as a queue row (after an action changed it), whatever its stage now."""
    history = project.history(lead_id)
    score = project.explain(lead_id)
    compiled = project.compiled()
    slas = {t.name: t.sla_us for t in compiled.tiers}
    lead = lead_attributes(project, lead_id)
    row: dict[str, Any] = {
        "lead_id": history.lead_id,
        "company": lead.get("company"),
        "title": lead.get("title"),
        "email": lead.get("email"),
        "stage": history.stage,
        "tier": score.tier,
        "total": float(score.total),
        "mql_at": history.mql_at,
        "first_touch_at": history.first_touch_at,
        "owner": (lead_owner(project, lead_id) or {}).get("owner"),
        "last_reason": history.transitions[-1].reason if history.transitions else None,
    }
    now = project.clock.now().replace(tzinfo=None)
    row["sla"] = sla_state(row, slas.get(score.tier or ""), now)
    row["reasons"] = top_reasons(score)
    return row


def top_reasons(score: Score, n: int = 3) -> list[dict[str, Any]]:
    """The ``n`` contributions of ``score`` that added the most points."""
    best = sorted((c for c in score.contributions if c.cents > 0), key=lambda c: -c.cents)
    return [{"label": c.label, "points": float(c.points)} for c in best[:n]]


@dataclass(frozen=True)
class LeadPage:
    """Everything about one lead: attributes, score with its explanation, history, owner."""

    attributes: dict[str, Any]
    score: dict[str, Any]
    history: dict[str, Any]
    owner: dict[str, Any] | None
    groups: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "attributes": plain(self.attributes),
            "score": self.score,
            "explanation": self.groups,
            "history": self.history,
            "owner": plain(self.owner),
        }


def lead_page(project: Project, lead_id: str) -> LeadPage:
    """One lead (by id, alias or email): attributes, the explanation grouped so that the
    groups add up to the total, the stage history and the owner."""
    score = project.explain(lead_id)
    history = project.history(lead_id)
    groups: dict[str, dict[str, Any]] = {}
    for c in score.contributions:
        group = groups.setdefault(c.group, {"group": c.group, "cents": 0, "lines": []})
        group["cents"] += c.cents
        group["lines"].append(c.as_dict())
    explained = [g | {"points": g.pop("cents") / 100} for g in groups.values()]
    return LeadPage(
        lead_attributes(project, history.lead_id),
        score.as_dict(),
        history.as_dict(),
        lead_owner(project, history.lead_id),
        explained,
    )


def lead_attributes(project: Project, lead_id: str) -> dict[str, Any]:
    from ..scoring.lookup import find_lead

    with project.store() as store:
        return find_lead(store, lead_id)


def lead_owner(project: Project, lead_id: str) -> dict[str, Any] | None:
    with project.store() as store:
        return queries.lead_owner(store, lead_id)


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
