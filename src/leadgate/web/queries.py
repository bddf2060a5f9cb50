"""The store reads the dashboard needs that no :class:`~leadgate.project.Project` method
offers: the queue page's titles, a lead's owner, MQL entries per period and month (over the
funnel's ``journeys`` table), conversion by score decile.

Each is one small read, named for what it returns, called by one page function.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..handoff.queue import in_list
from ..store import Store
from ..store.db import keyed


def titles(store: Store, ids: list[str]) -> dict[str, str | None]:
    """Each lead's title (the queue shows it under the company)."""
    if not ids:
        return {}
    rows = store.execute(
        f"SELECT lead_id, title FROM leads WHERE lead_id IN ({in_list(ids)})"
    ).fetchall()
    return dict(rows)


def lead_owner(store: Store, lead_id: str) -> dict[str, Any] | None:
    """The lead's latest assignment (owner, rule, why, when), or None."""
    rows = store.query(
        f"SELECT rep AS owner, rule, reason, assigned_at FROM {keyed('assignments', 'lead_id')} a "
        "ORDER BY assignment_id DESC LIMIT 1",
        [lead_id],
    )
    return rows[0] if rows else None


#: When a lead became an MQL, as the funnel reads it (a verdict without a recorded entry
#: dates the MQL at the lead's creation, as the funnel's cohorts do).
MQL_AT = "coalesce(mql_at, created_at)"


def last_mql_at(store: Store) -> dt.datetime | None:
    """The latest MQL entry of the ``journeys`` table."""
    found: dt.datetime | None = store.scalar(f"SELECT max({MQL_AT}) FROM journeys WHERE mql")
    return found


def mql_entries_by_month(store: Store, since: dt.datetime) -> list[dict[str, Any]]:
    """MQLs of the ``journeys`` table (:func:`leadgate.analytics.journeys.build_journeys`,
    the funnel's reading) that entered since ``since``, per month (``YYYY-MM``), tier and
    source: the overview's volume over time."""
    return store.query(
        f"SELECT strftime({MQL_AT}, '%Y-%m') AS month, "
        "coalesce(tier, '(none)') AS tier, coalesce(source, '(none)') AS source, "
        f"count(*) AS mqls FROM journeys WHERE mql AND {MQL_AT} >= ? GROUP BY ALL "
        "ORDER BY month",
        [since],
    )


def mql_entries_between(
    store: Store, spans: dict[str, tuple[dt.datetime, dt.datetime]]
) -> list[dict[str, Any]]:
    """MQLs of the ``journeys`` table per tier in each named span ``[start, end)``: this
    week against the last, this month against the last. One scan, a count per span."""
    counts = ", ".join(
        f"count(*) FILTER (WHERE {MQL_AT} >= ? AND {MQL_AT} < ?) AS {name}" for name in spans
    )
    params: list[Any] = [when for span in spans.values() for when in span]
    return store.query(
        f"SELECT coalesce(tier, '(none)') AS tier, {counts} FROM journeys "
        f"WHERE mql AND {MQL_AT} >= ? GROUP BY 1 ORDER BY 1",
        [*params, min(start for start, _ in spans.values())],
    )


def conversion_by_decile(store: Store, outcome: str, stage: str) -> list[dict[str, Any]]:
    """The scored leads cut into ten equal groups by their current score (1: the lowest),
    each with its score range and the share that converted: ``outcome`` on record, or a
    move to ``stage``."""
    return store.query(
        "WITH scored AS (SELECT s.lead_id, s.total, ntile(10) OVER (ORDER BY s.total) AS decile "
        "FROM current_scores s), reached AS (SELECT DISTINCT lead_id FROM outcomes "
        "WHERE outcome = ? UNION SELECT lead_id FROM stage_transitions WHERE to_stage = ?) "
        "SELECT decile, min(total) AS low, max(total) AS high, "
        "count(*) AS leads, count(r.lead_id) AS converted, "
        "count(r.lead_id) / count(*) AS rate FROM scored LEFT JOIN reached r USING (lead_id) "
        "GROUP BY decile ORDER BY decile",
        [outcome, stage],
    )
