"""One lead as sales and the API see it, and the sales actions on it.

:class:`LeadDetail` gathers what :meth:`Project.lead` answers: the lead's attributes, its
score with the explanation that adds up to it, its stage and history, its owner with the
routing reason, and its SLA (MQL entry, the due time from the entry tier's ``sla`` counted
as ``leadgate sla`` counts it, the first touch). :class:`LeadActivity` is what a lead's page
adds: its latest events and its score over time. :data:`ACTIONS` maps each sales action to
the stage it moves a lead to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import LeadgateError
from ..results import plain
from ..store.db import keyed

if TYPE_CHECKING:
    from ..scoring import Score
    from ..store import Store
    from .transitions import History, Move

#: A sales action → the stage it moves the lead to (``contacted`` moves none: it records
#: the first touch; ``reject`` recycles, or disqualifies with ``stage="disqualified"``).
ACTIONS: dict[str, str | None] = {
    "accept": "sal",
    "reject": "recycled",
    "contacted": None,
    "sql": "sql",
    "opportunity": "opportunity",
    "won": "won",
    "lost": "lost",
}
#: Where a rejection may send a lead.
REJECT_TO = ("recycled", "disqualified")


class UnknownAction(LeadgateError, ValueError):
    """Not a sales action (the message lists them)."""

    code = "LG723"


def action_stage(action: str, stage: str | None) -> str | None:
    """The stage ``action`` moves a lead to; ``stage`` only chooses a rejection's."""
    if action not in ACTIONS:
        raise UnknownAction(f"Unknown action {action!r}: use one of {', '.join(ACTIONS)}.")
    if stage is not None and (action != "reject" or stage not in REJECT_TO):
        raise UnknownAction(
            f"'stage' chooses where a rejection sends the lead ({' or '.join(REJECT_TO)}); "
            f"got {stage!r} with action {action!r}."
        )
    return stage or ACTIONS[action]


@dataclass(frozen=True)
class ActionResult:
    """What a sales action did: the move made (None for ``contacted``) and the lead's
    stage, SLA times and transitions after it."""

    action: str
    actor: str
    move: Move | None
    history: History

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "actor": self.actor,
            "transition": self.move.transition.as_dict() if self.move else None,
            "history": self.history.as_dict(),
        }


