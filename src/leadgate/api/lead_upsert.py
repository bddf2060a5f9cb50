"""``POST /v1/leads``: leads upserted as an import of the same rows (JSON Lines) would, and
what that import says told in the API's terms.

The import reads a date field's day/month dates in one order for the whole column, decided
by its values, else the project's ``date_order``, else month first (see
:mod:`leadgate.ingest.date_columns`). The CLI's report says so in a notice; the API's answer
says it in ``notes`` (the field, the order, why, an example), so a sender learns that
``01/02/2026`` was read as 2 January and can send ISO 8601 instead. What the import refuses
is named by the item's ``index`` and ``field``, never by a file's line or a CLI option.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from ..ingest.date_columns import DateOrderConflict
from ..ingest.dates import DATE_ORDERS
from ..ingest.report import ImportReport, Reject
from ..project import Project
from .errors import ApiError
from .inputs import MAX_PROBLEMS

#: What the API asks for instead of a date it could not read, or read by a guess.
ISO_HINT = "send ISO 8601 (2026-01-02 or 2026-01-02T09:15:00Z)"


def upsert_leads(project: Project, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Upsert leads as an import of the same rows would: identity, aliases, enrichment, new
    custom attributes as columns; the answer's ``notes`` name the dates read by an order
    their values did not show."""
    fd, path = tempfile.mkstemp(prefix="leadgate-api-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        try:
            report = project.import_file(path, "leads", source_name="api")
        except DateOrderConflict as exc:
            raise order_conflict(exc) from None
    finally:
        os.unlink(path)
    if report.rows_rejected:
        raise ApiError(
            422,
            "LG712",
            f"{report.rows_rejected} of the {report.rows_read} leads were refused; nothing "
            "was written.",
            [_problem(r) for r in report.rejects[:MAX_PROBLEMS]],
        )
    return {
        "received": report.rows_read,
        "changed": report.rows_loaded,
        "unchanged": report.rows_unchanged,
        "columns_added": report.columns_added,
        "notes": date_notes(report),
    }


def date_notes(report: ImportReport) -> list[dict[str, Any]]:
    """The date fields read day or month first, each with why and what to send instead.

    >>> r = ImportReport("i", "leads", "x")
    >>> r.date_orders = [{"field": "created_at", "order": "mdy", "why": "by default",
    ...                   "example": "01/02/2026"}]
    >>> date_notes(r)[0]["note"][:58]
    "created_at: dates such as '01/02/2026' were read month fir"
    """
    notes = []
    for read in report.date_orders:
        order = DATE_ORDERS[read["order"]]
        note = (
            f"{read['field']}: dates such as {read['example']!r} were read {order} "
            f"({read['why']}); if that is not what they mean, {ISO_HINT}"
        )
        notes.append({"field": read["field"], "order": read["order"], "read_as": order,
                      "why": read["why"], "example": read["example"], "note": note})  # fmt: skip
    return notes


def order_conflict(exc: DateOrderConflict) -> ApiError:
    """LG312 naming the two items whose dates of one field disagree on the order."""
    (day_row, day), (month_row, month) = exc.rows
    details = [
        {"index": day_row - 1, "field": exc.field,
         "problem": f"{day!r} can only be day first (its first number is above 12)"},
        {"index": month_row - 1, "field": exc.field,
         "problem": f"{month!r} can only be month first (its second number is above 12)"},
    ]  # fmt: skip
    return ApiError(
        422,
        "LG312",
        f"leads[{day_row - 1}].{exc.field} is day first ({day!r}) and "
        f"leads[{month_row - 1}].{exc.field} month first ({month!r}): a field's dates of one "
        f"request are read in one order, never value by value; {ISO_HINT}. Nothing was "
        "written.",
        details,
    )


def _problem(reject: Reject) -> dict[str, Any]:
    """A refused lead: its index (the JSON Lines' line - 1), field and reason; a date it
    could not read asks for ISO 8601 (not for the CLI's --date-format)."""
    problem = reject.reason
    if problem.startswith("not a date or time"):
        problem = f"{reject.raw!r} is not a date or time the API reads: {ISO_HINT}"
    elif problem.startswith("not one of leadgate's"):  # a stage: the CLI's map is no help
        problem = f"{reject.raw!r} is {problem.partition('; ')[0]}; send one of them"
    return {"index": (reject.line or 1) - 1, "field": reject.column, "problem": problem}
