"""The store reads the dashboard needs that no :class:`~leadgate.project.Project` method
offers yet: the working queue with keyset pagination, a lead's owner, MQL
entries per period, conversion by score decile.

Each is one small read, named for what it returns, called by one page function in
:mod:`.pages`. When ``Project.queue`` / ``Project.lead`` (lane api-routes) and the SLA
clocks (lane sla) land, the page function switches to them and the query here goes.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from ..errors import LeadgateError
from ..store import Store

#: Stages of the working queue: MQLs waiting for sales, and those sales accepted.
QUEUE_STAGES = ("mql", "sal")


class BadCursor(LeadgateError, ValueError):
    """A page cursor that this server did not hand out (edited or truncated)."""

    code = "LG910"


def encode_cursor(row: dict[str, Any]) -> str:
    """The cursor after ``row``: its sort key, opaque to the reader."""
    key = [row["tier_rank"], row["total"], row["lead_id"]]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, float, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        rank, total, lead_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return int(rank), float(total), str(lead_id)
    except (ValueError, TypeError) as exc:
        raise BadCursor(
            f"The page cursor {cursor[:40]!r} is not one this server made: "
            "start again from the first page (drop 'after')."
        ) from exc


def queue_rows(
    store: Store,
    tiers: list[str],
    *,
    after: str | None = None,
    owner: str | None = None,
    limit: int = 25,
) -> list[dict[str, Any]]:
    """Leads in :data:`QUEUE_STAGES`, hot first: by the tier's place in the definition, then
    score, then id; the page after the cursor ``after``. One row more than ``limit`` says
    there is a next page."""
    cases = " ".join(f"WHEN ? THEN {i}" for i in range(len(tiers)))
    rank = f"CASE s.tier {cases} ELSE {len(tiers)} END" if tiers else "0"
    params: list[Any] = [*tiers, *QUEUE_STAGES]
    sql = (
        "WITH queue AS (SELECT l.lead_id, l.company, l.title, l.email, l.stage, s.tier, "
        "s.total, h.mql_at, h.mql_tier, h.first_touch_at, o.rep AS owner, "
        f"{rank} AS tier_rank FROM leads l JOIN current_scores s USING (lead_id) "
        "LEFT JOIN lead_handoff h USING (lead_id) "
        "LEFT JOIN (SELECT lead_id, arg_max(rep, assignment_id) AS rep FROM assignments "
        "GROUP BY lead_id) o USING (lead_id) "
        "WHERE l.stage IN (?, ?)) SELECT * FROM queue WHERE true"
    )
    if owner:
        sql += " AND owner = ?"
        params.append(owner)
    if after:
        r, total, lead_id = decode_cursor(after)
        sql += (
            " AND (tier_rank > ? OR (tier_rank = ? AND (total < ? OR (total = ? AND lead_id > ?))))"
        )
        params += [r, r, total, total, lead_id]
    sql += f" ORDER BY tier_rank, total DESC, lead_id LIMIT {int(limit) + 1}"
    return store.query(sql, params)


def lead_owner(store: Store, lead_id: str) -> dict[str, Any] | None:
    """The lead's latest assignment (owner, rule, why, when), or None."""
    rows = store.query(
        "SELECT rep AS owner, rule, reason, assigned_at FROM assignments WHERE lead_id = ? "
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
