"""The write paths of an append import; :func:`.append.choose_path` picks one per file.

Every path ends with the same store: the file's good rows whose key neither an earlier row
of the file nor the table holds, its rejects, its visitor links and its counts in
``imports``. They differ in the order of their passes, which is chosen for speed:

* :func:`write_then_check`: a text file into an empty table.
* :func:`text_known_in_check` and :func:`text_known_by_semi_join`: a text file into a
  table with rows, in one batch; they differ in how they count the stored keys.
* :func:`parquet_into_empty` and :func:`parquet_into_stored`: Parquet, in batches of rows.

Each batch commits in one transaction with its rejects, its links and its progress, so a
``kill -9`` leaves the store as it was or with whole batches.
"""

from __future__ import annotations

from collections.abc import Callable

from . import readers
from .append_job import (
    BAD,
    CHECK,
    SKIP,
    WHOLE,
    AppendJob,
    Span,
    insert_sql,
    later_duplicates_left_out,
    next_rowid,
    not_stored,
    run_insert,
    skipping,
    spans,
    stored,
    unordered,
)
from .check_pass import Counts, check, list_exceptions, read_counts, repeated_rows
from .rejects import csv_reject_count, record_csv_rejects, record_loaded, reject_sql
from .visitor_links import first_links, link_visitors, links_of_new_rows

RejectSQL = tuple[str, str, str, str]
# DuckDB's row group. A batch of whole ones appends whole, well-compressed row groups; a
# batch of 500,000 rows would leave a small one behind at every commit.
ROW_GROUP = 122_880


def write_then_check(job: AppendJob) -> None:
    """A text file into an empty table: write first, then check what was written.

    Taken for CSV and JSON Lines when the table is empty. Parsing and normalising the text
    is the dear part of a text import, so the file is read in full once: the good rows go
    straight into the table, in one transaction. A count of its records (no values parsed)
    then gives the rejected rows, and one aggregate over the key column of the rows just
    written finds the keys the file repeats. Correct because the table held nothing, so
    every row with the key of a repeated one is this file's: those rows are taken out and
    each key's first row in the file put back. A clean 10M-row CSV imports about a quarter
    faster than checking first.
    """
    store, meter = job.store, job.meter
    with unordered(store), store.atomic():
        start = next_rowid(job)
        with readers.reading(job.source.path):
            with meter.watching(store, meter.share(0.8)):
                written = run_insert(store, insert_sql(job, job.fast))
            with meter.watching(store, meter.share(0.85)):
                total = int(store.scalar(f"SELECT count(*) FROM {job.fast}"))
        with meter.watching(store, meter.total):
            failed = total - written
            dups, repeated = _first_of_each_key(job, start, failed)
            loaded = written - repeated
            link = _read_back_links(job, repeated > 0, start) if job.links and loaded else None
            _commit(job, WHOLE, None, _rejects(job, failed + repeated), link, loaded)
    _close(job, Counts(total, failed, dups, 0), repeated)


def _first_of_each_key(job: AppendJob, start: int, failed: int) -> tuple[int, int]:
    """After :func:`write_then_check`'s write: list the exceptions in ``BAD`` and, where the
    rows written from ``rowid`` ``start`` repeat a key, keep only the key's first row in the
    file. Returns how many keys repeat and how many rows were taken out."""
    store, key = job.store, f"{job.spec.table}.{job.spec.key}"
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHECK} AS SELECT 0 AS gk, {key} AS _k "
        f"FROM {job.spec.table} WHERE rowid >= {start} GROUP BY {key} HAVING count(*) > 1"
    )
    dups = int(store.scalar(f"SELECT count(*) FROM {CHECK}"))
    list_exceptions(job, failed, dups, same="s._key", hashed=False)  # CHECK: stored keys
    if not dups:
        return 0, 0
    store.execute(
        f"DELETE FROM {job.spec.table} WHERE rowid >= {start} AND {key} IN (SELECT _k FROM {CHECK})"
    )
    firsts = later_duplicates_left_out(job.ordered, job.dup)
    store.execute(insert_sql(job, firsts, f" AND s._key IN (SELECT _k FROM {CHECK})"))
    return dups, repeated_rows(store, job.dup)


