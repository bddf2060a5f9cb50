"""Every write path of an append import ends where a plain reference does, and stays there.

A generated case is a format (CSV, JSON Lines, Parquet) × a store (empty, or holding part
of the file) × a batch size (one batch, many) × a file (clean, with repeated keys, with
rejects, or both), with or without an id column. The reference is computed here, apart from
leadgate: the file's good rows (the test knows which ones it spoilt), the first occurrence of
each key, ``INSERT ... ANTI JOIN`` the rows already there.
"""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.ingest import append, import_file
from leadgate.ingest.append import WritePath, choose_path
from leadgate.ingest.kinds import kind_named
from leadgate.ingest.readers import open_source
from leadgate.store import Store

from .conftest import as_format, checksum

LEADS = ["L1", "L2", "L3"]
TYPES = ["page_view", "pricing_page", "demo_request"]
TIMES = ["2024-01-01 10:00:00", "2024-01-02 11:30:00", "2024-02-29 23:59:59"]
URLS = ["/a", "/b", ""]
# One way to spoil each field a row needs: an unknown type, a bad time, no lead at all.
SPOIL = {"type": "pricng_page", "ts": "never", "lead_id": ""}
FIELDS = ("event_id", "lead_id", "type", "ts", "url")

Row = dict[str, str]
good_rows = st.fixed_dictionaries(
    {
        "lead_id": st.sampled_from(LEADS),
        "type": st.sampled_from(TYPES),
        "ts": st.sampled_from(TIMES),
        "url": st.sampled_from(URLS),
    }
)


@st.composite
def event_files(draw: st.DrawFn) -> tuple[bool, list[tuple[Row, bool]]]:
    """``(ids, rows)``: whether the file has an ``event_id`` column, and its rows in order,
    each with whether it is good. An empty id means the row is keyed by its content."""
    ids = draw(st.booleans())
    rows: list[tuple[Row, bool]] = []
    for n, row in enumerate(draw(st.lists(good_rows, min_size=1, max_size=7))):
        given_id = draw(st.sampled_from([f"e{n}", f"e{n}", ""])) if ids else ""
        rows.append(({**row, "event_id": given_id}, True))
    if draw(st.booleans()):  # repeated keys: a later row with an earlier row's key
        for _ in range(draw(st.integers(1, 3))):
            earlier, _ = rows[draw(st.integers(0, len(rows) - 1))]
            again = dict(earlier)
            if earlier["event_id"]:  # the same id may come with other content
                again.update(draw(good_rows))
            rows.insert(draw(st.integers(0, len(rows))), (again, True))
    if draw(st.booleans()):  # rejects: a row with one field spoilt
        for _ in range(draw(st.integers(1, 3))):
            spoilt = dict(draw(st.sampled_from(rows))[0])
            name = draw(st.sampled_from(sorted(SPOIL)))
            spoilt[name] = SPOIL[name]
            rows.insert(draw(st.integers(0, len(rows))), (spoilt, False))
    return ids, rows


def key(row: Row) -> str:
    """The reference's key: the id, else the content (leadgate hashes the same fields)."""
    if row["event_id"]:
        return "id:" + row["event_id"]
    return "content:" + "|".join(row[f] for f in ("lead_id", "type", "ts", "url"))


class Reference:
    """The events table as plain SQL says it must be: first good occurrence, anti-joined."""

    def __init__(self) -> None:
        self.db = duckdb.connect()
        self.db.execute(
            f"CREATE TABLE ref (k VARCHAR, {', '.join(f'{f} VARCHAR' for f in FIELDS)})"
        )

    def load(self, rows: list[tuple[Row, bool]]) -> int:
        """Import ``rows``; return how many rows were added."""
        cols = ", ".join(f"{f} VARCHAR" for f in FIELDS)
        self.db.execute(f"CREATE OR REPLACE TEMP TABLE f (n INT, good BOOLEAN, k VARCHAR, {cols})")
        self.db.executemany(
            "INSERT INTO f VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (n, good, key(r), *(r[f] or None for f in FIELDS))
                for n, (r, good) in enumerate(rows)
            ],
        )
        before = self.count()
        self.db.execute(
            f"INSERT INTO ref SELECT f.k, {', '.join(f'f.{f}' for f in FIELDS)} FROM ("
            "SELECT * FROM f WHERE good QUALIFY row_number() OVER (PARTITION BY k ORDER BY n) = 1"
            ") AS f ANTI JOIN ref ON ref.k = f.k"
        )
        return self.count() - before

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM ref").fetchone()[0])  # type: ignore[index]

    def contents(self) -> list[tuple[str | None, ...]]:
        return sorted(self.db.execute(f"SELECT {', '.join(FIELDS)} FROM ref").fetchall(), key=str)


