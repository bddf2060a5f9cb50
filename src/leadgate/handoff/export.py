"""The new MQLs as a file a CRM imports: ``leadgate export mqls --since ... --out FILE``.

One row per entry into MQL (a ``stage_transitions`` row to ``mql``, by a scoring run or an
import) whose time is at or after ``since`` (and before ``until``, when given), the oldest
first: who the lead is, when it entered, its tier and score at that moment, and its owner
and stage now. A lead that entered twice (recycled, then back) has two rows.

Values are exact: a score is written as the shortest text that reads back as the same
number (``80.25``, never ``80.3``); a time is ISO 8601 UTC with ``Z``
(``2026-03-02T09:00:00Z``); an empty cell (CSV) or ``null`` (JSON) is a missing value.
CSV has a header row; JSON is an array of objects with the same keys.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..clock import store_time
from ..errors import LeadgateError
from ..store import Store

FORMATS = ("csv", "json")
#: The columns of the export, in order.
COLUMNS = (
    "lead_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "company_domain",
    "country",
    "entered_at",
    "tier",
    "score",
    "definition_hash",
    "owner",
    "stage",
)


class BadExport(LeadgateError, ValueError):
    """An export asked in a format leadgate does not write, or over an empty period."""

    code = "LG683"


@dataclass(frozen=True)
class MqlExport:
    """What :meth:`Project.export_mqls` wrote: where, how many rows, over which period."""

    path: str
    fmt: str
    rows: int
    since: dt.datetime | None
    until: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.fmt,
            "rows": self.rows,
            "since": _iso(self.since),
            "until": _iso(self.until),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def new_mqls(
    store: Store, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The MQL entries in ``[since, until)`` (aware or naive UTC), the oldest first."""
    start, end = store_time(since), store_time(until)
    if start is not None and end is not None and end <= start:
        raise BadExport(f"The period ends ({end}) before it starts ({start}): nothing to export.")
    return store.query(
        "WITH owners AS (SELECT lead_id, arg_max(rep, assignment_id) AS owner FROM assignments "
        "GROUP BY lead_id) SELECT t.lead_id, l.email, l.first_name, l.last_name, l.title, "
        "l.company, l.company_domain, l.country, t.moved_at AS entered_at, t.tier, t.score, "
        "t.definition_hash, o.owner, coalesce(l.stage, 'lead') AS stage "
        "FROM stage_transitions t JOIN leads l USING (lead_id) LEFT JOIN owners o USING (lead_id) "
        "WHERE t.to_stage = 'mql' AND (? IS NULL OR t.moved_at >= ?) "
        "AND (? IS NULL OR t.moved_at < ?) ORDER BY t.moved_at, t.seq",
        [start, start, end, end],
    )


def _cell(value: Any) -> Any:
    """A value as the file writes it: times ISO UTC with Z, numbers exact (``repr``)."""
    if isinstance(value, dt.datetime):
        return value.isoformat() + "Z"
    return value


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    """``rows`` as CSV (header first) or a JSON array, every value exact."""
    if fmt not in FORMATS:
        raise BadExport(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    records = [{c: _cell(row[c]) for c in COLUMNS} for row in rows]
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in records:
        # repr() of a float is the shortest text that reads back as the same number.
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v
                         for v in record.values()])  # fmt: skip
    return out.getvalue()


def export_mqls(
    store: Store,
    out: str | Path,
    *,
    fmt: str = "csv",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> MqlExport:
    """Write the new MQLs (:func:`new_mqls`) to the file ``out`` in ``fmt``."""
    rows = new_mqls(store, since, until)
    Path(out).write_text(render(rows, fmt), encoding="utf-8")
    return MqlExport(str(out), fmt, len(rows), since, until)


__all__ = ["COLUMNS", "FORMATS", "BadExport", "MqlExport", "export_mqls", "new_mqls", "render"]