def text_known_in_check(job: AppendJob) -> None:
    """A text file into a table with rows, about as large as the file or smaller.

    The check pass also counts the good rows whose key is stored, as it goes, with a hash
    table of the whole table's keys: one pass fewer than :func:`text_known_by_semi_join`.
    """
    known = f"s._rej IS NULL AND s._key IN (SELECT {job.spec.key} FROM {job.spec.table})"
    with readers.reading(job.source.path), job.meter.watching(job.store, job.meter.share(0.5)):
        check(job, None, known)
    _text_one_batch(job)


def text_known_by_semi_join(job: AppendJob) -> None:
    """A text file into a table of at least four times its rows (a day's export into a
    store of years).

    The stored keys are counted by a SEMI JOIN in a pass of their own, whose hash table
    holds the file's keys rather than the table's.
    """
    with readers.reading(job.source.path), job.meter.watching(job.store, job.meter.share(0.5)):
        check(job, None)
        job.store.execute(
            f"UPDATE {CHECK} SET known = (SELECT count(*) FROM {stored(job.fast, job.spec)} "
            "WHERE s._rej IS NULL) WHERE gk = 1"
        )
    _text_one_batch(job)


def _text_one_batch(job: AppendJob) -> None:
    """The rest of a text file into a table with rows: its one batch.

    A text file cannot be read from the middle, so the whole file is one batch and a
    ``kill -9`` leaves the store exactly as before. The ``INSERT`` anti-joins the table,
    so a stored key is never written twice; when every good row's key is stored (a
    re-import) nothing is written and the text is not read a second time.
    """
    counts = read_counts(job.store)
    with job.meter.watching(job.store, job.meter.total):
        list_exceptions(job, counts.failed, counts.dups)
        repeated = repeated_rows(job.store, job.dup) if counts.dups else 0
        good = counts.total - counts.failed - repeated
        fresh = good > 0 and counts.known < counts.total - counts.failed
        write = job.fast
        if repeated:
            write = later_duplicates_left_out(job.ordered, job.dup)
        insert = insert_sql(job, not_stored(write, job.spec)) if fresh else None
        link = None
        if job.links and fresh:
            link = _read_back_links(job, repeated > 0, next_rowid(job))
        with unordered(job.store):
            _commit(job, WHOLE, insert, _rejects(job, counts.failed + repeated), link)
    _close(job, counts, repeated)


def parquet_into_empty(job: AppendJob) -> None:
    """Parquet into an empty table: check, then write in batches of rows.

    The check pass reads the row count from the file's metadata; every good row that is
    not a later duplicate is new. Parquet pushes a batch's row range into the scan (row
    groups outside it are never read), so a batch costs its own rows only.
    """
    repeated = _parquet_check(job)
    _parquet_batches(job, repeated, skip=repeated > 0)


def parquet_into_stored(job: AppendJob) -> None:
    """Parquet into a table with rows: as :func:`parquet_into_empty`, but the file rows
    whose key is stored are listed in ``SKIP`` up front, in one SEMI JOIN.

    Marking them before the first batch is what keeps batches from taking each other's
    rows for stored ones. When that is every good row (a re-import) nothing is written.
    """
    repeated = _parquet_check(job)
    rows = skipping(job.ordered) if repeated else job.ordered
    known = run_insert(
        job.store,
        f"INSERT INTO {SKIP} SELECT s._row FROM {stored(rows, job.spec)} WHERE s._rej IS NULL",
    )
    _parquet_batches(job, repeated, skip=True, known=known)


def _parquet_check(job: AppendJob) -> int:
    """The check pass and exceptions of a Parquet file; ``SKIP`` lists the later rows of
    repeated keys. Returns how many those are."""
    with readers.reading(job.source.path):
        check(job, readers.parquet_rows_sql(job.source.path))
    counts = read_counts(job.store)
    list_exceptions(job, counts.failed, counts.dups)
    job.store.execute(
        f"CREATE OR REPLACE TEMP TABLE {SKIP} AS SELECT _row FROM {BAD} WHERE _rej = {job.dup}"
    )
    return repeated_rows(job.store, job.dup) if counts.dups else 0


