"""What :class:`~leadgate.project.Project` operations return, each with ``as_dict()``.

``as_dict()`` is exactly what ``--json`` prints and what the HTTP API will answer: plain
JSON types (timestamps as ISO 8601 text), so every interface shows the same numbers.

>>> page = Publication("markdown", "# b2b-saas", "ab12")
>>> page.as_dict()
{'format': 'markdown', 'definition_hash': 'ab12', 'text': '# b2b-saas'}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .handoff.routing import Routed, Rule
    from .handoff.routing_store import RepStatus
    from .scoring.coverage import RuleCoverage


def plain(value: Any) -> Any:
    """``value`` as a JSON type: datetimes as ISO text, decimals as numbers.

    >>> plain({"at": dt.datetime(2026, 1, 2, 3, 4), "n": Decimal("1.50")})
    {'at': '2026-01-02T03:04:00', 'n': 1.5}
    """
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


@dataclass(frozen=True)
class LeadList:
    """Scored leads, best first, as :meth:`Project.leads` found them."""

    rows: list[dict[str, Any]]
    as_of: dt.datetime | None
    definition_hash: str
    tier: str | None = None
    where: str | None = None
    limit: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "definition_hash": self.definition_hash,
            "as_of": plain(self.as_of),
            "tier": self.tier,
            "where": self.where,
            "limit": self.limit,
            "count": len(self.rows),
            "leads": plain(self.rows),
        }


@dataclass(frozen=True)
class CoverageReport:
    """Per rule, how many leads it could not judge, before and after enrichment."""

    rules: list[RuleCoverage]
    as_of: dt.datetime
    definition_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "definition_hash": self.definition_hash,
            "as_of": plain(self.as_of),
            "rules": [r.as_dict() for r in self.rules],
        }


@dataclass(frozen=True)
class Publication:
    """The definition rendered as a page (``markdown`` or ``html``)."""

    format: str
    text: str
    definition_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "definition_hash": self.definition_hash, "text": self.text}


@dataclass(frozen=True)
class ImportRecord:
    """One import on record (``leadgate imports``): ``state`` is finished, failed (``error``
    says why) or interrupted (a crash, a ``kill -9``, Ctrl-C).

    An interrupted import's ``rows_read`` is 0 (counted at the finish) and its
    ``rows_loaded`` what its committed batches loaded.
    """

    import_id: str
    kind: str
    file: str
    state: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    rows_read: int | None
    rows_loaded: int | None
    rows_rejected: int | None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: plain(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class ImportList:
    """The imports on record, the latest first, as :meth:`Project.imports` found them."""

    imports: list[ImportRecord]

    @property
    def interrupted(self) -> list[ImportRecord]:
        return [i for i in self.imports if i.state == "interrupted"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": len(self.imports),
            "interrupted": len(self.interrupted),
            "imports": [i.as_dict() for i in self.imports],
        }


@dataclass(frozen=True)
class MergeGroup:
    """Leads that share an email: the one kept and those merged into it."""

    email: str
    lead_id: str
    merged: list[str]
    events: int = 0  # the merged leads' events, moved to lead_id
    outcomes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "lead_id": self.lead_id,
            "merged": list(self.merged),
            "events": self.events,
            "outcomes": self.outcomes,
        }


@dataclass(frozen=True)
class MergeReport:
    """What :meth:`Project.merge` found, and whether it merged it (``applied``)."""

    groups: list[MergeGroup]
    applied: bool = False

    @property
    def leads_merged(self) -> int:
        return sum(len(g.merged) for g in self.groups)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "groups": len(self.groups),
            "leads_merged": self.leads_merged,
            "merges": [g.as_dict() for g in self.groups],
        }


@dataclass(frozen=True)
class RepList:
    """The reps of ``leadgate.toml`` at ``at``: available or why not, caps, open MQLs."""

    reps: list[RepStatus]
    at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {"at": plain(self.at), "reps": [r.as_dict() for r in self.reps]}


@dataclass(frozen=True)
class RouteTest:
    """Where :meth:`Project.route_test` would send a lead at ``at``, and why (nothing
    is written)."""

    routed: Routed
    values: dict[str, Any]
    rules: list[Rule]
    at: dt.datetime
    # The lead's latest routing on record (an assignment, or why nobody could take it).
    recorded: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.routed.as_dict() | {
            "at": plain(self.at),
            "values": plain(self.values),
            "rules": [r.as_dict() for r in self.rules],
            "recorded": plain(self.recorded),
        }


@dataclass(frozen=True)
class RoutingRun:
    """The unowned MQLs :meth:`Project.route` routed at ``at``; stored when ``applied``."""

    routed: list[Routed]
    at: dt.datetime
    applied: bool
    definition_hash: str

    @property
    def unrouted(self) -> list[Routed]:
        return [r for r in self.routed if not r.routed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": plain(self.at),
            "applied": self.applied,
            "definition_hash": self.definition_hash,
            "leads": len(self.routed),
            "unrouted": len(self.unrouted),
            "assignments": [r.as_dict() for r in self.routed],
        }


__all__ = [
    "CoverageReport",
    "ImportList",
    "ImportRecord",
    "LeadList",
    "MergeGroup",
    "MergeReport",
    "Publication",
    "RepList",
    "RouteTest",
    "RoutingRun",
    "plain",
]


@dataclass(frozen=True)
class PlanText:
    """The scoring query of a definition in one SQL dialect (``leadgate plan``)."""

    dialect: str
    definition_hash: str
    as_of: dt.datetime
    sql: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "definition_hash": self.definition_hash,
            "as_of": self.as_of.isoformat(),
            "sql": self.sql,
        }
