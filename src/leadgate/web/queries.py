"""The store reads the dashboard needs that no :class:`~leadgate.project.Project` method
offers yet: the working queue with keyset pagination, a lead's owner, counts per stage.

Each is one small read, named for what it returns, called by one page function in
:mod:`.pages`. When ``Project.queue`` / ``Project.lead`` (lane api-routes) and the SLA
clocks (lane sla) land, the page function switches to them and the query here goes.
"""

from __future__ import annotations

import base64
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


def stage_counts(store: Store) -> list[dict[str, Any]]:
    """Leads per stage, in no particular order."""
    return store.query(
        "SELECT coalesce(stage, 'lead') AS stage, count(*) AS leads FROM leads GROUP BY 1"
    )


def mql_counts(store: Store) -> list[dict[str, Any]]:
    """Leads in ``mql`` per tier they entered with."""
    return store.query(
        "SELECT coalesce(h.mql_tier, '(unknown)') AS tier, count(*) AS mqls FROM leads l "
        "LEFT JOIN lead_handoff h USING (lead_id) WHERE l.stage = 'mql' GROUP BY 1 ORDER BY 2 DESC"
    )
