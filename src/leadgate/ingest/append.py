"""Events, outcomes and intent: checked, then written once, straight from the file.

Staging every row in a temp table and copying it on writes each row twice, and writing a
row (DuckDB compresses every column as it goes) is most of what an import costs. These
kinds are only ever appended, so nothing but the *exceptions* is kept aside (the rows
failing a check, the later occurrences of a repeated key: :mod:`.check_pass`), and the good
rows go from the file into the table with one ``INSERT INTO <table> SELECT ... FROM <file>``
per batch, with the casts and the zone conversion.

This module is the one place that chooses how. :func:`choose_path` names the write path
for a file and a table; :func:`load_append` runs it. The paths (:mod:`.write_paths`):

==========================  ==========  ============================================
path                        file        table
==========================  ==========  ============================================
``write_then_check``        CSV, JSONL  empty
``text_known_in_check``     CSV, JSONL  has rows, fewer than 4 × the file's (by size)
``text_known_by_semi_join`` CSV, JSONL  has at least 4 × the file's rows
``parquet_into_empty``      Parquet     empty
``parquet_into_stored``     Parquet     has rows
==========================  ==========  ============================================

Parquet is written in batches of rows ``[lo, hi)`` (the reader seeks to a row range); a
text file cannot be read from the middle, so its whole file is one batch. Each batch
commits in one transaction with its rejects, its visitor links and the progress in
``imports``, so a ``kill -9`` leaves the store as before or with whole batches.

A CSV's record number (``row_number() OVER ()``) makes DuckDB run everything above it on
one thread, so the passes that need no number (check, write) read the file unnumbered
(:attr:`.readers.Source.unordered`); only the exception passes number it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from ..store import Store
from . import readers, write_paths
from .append_job import BAD, CHECK, LINKS, SKIP, AppendJob
from .kinds import Kind
from .normalise import StagePlan
from .progress import Meter
from .rejects import LINES
from .report import ImportReport
from .write_paths import whole_row_groups

TEMP_TABLES = (CHECK, BAD, SKIP, LINKS, LINES)
# A CSV or JSON Lines event takes at least this many bytes; fewer would over-estimate rows.
MIN_ROW_BYTES = 40


class WritePath(enum.Enum):
    """The ways a file goes into its table (see the module docstring)."""

    WRITE_THEN_CHECK = enum.auto()
    TEXT_KNOWN_IN_CHECK = enum.auto()
    TEXT_KNOWN_BY_SEMI_JOIN = enum.auto()
    PARQUET_INTO_EMPTY = enum.auto()
    PARQUET_INTO_STORED = enum.auto()


#: The function of :mod:`.write_paths` that does each path's work.
RUN: dict[WritePath, Callable[[AppendJob], None]] = {
    WritePath.WRITE_THEN_CHECK: write_paths.write_then_check,
    WritePath.TEXT_KNOWN_IN_CHECK: write_paths.text_known_in_check,
    WritePath.TEXT_KNOWN_BY_SEMI_JOIN: write_paths.text_known_by_semi_join,
    WritePath.PARQUET_INTO_EMPTY: write_paths.parquet_into_empty,
    WritePath.PARQUET_INTO_STORED: write_paths.parquet_into_stored,
}


def choose_path(store: Store, spec: Kind, source: readers.Source) -> WritePath:
    """The write path for ``source`` into ``spec``'s table, as it stands now."""
    stored = bool(store.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {spec.table} LIMIT 1)"))
    if source.fmt == "parquet":
        return WritePath.PARQUET_INTO_STORED if stored else WritePath.PARQUET_INTO_EMPTY
    if not stored:
        return WritePath.WRITE_THEN_CHECK
    if _small_beside(store, spec, source):
        return WritePath.TEXT_KNOWN_BY_SEMI_JOIN
    return WritePath.TEXT_KNOWN_IN_CHECK


def load_append(
    store: Store,
    spec: Kind,
    plan: StagePlan,
    source: readers.Source,
    report: ImportReport,
    batch_rows: int,
    meter: Meter,
    types: list[str],
) -> None:
    """Check, then write the good rows of an append kind, by the path :func:`choose_path`
    names (see the module docstring); ``meter`` follows the long statements."""
    job = AppendJob(store, spec, plan, source, report, types, batch_rows, meter)
    RUN[choose_path(store, spec, source)](job)


def _small_beside(store: Store, spec: Kind, source: readers.Source) -> bool:
    """Whether a text file has at most a quarter of the table's rows (by its size).

    Its stored keys are then found with a semi-join over the file in a pass of their own,
    whose hash table holds the file's keys. Otherwise the check pass finds them as it goes,
    with a hash table of the whole table's keys: cheaper for a file as large as the table
    (one pass fewer), dearer for a day's export into a store of years.
    """
    packed = source.path.suffix.lower() in (".gz", ".zst")
    size = source.path.stat().st_size * (10 if packed else 1)
    rows = int(store.scalar(f"SELECT count(*) FROM {spec.table}"))
    return 4 * (size // MIN_ROW_BYTES) <= rows


__all__ = ["TEMP_TABLES", "WritePath", "choose_path", "load_append", "whole_row_groups"]