@dataclass(frozen=True)
class Owner:
    """Who owns the lead and why: the latest assignment, else an imported owner column."""

    rep: str | None
    rule: str | None = None
    reason: str | None = None
    assigned_at: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Sla:
    """The SLA clock: it starts at MQL entry; the first touch stops it."""

    mql_at: dt.datetime | None
    tier: str | None
    due: dt.datetime | None
    first_touch_at: dt.datetime | None
    state: str

    def as_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class LeadDetail:
    """Everything about one lead (``score`` None: not scored, ``warnings`` say why)."""

    lead_id: str
    attributes: dict[str, Any]
    account: dict[str, Any] | None
    score: Score | None
    history: History
    owner: Owner
    sla: Sla
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        score = None
        if self.score is not None:
            score = self.score.as_dict() | {"adds_up": self.score.check_sum()}
        return {
            "lead_id": self.lead_id,
            "attributes": plain(self.attributes),
            "account": plain(self.account),
            "stage": self.history.stage,
            "score": score,
            "owner": self.owner.as_dict(),
            "sla": self.sla.as_dict(),
            "history": self.history.as_dict(),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class LeadActivity:
    """A lead's latest events (newest first; ``events_total`` counts them all) and its
    score and tier at evenly spaced times (``trend``: the definition now, on the data
    now, as of each time)."""

    lead_id: str
    events: list[dict[str, Any]]
    events_total: int
    trend: list[tuple[dt.datetime, float, str | None]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "events": plain(self.events),
            "events_total": self.events_total,
            "trend": [
                {"at": plain(at), "total": total, "tier": tier} for at, total, tier in self.trend
            ],
        }


#: A lead's events: its own and those of visitors linked to it (``lead_events``' rows of
#: one lead, with each one's visitor only where the link made it the lead's).
_EVENTS_OF = (
    "SELECT type, ts, url, NULL AS visitor_id FROM events WHERE lead_id = ? UNION ALL "
    "SELECT e.type, e.ts, e.url, e.visitor_id FROM events e JOIN visitor_links v "
    "ON v.visitor_id = e.visitor_id WHERE v.lead_id = ? AND e.lead_id IS NULL"
)


_EVENTS_OF_ANY = (
    "SELECT lead_id AS of_lead, type, ts, url, NULL AS visitor_id FROM events "
    "WHERE lead_id = ANY(?) UNION ALL "
    "SELECT v.lead_id, e.type, e.ts, e.url, e.visitor_id FROM events e JOIN visitor_links v "
    "ON v.visitor_id = e.visitor_id WHERE v.lead_id = ANY(?) AND e.lead_id IS NULL"
)


def recent_events(store: Store, lead_id: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The lead's ``limit`` newest events (its own and those of visitors linked to it),
    and how many it has in all."""
    rows = store.query(
        f"SELECT *, count(*) OVER () AS n FROM ({_EVENTS_OF}) ORDER BY ts DESC, type LIMIT ?",
        [lead_id, lead_id, limit],
    )
    total = int(rows[0].pop("n")) if rows else 0
    for row in rows[1:]:
        row.pop("n")
    return rows, total


def every_event(store: Store, lead_id: str) -> list[dict[str, Any]]:
    """All the lead's events as :func:`recent_events` reads them, newest first (then by
    type): one read serves a lone lead's score (:func:`leadgate.scoring.lookup.load_lead`)
    and its page's newest (:func:`newest_events`), which read them twice before."""
    return _newest_first(store.query(_EVENTS_OF, [lead_id, lead_id]))


def every_events(store: Store, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """:func:`every_event` of several leads, by lead, in one statement (``= ANY(?)``)."""
    found: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in store.query(_EVENTS_OF_ANY, [ids, ids]):
        found[row.pop("of_lead")].append(row)
    return {i: _newest_first(rows) for i, rows in found.items()}


def _newest_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first, then by type, then by url and visitor: a whole order, so a lead's
    events come in the same order however they were read (alone or with others')."""
    rows.sort(key=lambda r: (r["url"] is None, r["url"] or "", str(r["visitor_id"] or "")))
    rows.sort(key=lambda r: r["type"])
    rows.sort(key=lambda r: r["ts"], reverse=True)  # stable: same times stay by type
    return rows


def newest_events(events: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], int]:
    """:func:`recent_events` of what :func:`every_event` read."""
    return [dict(e) for e in events[:limit]], len(events)


def owner_of(store: Store, lead: dict[str, Any]) -> Owner:
    """The rep of the lead's latest assignment with its reason, else an imported owner."""
    rows = store.query(
        f"SELECT rep, rule, reason, assigned_at FROM {keyed('assignments', 'lead_id')} a "
        "ORDER BY assignment_id DESC LIMIT 1",
        [lead["lead_id"]],
    )
    if rows:
        return Owner(**rows[0])
    imported = lead.get("owner")
    return Owner(str(imported) if imported is not None else None)


def account_of(store: Store, lead: dict[str, Any]) -> dict[str, Any] | None:
    if not lead.get("account_id"):
        return None
    rows = store.query("SELECT * FROM accounts WHERE account_id = ?", [lead["account_id"]])
    return rows[0] if rows else None


__all__ = [
    "ACTIONS",
    "REJECT_TO",
    "ActionResult",
    "LeadActivity",
    "LeadDetail",
    "Owner",
    "Sla",
    "UnknownAction",
    "account_of",
    "action_stage",
    "every_event",
    "every_events",
    "newest_events",
    "owner_of",
    "recent_events",
]
