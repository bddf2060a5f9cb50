"""Events, outcomes and intent: checked in one pass, then written once, straight from the file.

Staging every row in a temp table and copying it on writes each row twice, and writing a
row (DuckDB compresses every column as it goes) is most of what an import costs. These
kinds are only ever appended, so nothing but the *exceptions* is kept aside:

1. **Check.** One aggregate over the file: the keys of good rows seen more than once, the
   count of rows failing a check and the rows read. Only counts: this hash aggregate over
   every key of the file is the price of finding in-file duplicates.
2. **Exceptions.** Only when there are some: one scan lists the rows failing a check, one
   the later occurrences of repeated keys (the first occurrence wins, as ``_row`` is the
   record's position in the file). Parquet finds each linking visitor's first lead in one
   more (cheap) pass; a text file reads its links back from the rows it has just added,
   and numbers its records only when a visitor names two leads.
3. **Known keys.** Parquet, when the table already holds rows: one semi-join lists the file
   rows whose key is stored, so that batches never take each other's rows for stored ones.
   When that is every good row (a re-import) nothing is written. A text file, one batch,
   counts its stored keys instead (skipping the write when that is all of them): in the
   check pass when the file is about as large as the table, else with a semi-join of its
   own, whose hash table holds the file's keys rather than the table's. Its single
   ``INSERT`` anti-joins the table.
4. **Write.** ``INSERT INTO <table> SELECT ... FROM <file>`` of the good rows not set aside,
   with the casts and the zone conversion, in batches of rows ``[lo, hi)``, each in one
   transaction with its rejects, its visitor links and the progress in ``imports``.
   Parquet pushes the range into the scan (row groups outside it are never read), so a
   batch costs its own rows only. CSV and JSON Lines cannot seek: their whole file is one
   batch, so a ``kill -9`` leaves the store exactly as before the import.

A text file into an empty table turns the order round (:func:`_write_then_check`): parsing
and normalising text costs more than reading Parquet, so the file is written first, in one
pass and one transaction, and the check runs on what was written: a count of the file's
records gives the rejected rows, an aggregate over the new rows' keys the repeated ones.
A clean 10M-row CSV imports about a quarter faster that way.

A CSV's record number (``row_number() OVER ()``) makes DuckDB run everything above it on
one thread, so the passes that need no number (check, write) read the file unnumbered
(:attr:`.readers.Source.unordered`); only the exception passes number it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from ..errors import ImportFailed
from ..store import Store
from . import readers
from .kinds import Kind
from .normalise import StagePlan
from .rejects import LINES, csv_reject_count, record_csv_rejects, record_loaded, reject_sql
from .report import ImportReport

CHECK = "_lg_check"
BAD = "_lg_bad"
SKIP = "_lg_skip"
LINKS = "_lg_links"
TEMP_TABLES = (CHECK, BAD, SKIP, LINKS, LINES)
# DuckDB's row group. A batch of whole ones appends whole, well-compressed row groups; a
# batch of 500,000 rows would leave a small one behind at every commit.
ROW_GROUP = 122_880
LINK = "s._rej IS NULL AND s.visitor_id IS NOT NULL AND s.lead_id IS NOT NULL"
# A visitor linked before keeps its lead (the primary key ignores the new link).
LINK_VISITORS = (
    f"INSERT OR IGNORE INTO visitor_links SELECT _v, lead, ts FROM {LINKS} AS s WHERE true"
)


def load_append(
    store: Store,
    spec: Kind,
    plan: StagePlan,
    source: readers.Source,
    report: ImportReport,
    batch_rows: int,
    progress: Callable[[int, int], None] | None,
    types: list[str],
) -> None:
    """Check, then write the good rows of an append kind (see the module docstring)."""
    ordered, fast = _relations(plan, source)
    text = source.fmt != "parquet"
    links = spec.name == "events" and {"visitor_id", "lead_id"} <= set(plan.fields)
    dup = len(plan.checks) + 1
    try:
        total_sql = None
        stored = bool(store.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {spec.table} LIMIT 1)"))
        if text and not stored:
            _write_then_check(store, spec, plan, source, report, types, links)
            if progress is not None:
                progress(report.rows_read, report.rows_read)
            return
        if not text:
            path = readers.quote_literal(str(source.path))
            total_sql = f"(SELECT sum(num_rows)::BIGINT FROM parquet_file_metadata({path}))"
        small = stored and text and _small_beside(store, spec, source)
        known = None
        if stored and text and not small:
            known = f"s._rej IS NULL AND s._key IN (SELECT {spec.key} FROM {spec.table})"
        _check(store, fast, total_sql, source.unordered, _id_column(plan, source), known)
        if small:
            store.execute(
                f"UPDATE {CHECK} SET known = (SELECT count(*) FROM {fast}{_stored(spec)} "
                "WHERE s._rej IS NULL) WHERE gk = 1"
            )
    except Exception as exc:  # duckdb's IO/conversion errors: the file cannot be read
        raise ImportFailed(f"Cannot read {source.path}: {exc}") from exc
    total, failed, dups, seen = store.execute(
        "SELECT coalesce(sum(n) FILTER (gk = 1), 0), "
        "coalesce(sum(n) FILTER (gk = 0 AND _k IS NULL), 0), "
        "count(*) FILTER (gk = 0 AND _k IS NOT NULL), "
        f"coalesce(sum(known) FILTER (gk = 1), 0) FROM {CHECK}"
    ).fetchone() or (0, 0, 0, 0)
    total, last = int(total), int(total)  # _row numbers the records 1..total
    _exceptions(store, ordered, int(failed), int(dups), dup)
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {SKIP} AS SELECT _row FROM {BAD} WHERE _rej = {dup}"
    )
    skipped = repeated = int(store.scalar(f"SELECT count(*) FROM {SKIP}"))
    if stored and not text:
        # Batches must not see each other's rows as "stored": mark the known rows up front
        # (a later duplicate is in SKIP already: each row is counted once).
        known = f"{ordered} ANTI JOIN {SKIP} AS d ON d._row = s._row" if dups else ordered
        skipped += int(
            (
                store.execute(
                    f"INSERT INTO {SKIP} SELECT s._row FROM {known}{_stored(spec)} "
                    "WHERE s._rej IS NULL"
                ).fetchone()
                or (0,)
            )[0]
        )
    fresh = total - int(failed) - skipped
    if text and int(seen) == total - int(failed):
        fresh = 0  # every good row's key is stored (a re-import): no second pass over the text
    # Stored rows linked their visitors when they were added: with nothing new to add (a
    # re-import) there is nothing new to link either.
    links = links and fresh > 0
    if links and not text:
        _links(store, ordered, dup if dups else None)
    write = ordered if not text or dups else fast
    if dups or (stored and not text):
        write += f" ANTI JOIN (SELECT _row FROM {SKIP}{{within}}) AS k ON k._row = s._row"
    if stored and text:
        write += f" ANTI JOIN {spec.table} AS t ON t.{spec.key} = s._key"

    rejected = int(failed) + repeated
    good = total - rejected
    csv_bad = source.fmt == "csv" and readers.csv_has_errors(store)
    reject = reject_sql(store, source, plan, types, BAD, rejected, spec.key)
    # Parquet reads a row range by itself; a text file is read whole, so it is one batch.
    step = max(last, 1) if text else whole_row_groups(batch_rows)
    insert = _insert_sql(store, spec, plan, write)
    with _unordered(store):
        for lo in range(1, max(last, 1) + 1, step):
            hi = lo + step
            whole = lo == 1 and hi > last
            span = "" if whole else f" AND s._row >= {lo} AND s._row < {hi}"
            within = "" if whole else f" WHERE _row >= {lo} AND _row < {hi}"
            with store.atomic():
                loaded = 0
                if links and text:
                    start = store.scalar(f"SELECT coalesce(max(rowid), -1) + 1 FROM {spec.table}")
                if fresh:
                    # Fetch before the next statement: the cursor is the connection itself.
                    cur = store.execute(insert.replace("{within}", within) + span)
                    loaded = int((cur.fetchone() or (0,))[0])
                if rejected:
                    _record_rejects(store, report, reject, span)
                if lo == 1 and csv_bad:
                    record_csv_rejects(store, report, reject[3])
                if links:
                    if text:
                        _links_of_new_rows(store, spec, ordered, dup if dups else None, start)
                    store.execute(LINK_VISITORS + span.replace("s._row", "s.first"))
                record_loaded(store, report, loaded)
            report.rows_loaded += loaded
            if progress is not None:
                progress(min(hi - 1, last), last)
    report.rows_rejected = rejected + csv_reject_count(store, csv_bad, readers.CSV_ERRORS)
    report.rows_read = good + report.rows_rejected
    report.rows_unchanged = good - report.rows_loaded


def _relations(plan: StagePlan, source: readers.Source) -> tuple[str, str]:
    """The file's staged rows as ``s``: numbered, and as read fastest (a text file numbers
    its records on one thread; the passes that need no number skip it)."""
    return f"({plan.sql}) AS s", f"({plan.sql.replace(source.relation, source.unordered)}) AS s"


def _record_rejects(
    store: Store, report: ImportReport, reject: tuple[str, str, str, str], span: str = ""
) -> None:
    """Keep the rows of ``BAD`` (those of ``span``, a condition on ``s._row``) as rejects,
    in file order; ``reject`` is :func:`.rejects.reject_sql`'s line, reason, column, file."""
    line, reasons, columns, file = reject
    store.execute(
        f"INSERT INTO rejects SELECT ?, {file}, {line}, {columns}, {reasons}, "
        f"s._raw FROM {BAD} AS s WHERE true{span} ORDER BY s._row",
        [report.import_id],
    )


