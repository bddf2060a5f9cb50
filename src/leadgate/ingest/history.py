"""The imports on record: finished ones, and those a crash or a ``kill -9`` interrupted.

Every import writes its ``imports`` row before its first batch and its finish time after
the last (:func:`.rejects.finish`), each batch's count committing with the batch. A row
without a finish time is therefore an import that stopped part way: the store holds its
whole batches and nothing of the rest, and importing the same file again completes it (the
rows it loaded count as unchanged). An import still running holds the store's lock, so no
other process can list it: an unfinished row seen here is an interrupted one, or a failed one
when the import stopped on an error, which it records (:func:`record_failure`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from ..results import ImportRecord
from ..store import Store

FINISHED, FAILED, INTERRUPTED = "finished", "failed", "interrupted"

# The rejects of an interrupted import are in ``rejects`` (committed with its batches); its
# ``rows_rejected`` is only written at the finish.
_RECORDS = """
    SELECT i.import_id, i.kind, i.file,
           CASE WHEN i.finished_at IS NOT NULL THEN 'finished'
                WHEN i.error IS NOT NULL THEN 'failed' ELSE 'interrupted' END,
           i.started_at, i.finished_at, i.rows_read, i.rows_loaded,
           CASE WHEN i.finished_at IS NULL
                THEN (SELECT count(*) FROM rejects r WHERE r.import_id = i.import_id)
                ELSE i.rows_rejected END,
           i.error
    FROM imports AS i
"""


def list_imports(store: Store, limit: int | None = None) -> list[ImportRecord]:
    """The imports on record, the latest first (``limit``: at most that many)."""
    cap = f" LIMIT {int(limit)}" if limit else ""
    rows = store.execute(f"{_RECORDS} ORDER BY i.rowid DESC{cap}").fetchall()
    return [ImportRecord(*row) for row in rows]


def source_path(path: str | Path) -> str:
    """The path an import records to know the file again: absolute, links resolved."""
    return str(Path(path).resolve())


def interrupted_before(store: Store, path: str | Path) -> list[ImportRecord]:
    """The imports of the file at ``path`` that were interrupted since its last finished
    import (the same file: the same absolute path, or the same path as given by an import
    older than that record)."""
    names = [source_path(path), str(path)]
    rows = store.execute(
        f"{_RECORDS} WHERE i.finished_at IS NULL AND i.error IS NULL "
        "AND coalesce(i.source_path, i.file) IN (?, ?) "
        "AND i.rowid > coalesce((SELECT max(f.rowid) FROM imports AS f "
        "WHERE f.finished_at IS NOT NULL AND coalesce(f.source_path, f.file) IN (?, ?)), -1) "
        "ORDER BY i.rowid",
        [*names, *names],
    ).fetchall()
    return [ImportRecord(*row) for row in rows]


def record_failure(store: Store, import_id: str, error: Exception) -> None:
    """Record why an import stopped on an error (its committed batches stay); never let
    the recording hide the error itself."""
    with contextlib.suppress(Exception):
        store.execute(
            "UPDATE imports SET error = ? WHERE import_id = ?",
            [f"{type(error).__name__}: {error}"[:2000], import_id],
        )


def interrupted_notice(earlier: list[ImportRecord]) -> str | None:
    """What the import report says about ``earlier`` interrupted imports of its file."""
    if not earlier:
        return None
    last = earlier[-1]
    times = "an earlier import" if len(earlier) == 1 else f"{len(earlier)} earlier imports"
    return (
        f"{times[0].upper()}{times[1:]} of this file was interrupted: the last, "
        f"{last.import_id[:12]} ({last.kind}, started {last.started_at:%Y-%m-%d %H:%M:%S} "
        f"UTC), had committed {last.rows_loaded or 0:,} rows. This import completes it: "
        "rows already loaded count as unchanged. See `leadgate imports`."
    )
