"""Why a row was refused, as SQL, and the closing of an import's record.

Shared by the staged path (leads, accounts: :mod:`.loader`) and the direct path (events,
outcomes, intent: :mod:`.append`). A table of rejected rows carries ``_rej`` (the number of
the check the row failed, ``len(plan.checks) + 1`` for a duplicate key) and ``_raw``.
"""

from __future__ import annotations

from typing import Any

from ..store import Store
from ..vocabulary import suggest
from . import readers
from .normalise import StagePlan
from .report import ImportReport, Reject

REJECTS_IN_REPORT = 20
DUPLICATE = "duplicate key in the file; the first occurrence is kept"
SUGGEST = "_lg_suggest"


def reason_sql(store: Store, plan: StagePlan, types: list[str], table: str) -> str:
    """Each reject's reason (``s`` is a row of ``table``); an unknown event type names its
    nearest known one."""
    dup = f" WHEN {len(plan.checks) + 1} THEN '{DUPLICATE}' END"
    case = plan.reason_case().removesuffix(" END") + dup
    unknown = [n for n, c in enumerate(plan.checks, 1) if c.reason == "unknown event type"]
    if unknown:
        raws = [
            r[0]
            for r in store.execute(
                f"SELECT DISTINCT _raw FROM {table} WHERE _rej = {unknown[0]}"
            ).fetchall()
        ]
        rows = [(raw, suggest(str(raw).lower().replace(" ", "_"), types)) for raw in raws]
        store.execute(f"CREATE OR REPLACE TEMP TABLE {SUGGEST} (raw VARCHAR, hint VARCHAR)")
        if rows:
            store.executemany(f"INSERT INTO {SUGGEST} VALUES (?, ?)", rows)
        hint = (
            "(SELECT 'unknown event type' || coalesce('; did you mean ''' || hint || '''?', '')"
            f" FROM {SUGGEST} WHERE {SUGGEST}.raw = s._raw)"
        )
        old = f"WHEN {unknown[0]} THEN 'unknown event type'"
        case = case.replace(old, f"WHEN {unknown[0]} THEN {hint}")
    return case.replace("CASE _rej", "CASE s._rej")


def column_sql(plan: StagePlan, key: str) -> str:
    """Each reject's column (``s`` is a row of a rejects table)."""
    column_case = plan.column_case()
    if column_case == "NULL":
        return "NULL"
    dup = f" WHEN {len(plan.checks) + 1} THEN '{key}' END"
    return (column_case.removesuffix(" END") + dup).replace("CASE _rej", "CASE s._rej")


def finish(store: Store, report: ImportReport) -> None:
    """Copy the first rejects into ``report`` and close the import's record."""
    report.rejects = [
        Reject(*r)
        for r in store.execute(
            "SELECT file, line, column_name, reason, raw FROM rejects WHERE import_id = ? "
            f"ORDER BY line NULLS LAST LIMIT {REJECTS_IN_REPORT}",
            [report.import_id],
        ).fetchall()
    ]
    with store.atomic():
        store.execute(
            "UPDATE imports SET finished_at = ?, rows_read = ?, rows_rejected = ? "
            "WHERE import_id = ?",
            [store.now(), report.rows_read, report.rows_rejected, report.import_id],
        )


#: The temporary table of a CSV's real line numbers, read only when something was rejected.
LINES = "_lg_lines"


def reject_sql(
    store: Store,
    source: Any,
    plan: StagePlan,
    types: list[str],
    table: str,
    rejected: int,
    key: str,
) -> tuple[str, str, str, str]:
    """SQL for a reject's line, reason and column, and the file name, for ``s`` a row of
    ``table``. A CSV's real line numbers (quoted line breaks, blank lines) are worked out
    only when there is something to reject."""
    line = "s._line"
    if rejected and source.fmt == "csv":
        readers.csv_line_numbers(store, source, LINES)
        line = f"(SELECT line FROM {LINES} WHERE {LINES}._row = s._row)"
    reasons = reason_sql(store, plan, types, table) if rejected else "NULL"
    return line, reasons, column_sql(plan, key), readers.quote_literal(str(source.path))


def record_csv_rejects(store: Store, report: ImportReport, file: str) -> None:
    """Keep the lines DuckDB's CSV reader could not parse as rejects of this import."""
    store.execute(
        f"INSERT INTO rejects SELECT ?, {file}, line, column_name, reason, raw "
        f"FROM ({readers.csv_errors_sql()}) ORDER BY line",
        [report.import_id],
    )


def record_loaded(store: Store, report: ImportReport, loaded: int) -> None:
    """Count a committed batch's rows in the ``imports`` row (inside the batch's transaction)."""
    store.execute(
        "UPDATE imports SET rows_loaded = rows_loaded + ? WHERE import_id = ?",
        [loaded, report.import_id],
    )


def csv_reject_count(store: Store, csv_bad: bool, table: str) -> int:
    """How many malformed lines DuckDB's CSV reader set aside (one per line)."""
    if not csv_bad:
        return 0
    where = readers.not_footer()  # the lines of a report's footer are no rejects
    return int(store.scalar(f"SELECT count(DISTINCT line) FROM temp.{table} WHERE {where}") or 0)
