"""The check pass of an append import, and the passes that list its exceptions.

1. **Check.** One pass over the file into ``CHECK``: the keys of good rows seen more than
   once, the count of rows failing a check and the rows read. Only counts: finding the
   in-file duplicates among every key of the file is the price of this pass, so it works on
   ``_hash``, a 64-bit ``hash()`` of ``_same``'s parts (which compare like the key for less:
   see ``normalise._content``) rather than on the key: the repeated hashes are
   *candidates*. A ``hash()`` may differ between DuckDB versions, which does not matter
   within one pass. When the row count is known up front (Parquet) the repeats are found by
   sorting the hashes (:func:`repeats`), which costs half the CPU of a hash aggregate over
   50,000,000 distinct keys; a text file's pass also counts its rows and its stored keys, so
   it stays one aggregate.
2. **Exceptions.** Only when there are some: one scan lists the rows failing a check, one
   the later occurrences of repeated keys in ``BAD`` (the first occurrence wins, as
   ``_row`` is the record's position in the file). Only the candidates' rows are compared,
   on ``_same`` itself: two rows whose hashes merely collide are no duplicates.
"""

from __future__ import annotations

from typing import NamedTuple

from ..store import Store
from . import readers
from .append_job import BAD, CHECK, AppendJob

#: The aggregate's good rows, computed in the same pass: none.
NOTHING_KNOWN = "false"
#: What the check pass groups by: a good row's ``_hash`` (NULL for a failing row).
PICK = "CASE WHEN s._rej IS NULL THEN s._hash END AS _k"


class Counts(NamedTuple):
    """What the check pass found."""

    total: int  # rows read (records numbered 1..total)
    failed: int  # rows failing a check
    dups: int  # hashes of keys the good rows repeat: candidates (see list_exceptions)
    known: int  # good rows whose key is stored, when the pass counted them