def _exceptions(store: Store, ordered: str, failed: int, dups: int, dup: int) -> None:
    """List the rows failing a check and the later rows of repeated keys in ``BAD``.

    Both need the record numbers, so they read the file numbered, and only when there are
    some. Only the rows of keys in ``CHECK`` are compared: the first one wins.
    """
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {BAD} "
        "(_row BIGINT, _line BIGINT, _rej SMALLINT, _raw VARCHAR)"
    )
    if failed:
        store.execute(
            f"INSERT INTO {BAD} SELECT s._row, s._line, s._rej, s._raw FROM {ordered} "
            "WHERE s._rej IS NOT NULL"
        )
    if dups:
        store.execute(
            f"INSERT INTO {BAD} SELECT _row, _line, {dup}, _key FROM ("
            "SELECT s._row, s._line, s._key, min(s._row) OVER (PARTITION BY s._key) AS first "
            f"FROM {ordered} WHERE s._rej IS NULL "
            f"AND s._key IN (SELECT _k FROM {CHECK} WHERE gk = 0 AND _k IS NOT NULL)) "
            "WHERE _row > first"
        )


def _write_then_check(
    store: Store,
    spec: Kind,
    plan: StagePlan,
    source: readers.Source,
    report: ImportReport,
    types: list[str],
    links: bool,
) -> None:
    """A text file into an empty table: write first, then check what was written.

    Parsing and normalising the text is the dear part of a text import, so the file is read
    in full once: the good rows go straight into the table, in one transaction. A count of
    its records (no values parsed) then gives the rejected rows, and one aggregate over the
    key column of the rows just written finds the keys the file repeats. Only when there
    are rejected rows or repeated keys is the file read again, numbered, to list them; the
    repeated keys' rows are then taken out and each key's first row in the file put back.
    """
    ordered, fast = _relations(plan, source)
    dup = len(plan.checks) + 1
    key = f"{spec.table}.{spec.key}"
    with _unordered(store), store.atomic():
        start = int(store.scalar(f"SELECT coalesce(max(rowid), -1) + 1 FROM {spec.table}"))
        try:
            cur = store.execute(_insert_sql(store, spec, plan, fast))
            written = int((cur.fetchone() or (0,))[0])
            total = int(store.scalar(f"SELECT count(*) FROM {fast}"))
        except Exception as exc:  # duckdb's IO/conversion errors: the file cannot be read
            raise ImportFailed(f"Cannot read {source.path}: {exc}") from exc
        failed = total - written
        store.execute(
            f"CREATE OR REPLACE TEMP TABLE {CHECK} AS SELECT 0 AS gk, {key} AS _k "
            f"FROM {spec.table} WHERE rowid >= {start} GROUP BY {key} HAVING count(*) > 1"
        )
        dups = int(store.scalar(f"SELECT count(*) FROM {CHECK}"))
        _exceptions(store, ordered, failed, dups, dup)
        repeated = 0
        if dups:
            repeated = int(store.scalar(f"SELECT count(*) FROM {BAD} WHERE _rej = {dup}"))
            store.execute(
                f"DELETE FROM {spec.table} WHERE rowid >= {start} "
                f"AND {key} IN (SELECT _k FROM {CHECK})"
            )
            firsts = (
                f"{ordered} ANTI JOIN (SELECT _row FROM {BAD} WHERE _rej = {dup}) AS k "
                "ON k._row = s._row"
            )
            store.execute(
                _insert_sql(store, spec, plan, firsts) + f" AND s._key IN (SELECT _k FROM {CHECK})"
            )
        rejected = failed + repeated
        csv_bad = source.fmt == "csv" and readers.csv_has_errors(store)
        reject = reject_sql(store, source, plan, types, BAD, rejected, spec.key)
        if rejected:
            _record_rejects(store, report, reject)
        if csv_bad:
            record_csv_rejects(store, report, reject[3])
        loaded = written - repeated
        if links and loaded:
            _links_of_new_rows(store, spec, ordered, dup if dups else None, start)
            store.execute(LINK_VISITORS)
        record_loaded(store, report, loaded)
    report.rows_loaded += loaded
    report.rows_rejected = rejected + csv_reject_count(store, csv_bad, readers.CSV_ERRORS)
    report.rows_read = total - failed - repeated + report.rows_rejected
    report.rows_unchanged = 0