def rejected_rows(rows: list[tuple[Row, bool]]) -> list[int]:
    """The positions of the spoilt rows and of the later occurrences of a good row's key."""
    seen: set[str] = set()
    out = []
    for n, (row, good) in enumerate(rows):
        if not good or key(row) in seen:
            out.append(n)
        if good:
            seen.add(key(row))
    return out


def stored_contents(store: Store) -> list[tuple[str | None, ...]]:
    """The events as the reference writes them: a content hash (32 hex digits) is no id."""
    rows = store.execute(
        "SELECT CASE WHEN length(event_id) = 32 THEN NULL ELSE event_id END, lead_id, type, "
        "CAST(ts AS VARCHAR), url FROM events"
    ).fetchall()
    return sorted(rows, key=str)


def as_file(folder: Path, name: str, fmt: str, ids: bool, rows: list[tuple[Row, bool]]) -> Path:
    names = FIELDS if ids else FIELDS[1:]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([r[f] for f in names] for r, _ in rows)
    return as_format(folder, out.getvalue(), fmt, name)


@contextmanager
def file_looks(small: bool):
    """Make a text file look small beside the table (or large): both ways of finding its
    stored keys are then taken, on files of a few rows."""
    saved = append.MIN_ROW_BYTES
    append.MIN_ROW_BYTES = 10**9 if small else 1  # the threshold only: the paths run for real
    try:
        yield
    finally:
        append.MIN_ROW_BYTES = saved


def expected_path(fmt: str, stored: bool, small: bool) -> WritePath:
    if fmt == "parquet":
        return WritePath.PARQUET_INTO_STORED if stored else WritePath.PARQUET_INTO_EMPTY
    if not stored:
        return WritePath.WRITE_THEN_CHECK
    return WritePath.TEXT_KNOWN_BY_SEMI_JOIN if small else WritePath.TEXT_KNOWN_IN_CHECK


@settings(max_examples=50, deadline=None)
@given(
    fmt=st.sampled_from(["csv", "jsonl", "parquet"]),
    case=event_files(),
    part=st.none() | st.lists(st.booleans(), min_size=13, max_size=13),
    batch_rows=st.sampled_from([1, 2, 500_000]),
    small=st.booleans(),
)
def test_every_path_ends_where_the_reference_does(
    tmp_path_factory, fmt, case, part, batch_rows, small
):
    ids, rows = case
    folder = tmp_path_factory.mktemp("paths")
    reference = Reference()
    with Store(":memory:") as store, file_looks(small):
        if part is not None:  # the store holds part of the file already
            some = [row for row, keep in zip(rows, part, strict=False) if keep] or rows[:1]
            import_file(store, as_file(folder, "part", fmt, ids, some), "events")
            reference.load(some)
            assert stored_contents(store) == reference.contents()
        path = as_file(folder, "e", fmt, ids, rows)
        source = open_source(store, path)
        chosen = choose_path(store, kind_named("events"), source)
        assert chosen == expected_path(fmt, reference.count() > 0, small)

        report = import_file(store, path, "events", batch_rows=batch_rows)
        added = reference.load(rows)
        assert stored_contents(store) == reference.contents(), chosen
        assert (report.rows_read, report.rows_loaded) == (len(rows), added)
        assert report.rows_loaded + report.rows_unchanged + report.rows_rejected == len(rows)
        first = 2 if fmt == "csv" else 1  # a CSV's header is line 1; else the row number
        rejected = store.execute(
            "SELECT line FROM rejects WHERE import_id = ? ORDER BY line", [report.import_id]
        ).fetchall()
        assert [line for (line,) in rejected] == [n + first for n in rejected_rows(rows)]
        # A repeated key's reject shows the key, the one its first row is stored under.
        assert store.execute(
            "SELECT count(*) FROM rejects WHERE import_id = ? AND reason LIKE 'duplicate key%' "
            "AND raw NOT IN (SELECT event_id FROM events)",
            [report.import_id],
        ).fetchone() == (0,)

        before = checksum(store)
        again = import_file(store, path, "events", batch_rows=batch_rows)
        assert checksum(store) == before
        assert (again.rows_loaded, again.rows_rejected) == (0, report.rows_rejected)