def _parquet_batches(job: AppendJob, repeated: int, skip: bool, known: int = 0) -> None:
    """Write the good rows not in ``SKIP`` (when ``skip``) in batches of whole row groups."""
    counts = read_counts(job.store)
    fresh = counts.total - counts.failed - repeated - known
    link = None
    if job.links and fresh:
        first_links(job, repeated > 0)
        link = link_visitors
    reject = _rejects(job, counts.failed + repeated)
    with unordered(job.store):
        for span in spans(counts.total, whole_row_groups(job.batch_rows)):
            rows = skipping(job.ordered, span) if skip else job.ordered
            insert = insert_sql(job, rows, span.cond()) if fresh else None
            with job.meter.watching(job.store, min(span.hi - 1, counts.total)):
                _commit(job, span, insert, reject, link)
    _close(job, counts, repeated)


def whole_row_groups(batch_rows: int) -> int:
    """``batch_rows`` rounded to whole row groups once it is at least one.

    >>> whole_row_groups(500_000), whole_row_groups(20_000)
    (491520, 20000)
    """
    if batch_rows < ROW_GROUP:
        return batch_rows
    return max(1, round(batch_rows / ROW_GROUP)) * ROW_GROUP


Link = Callable[[AppendJob, Span], None]


def _read_back_links(job: AppendJob, dups: bool, start: int) -> Link:
    """A text file's links, read back from the rows added from ``rowid`` ``start``."""

    def link(job: AppendJob, span: Span) -> None:
        links_of_new_rows(job, dups, start)
        link_visitors(job, span)

    return link


def _commit(
    job: AppendJob,
    span: Span,
    insert: str | None,
    reject: RejectSQL | None,
    link: Link | None,
    loaded: int = 0,
) -> None:
    """One batch in one transaction: its rows (``insert``), its rejects, its links and its
    count in ``imports``. ``loaded``: rows the caller wrote already in this transaction."""
    store = job.store
    with store.atomic():
        if insert is not None:
            loaded += run_insert(store, insert)
        if reject is not None:
            _record_rejects(job, reject, span)
        if span.lo == 1 and job.source.fmt == "csv" and readers.csv_has_errors(store):
            record_csv_rejects(store, job.report, reject[3] if reject else _file(job))
        if link is not None:
            link(job, span)
        record_loaded(store, job.report, loaded)
    job.report.rows_loaded += loaded


def _rejects(job: AppendJob, rejected: int) -> RejectSQL | None:
    """SQL for the line, reason, column and file of the rows in ``BAD``; None when none."""
    if not rejected:
        return None
    return reject_sql(job.store, job.source, job.plan, job.types, BAD, rejected, job.spec.key)


def _record_rejects(job: AppendJob, reject: RejectSQL, span: Span) -> None:
    """Keep the rows of ``BAD`` in ``span`` as rejects, in file order."""
    line, reasons, columns, file = reject
    job.store.execute(
        f"INSERT INTO rejects SELECT ?, {file}, {line}, {columns}, {reasons}, "
        f"s._raw FROM {BAD} AS s WHERE true{span.cond()} ORDER BY s._row",
        [job.report.import_id],
    )


def _file(job: AppendJob) -> str:
    return readers.quote_literal(str(job.source.path))


def _close(job: AppendJob, counts: Counts, repeated: int) -> None:
    """Account for every row read in the report (loaded, unchanged or rejected)."""
    report = job.report
    rejected = counts.failed + repeated
    good = counts.total - rejected
    csv_bad = job.source.fmt == "csv" and readers.csv_has_errors(job.store)
    report.rows_rejected = rejected + csv_reject_count(job.store, csv_bad, readers.CSV_ERRORS)
    report.rows_read = good + report.rows_rejected
    report.rows_unchanged = good - report.rows_loaded