def whole_row_groups(batch_rows: int) -> int:
    """``batch_rows`` rounded to whole row groups once it is at least one.

    >>> whole_row_groups(500_000), whole_row_groups(20_000)
    (491520, 20000)
    """
    if batch_rows < ROW_GROUP:
        return batch_rows
    return max(1, round(batch_rows / ROW_GROUP)) * ROW_GROUP


def _id_column(plan: StagePlan, source: readers.Source) -> tuple[str, str] | None:
    """``(column, condition)`` when keys can be checked on the file's own id column: the
    column, quoted, and when a row has an id there (else its key is a content hash)."""
    if plan.key_column is None:
        return None
    col = readers.quote_ident(plan.key_column)
    present = f"{col} IS NOT NULL"
    if source.columns[plan.key_column] == "VARCHAR":
        present += f" AND {col} <> ''"  # an empty id is no id
    return col, present


def _check(
    store: Store,
    rows: str,
    total: str | None,
    relation: str,
    ids: tuple[str, str] | None,
    known: str | None = None,
) -> None:
    """The check pass: one aggregate (see the module docstring).

    Kept: the overall count, the count of rows failing a check (key NULL) and the keys seen
    more than once. When ``total`` (SQL) gives the row count, as Parquet's metadata does,
    the aggregate has a single grouping. With ``ids`` too (the key is the file's id column
    and every row has one), it reads that one column of ``relation``, over every row: the
    repeated ids are candidates, which the duplicates pass narrows to the good rows.
    ``known`` (SQL, a text file into a table with rows) also counts the good rows whose key
    is stored, in the same pass (see :func:`_small_beside` for when it is not).
    """
    picks = "CASE WHEN s._rej IS NULL THEN s._key END AS _k"
    if total is not None and ids is not None:
        col, present = ids
        failed, hashed = store.execute(
            f"SELECT (SELECT count(*) FROM {rows} WHERE s._rej IS NOT NULL), "
            f"(SELECT count(*) FROM ({relation}) WHERE NOT ({present}))"
        ).fetchone() or (0, 0)
        if not hashed:
            store.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {CHECK} AS
                SELECT 0 AS gk, CAST({col} AS VARCHAR) AS _k, count(*) AS n, 0 AS known
                FROM ({relation}) WHERE {present} GROUP BY {col} HAVING count(*) > 1
                UNION ALL SELECT 0, NULL, {int(failed)}, 0
                UNION ALL SELECT 1, NULL, {total}, 0
                """
            )
            return
    if total is not None:
        store.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {CHECK} AS
            SELECT 0 AS gk, _k, count(*) AS n, 0 AS known FROM (SELECT {picks} FROM {rows})
            GROUP BY _k HAVING _k IS NULL OR count(*) > 1
            UNION ALL SELECT 1, NULL, {total}, 0
            """
        )
        return
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {CHECK} AS SELECT * FROM (
            SELECT GROUPING(_k) AS gk, _k, count(*) AS n, count(*) FILTER (_known) AS known
            FROM (SELECT {picks}, {known or "false"} AS _known FROM {rows})
            GROUP BY GROUPING SETS ((_k), ())
        ) WHERE gk = 1 OR _k IS NULL OR n > 1
        """
    )


# A CSV or JSON Lines event takes at least this many bytes; fewer would over-estimate rows.
MIN_ROW_BYTES = 40


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


def _stored(spec: Kind) -> str:
    """A SEMI JOIN of the rows ``s`` to the table's stored keys.

    Not ``s._key IN (SELECT key FROM table)``: DuckDB builds that join's hash table on the
    whole table, where a SEMI JOIN builds it on the smaller side. A million-row file into a
    store of 50 million events took 3.1 s to check that way and 1.3 s this way.
    """
    return f" SEMI JOIN {spec.table} AS t ON t.{spec.key} = s._key"


def _links(store: Store, rows: str, dup: int | None) -> None:
    """Each linked visitor's first lead and the row it first shows in; later duplicates of
    a key never link anyone."""
    skip = ""
    if dup is not None:
        skip = f" ANTI JOIN (SELECT _row FROM {BAD} WHERE _rej = {dup}) AS d ON d._row = s._row"
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {LINKS} AS SELECT s.visitor_id AS _v, "
        "arg_min(s.lead_id, s._row) AS lead, min(s.ts) AS ts, min(s._row) AS first "
        f"FROM {rows}{skip} WHERE {LINK} GROUP BY s.visitor_id ORDER BY first"
    )


def _links_of_new_rows(store: Store, spec: Kind, rows: str, dup: int | None, start: int) -> None:
    """The links of a text file's one batch, read back from the rows it just added.

    Reading a few columns of the new rows is far cheaper than one more pass over the text.
    Rows the store already had linked their visitors when they were added. Only when a
    visitor names two leads does the file decide, in order: one numbered pass.
    """
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {LINKS} AS SELECT visitor_id AS _v, min(lead_id) AS lead, "
        "max(lead_id) AS other, min(ts) AS ts, NULL::BIGINT AS first "
        f"FROM {spec.table} WHERE rowid >= {start} AND visitor_id IS NOT NULL "
        "AND lead_id IS NOT NULL GROUP BY visitor_id"
    )
    if store.scalar(f"SELECT count(*) FROM {LINKS} WHERE lead <> other"):
        _links(store, rows, dup)


def _insert_sql(store: Store, spec: Kind, plan: StagePlan, rows: str) -> str:
    """The ``INSERT`` of the good rows of ``rows`` (which leaves out the ones to skip)."""
    table_cols = set(store.table_columns(spec.table))
    quoted = [readers.quote_ident(c) for c in plan.fields if c in table_cols]
    names = "".join(f", {q}" for q in quoted)
    picks = "".join(f", s.{q}" for q in quoted)
    return (
        f"INSERT INTO {spec.table} ({spec.key}{names}) SELECT s._key{picks} "
        f"FROM {rows} WHERE s._rej IS NULL"
    )


@contextlib.contextmanager
def _unordered(store: Store) -> Iterator[None]:
    """Let DuckDB insert in any order (appended rows have none), then restore the settings."""
    order, cache = store.execute(
        "SELECT current_setting('preserve_insertion_order'), "
        "current_setting('parquet_metadata_cache')"
    ).fetchone() or (True, False)
    # Every Parquet batch opens the file again: keep its footer in memory meanwhile.
    store.execute("SET preserve_insertion_order = false; SET parquet_metadata_cache = true")
    try:
        yield
    finally:
        store.execute(
            f"SET preserve_insertion_order = {bool(order)}; "
            f"SET parquet_metadata_cache = {bool(cache)}"
        )