def check(job: AppendJob, total: str | None, known: str = NOTHING_KNOWN) -> None:
    """The check pass over ``job``'s file, into ``CHECK``.

    When ``total`` (SQL) gives the row count, as Parquet's metadata does, the aggregate has
    a single grouping; with a typed id column too (see :func:`_check_ids`) it may read that
    one column only. ``known`` (SQL on ``s``, a text file into a table with rows) also counts
    the good rows whose key is stored, in the same pass.
    """
    if total is not None:
        if _check_ids(job, total):
            return
        job.store.execute(
            f"CREATE OR REPLACE TEMP TABLE {CHECK} AS "
            f"{repeats(f'SELECT {PICK} FROM {job.fast}')} UNION ALL SELECT 1, NULL, {total}, 0"
        )
        return
    job.store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {CHECK} AS SELECT * FROM (
            SELECT GROUPING(_k) AS gk, _k, count(*) AS n, count(*) FILTER (_known) AS known
            FROM (SELECT {PICK}, {known} AS _known FROM {job.fast})
            GROUP BY GROUPING SETS ((_k), ())
        ) WHERE gk = 1 OR _k IS NULL OR n > 1
        """
    )


def _check_ids(job: AppendJob, total: str) -> bool:
    """The check on a typed file's own id column alone, when every row has an id there.

    Then the key is that column as it stands, and only it is read, over every row: the
    repeated hashes of ids are candidates (a hash aggregate of 8-byte values, not of the
    ids' text), which :func:`list_exceptions` narrows to the good rows and exact keys.
    False (nothing done) when some row has no id (its key is a content hash).
    """
    ids = _id_column(job)
    if ids is None:
        return False
    col, present = ids
    relation = job.source.unordered
    failed, hashed = job.store.one(
        f"SELECT (SELECT count(*) FROM {job.fast} WHERE s._rej IS NOT NULL), "
        f"(SELECT count(*) FROM ({relation}) WHERE NOT ({present}))"
    ) or (0, 0)
    if hashed:
        return False
    keys = f"SELECT hash(CAST({col} AS VARCHAR)) AS _k FROM ({relation}) WHERE {present}"
    job.store.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHECK} AS {repeats(keys)} "
        f"UNION ALL SELECT 0, NULL, {int(failed)}, 0 UNION ALL SELECT 1, NULL, {total}, 0"
    )
    return True


def repeats(keys: str) -> str:
    """``CHECK``'s rows for ``keys`` (SQL with one column ``_k``, NULL for a failing row):
    one per key that repeats (``n``: its occurrences after the first) and one (``_k`` NULL)
    counting the failing rows.

    Sorting the keys and comparing each with the one before it finds the repeats with half
    the CPU of a ``GROUP BY _k`` when nearly every key is distinct, as in an import: the
    sort moves 8-byte keys, where the aggregate builds a hash table of all of them.
    """
    return (
        "SELECT 0 AS gk, _k, count(*) AS n, 0 AS known FROM ("
        f"SELECT _k, lag(_k) OVER (ORDER BY _k) AS _p FROM ({keys})"
        ") WHERE _k IS NULL OR _k = _p GROUP BY _k"
    )


def _id_column(job: AppendJob) -> tuple[str, str] | None:
    """``(column, condition)`` when keys can be checked on the file's own id column: the
    column, quoted, and when a row has an id there (else its key is a content hash)."""
    if job.plan.key_column is None:
        return None
    col = readers.quote_ident(job.plan.key_column)
    present = f"{col} IS NOT NULL"
    if job.source.columns[job.plan.key_column] == "VARCHAR":
        present += f" AND {col} <> ''"  # an empty id is no id
    return col, present


def read_counts(store: Store) -> Counts:
    """The counts the check pass left in ``CHECK``."""
    total, failed, dups, known = store.one(
        "SELECT coalesce(sum(n) FILTER (gk = 1), 0), "
        "coalesce(sum(n) FILTER (gk = 0 AND _k IS NULL), 0), "
        "count(*) FILTER (gk = 0 AND _k IS NOT NULL), "
        f"coalesce(sum(known) FILTER (gk = 1), 0) FROM {CHECK}"
    ) or (0, 0, 0, 0)
    return Counts(int(total), int(failed), int(dups), int(known))


def list_exceptions(
    job: AppendJob, failed: int, dups: int, same: str = "s._same", hashed: bool = True
) -> None:
    """List the rows failing a check and the later rows of repeated keys in ``BAD``.

    Both need the record numbers, so they read the file numbered, and only when there are
    some. Only the rows whose ``same`` (what compares like the key: ``s._same``, or
    ``s._key`` itself), or its ``s._hash`` when ``hashed``, is in ``CHECK`` are compared,
    on ``same``: the first one wins.
    """
    job.store.execute(
        f"CREATE OR REPLACE TEMP TABLE {BAD} "
        "(_row BIGINT, _line BIGINT, _rej SMALLINT, _raw VARCHAR)"
    )
    if failed:
        job.store.execute(
            f"INSERT INTO {BAD} SELECT s._row, s._line, s._rej, s._raw FROM {job.ordered} "
            "WHERE s._rej IS NOT NULL"
        )
    if dups:
        # The key (the reject's raw value) is worked out from _same for these rows alone:
        # asking for s._key would compute its md5 for every row of the file.
        candidate, key = ("s._hash", job.plan.key_of_same) if hashed else (same, "_same")
        job.store.execute(
            f"INSERT INTO {BAD} SELECT _row, _line, {job.dup}, {key} FROM ("
            f"SELECT s._row, s._line, {same} AS _same, "
            f"min(s._row) OVER (PARTITION BY {same}) AS first FROM {job.ordered} "
            f"WHERE s._rej IS NULL AND {candidate} IN "
            f"(SELECT _k FROM {CHECK} WHERE gk = 0 AND _k IS NOT NULL)) WHERE _row > first"
        )


def repeated_rows(store: Store, dup: int) -> int:
    """How many rows ``BAD`` lists as later occurrences of a repeated key."""
    return int(store.scalar(f"SELECT count(*) FROM {BAD} WHERE _rej = {dup}"))
