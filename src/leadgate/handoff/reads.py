"""What :meth:`Project.queue`, :meth:`Project.lead` and :meth:`Project.lead_activity` read
from the store, apart from the time they are judged at.

A queue page and a lead page read the store (the page's leads, owners, scores, MQL
periods, events) and then judge what they read as of now: each row's SLA due time and
state, the lead's countdown, its score over the last days. The reads change only when the
store does; the judging changes every second. Split in two, a long-running server
(:mod:`leadgate.api.kept`) keeps a read until its writer's next call and judges it as of
each request, which is pure Python; everyone else reads and judges at once (``read(...)
.at(now)``), with the same result as before the split.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .lead import LeadActivity, LeadDetail, Owner, Sla
from .queue import Queue, QueueFilter, QueueRow, Reason, sla_state

if TYPE_CHECKING:
    from ..scoring import Score
    from ..scoring.evaluate import Scorer
    from ..scoring.lookup import LeadData
    from .sla import Periods
    from .transitions import History


def _dues(periods: Periods | None, now: dt.datetime) -> dict[str, dt.datetime]:
    """Each lead's SLA due time as of ``now`` (naive UTC, as the store keeps times)."""
    if periods is None:
        return {}
    at = now if now.tzinfo is not None else now.replace(tzinfo=dt.timezone.utc)
    clocks = periods.clocks(at)
    return {k: c.due_at.astimezone(dt.timezone.utc).replace(tzinfo=None) for k, c in clocks.items()}


@dataclass(frozen=True)
class QueueRead:
    """One queue page as read (:meth:`Project.queue_read`): judged by :meth:`at`."""

    rows: list[dict[str, Any]]
    next_cursor: str | None
    filters: QueueFilter
    limit: int
    owned: dict[str, str]
    totals: dict[str, float]
    reasons: dict[str, list[Reason]]
    periods: Periods | None

    def at(self, now: dt.datetime) -> Queue:
        """The page as of ``now`` (naive UTC): each row's SLA due time and state."""
        dues = _dues(self.periods, now)
        out = []
        for row in self.rows:
            lead_id = row["lead_id"]
            due = dues.get(lead_id)
            out.append(
                QueueRow(
                    lead_id,
                    row["email"],
                    row["company"],
                    row["source"],
                    row["stage"],
                    row["mql_tier"],
                    self.totals.get(lead_id),
                    row["mql_at"],
                    due,
                    sla_state(due, row["first_touch_at"], now),
                    row["first_touch_at"],
                    self.owned.get(lead_id) or row["imported_owner"],
                    self.reasons.get(lead_id, []),
                )  # fmt: skip
            )
        return Queue(out, self.next_cursor, self.filters, self.limit, now)


@dataclass(frozen=True)
class LeadRead:
    """One lead as read (:meth:`Project.lead_read`): judged by :meth:`at`. ``data``: what
    its score reads (events, account), kept for its score over time."""

    lead_id: str
    attributes: dict[str, Any]
    account: dict[str, Any] | None
    score: Score | None
    history: History
    owner: Owner
    tier: str | None
    periods: Periods | None
    data: LeadData | None  # None: no definition to score it by
    warnings: list[str] = field(default_factory=list)
    #: All its events, newest first, when read along (:func:`.lead.every_event`).
    timeline: list[dict[str, Any]] | None = None

    def at(self, now: dt.datetime) -> LeadDetail:
        """The lead as of ``now`` (naive UTC): its SLA due time and state."""
        due = _dues(self.periods, now).get(self.lead_id)
        touched = self.history.first_touch_at
        sla = Sla(self.history.mql_at, self.tier, due, touched, sla_state(due, touched, now))
        return LeadDetail(
            self.lead_id, self.attributes, self.account, self.score, self.history,
            self.owner, sla, list(self.warnings),
        )  # fmt: skip


@dataclass(frozen=True)
class ActivityRead:
    """A lead's newest events and what its score reads (:meth:`Project.lead_activity_read`):
    judged by :meth:`at` (the score over the days up to then)."""

    lead_id: str
    events: list[dict[str, Any]]
    events_total: int
    data: LeadData | None
    scorer: Scorer | None  # None: no definition, no trend

    def at(self, now: dt.datetime, days: int = 90) -> LeadActivity:
        from ..scoring.lookup import trend_of

        trend = []
        if self.scorer is not None and self.data is not None:
            trend = trend_of(self.data, self.scorer, now, days=days)
        return LeadActivity(self.lead_id, self.events, self.events_total, trend)


__all__ = ["ActivityRead", "LeadRead", "QueueRead"]
