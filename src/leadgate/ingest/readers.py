"""Open a CSV, JSON Lines or Parquet file as a DuckDB relation, never as Python rows.

Every reader yields the same shape: ``_row`` (the record's ordinal, the unit of a batch),
``_line`` (its real 1-based line when the reader knows it, else NULL), ``_malformed`` (the raw
text of a record that could not be read, else NULL) and the file's own columns.

* CSV is read with ``all_varchar`` so that typing is ours (a bad value becomes a reject, not
  a failed import) and with ``store_rejects`` so that ragged rows and broken quoting are
  reported with their line instead of stopping the read.
* JSON Lines is read as *text lines* and parsed with DuckDB's JSON functions: that keeps the
  real line number of every record and lets a malformed line be rejected on its own, which
  ``read_json`` cannot do.
* Parquet keeps its types; ``_row`` and ``_line`` are the 1-based row number in the file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import (
    EMPTY_FILE,
    NO_SUCH_FILE,
    TOO_MANY_COLUMNS,
    UNKNOWN_FORMAT,
    UNREADABLE_FILE,
    ImportFailed,
)
from ..store import Store
from .report_footer import Footer, find_footer

FORMATS = ("csv", "jsonl", "parquet")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
CSV_ERRORS = "_lg_csv_errors"
# The most columns a file may have. Every column is typed, checked and stored per row;
# a wider file is refused before it is read (DuckDB's own limits and the planning of one
# statement over thousands of columns make it slow long before they are reached).
MAX_COLUMNS = 2_000
# How much of a text file is looked at to tell it from a binary one (see check_text).
SNIFF_BYTES = 8192
CSV_SCANS = "_lg_csv_scans"
# The first line of the CSV's report footer, when it has one (see .report_footer): the
# reader's errors from that line on are the footer's lines, not rejects.
CSV_FOOTER = "_lg_csv_footer"


def quote_ident(name: str) -> str:
    """``name`` as a double-quoted SQL identifier.

    >>> quote_ident('Country/Region')
    '"Country/Region"'
    """
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """``value`` as a single-quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """The file's format from ``fmt`` or its extension (``.csv.gz`` counts as ``.csv``).

    >>> detect_format("leads.csv.gz"), detect_format("e.ndjson"), detect_format("x.dat", "csv")
    ('csv', 'jsonl', 'csv')
    """
    if fmt is not None:
        fmt = {"json": "jsonl", "ndjson": "jsonl"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise ImportFailed(
                f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.", code=UNKNOWN_FORMAT
            )
        return fmt
    suffixes = [s.lower() for s in Path(path).suffixes if s.lower() not in (".gz", ".zst")]
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    raise ImportFailed(
        f"Cannot tell the format of {path} from its name; pass --format csv|jsonl|parquet.",
        code=UNKNOWN_FORMAT,
    )


@dataclass
class Source:
    """One file, opened as a relation (``relation`` is SQL for a subquery)."""

    path: Path
    fmt: str
    relation: str
    columns: dict[str, str] = field(default_factory=dict)  # file column → DuckDB type
    # The same records without ``_row`` (NULL) when numbering them costs parallelism: a CSV's
    # ``row_number() OVER ()`` runs everything above it on one thread. Else ``relation``.
    unordered: str = ""
    footer: Footer | None = None  # a Salesforce report's footer, left out

    def __post_init__(self) -> None:
        self.unordered = self.unordered or self.relation

    @property
    def text(self) -> bool:
        """Whether values arrive as text (CSV, JSON Lines) and want trimming and casting."""
        return self.fmt != "parquet"


def open_source(store: Store, path: str | Path, fmt: str | None = None) -> Source:
    """Open ``path`` for reading; only the schema is read now."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"No file {path}; check the path.", code=NO_SUCH_FILE)
    fmt = detect_format(path, fmt)
    if fmt != "parquet":
        with reading(path):
            check_text(path, fmt)
    lit = quote_literal(str(path))
    if fmt == "csv":
        with reading(path):
            delim, header = read_header(path)
        if not header:
            raise ImportFailed(f"{path} is empty; a CSV needs a header line.", code=EMPTY_FILE)
        # No sniffing: DuckDB's sniffer guesses from a sample and is thrown by the very
        # malformed lines we want to report. Every column is text; typing is ours.
        spec = ", ".join(f"{quote_literal(h)}: 'VARCHAR'" for h in header)
        reader = (
            f"read_csv({lit}, columns={{{spec}}}, header=true, auto_detect=false, "
            f"delim={quote_literal(delim)}, quote='\"', escape='\"', "
            f"store_rejects=true, rejects_table='{CSV_ERRORS}', rejects_scan='{CSV_SCANS}', "
            "max_line_size=10000000)"
        )
        relation = (
            "SELECT row_number() OVER () AS _row, NULL::BIGINT AS _line, "
            f"NULL::VARCHAR AS _malformed, * FROM {reader}"
        )
        unordered = (
            "SELECT NULL::BIGINT AS _row, NULL::BIGINT AS _line, "
            f"NULL::VARCHAR AS _malformed, * FROM {reader}"
        )
        columns = dict.fromkeys(header, "VARCHAR")
        footer = _footer(store, path, len(header))
        return _checked(Source(path, fmt, relation, columns, unordered, footer))
    if fmt == "parquet":
        reader = f"read_parquet({lit}, file_row_number=true)"
        columns = _describe(store, f"SELECT * EXCLUDE (file_row_number) FROM {reader}", path)
        relation = (
            "SELECT file_row_number + 1 AS _row, file_row_number + 1 AS _line, "
            f"NULL::VARCHAR AS _malformed, * EXCLUDE (file_row_number) FROM {reader}"
        )
    else:
        lines = (
            "SELECT row_number() OVER () AS _row, j, "
            "CASE WHEN json_valid(j) AND json_type(j) = 'OBJECT' THEN j::JSON END AS o "
            f"FROM read_csv({lit}, columns={{'j': 'VARCHAR'}}, header=false, delim='\\x01', "
            "quote='', escape='', auto_detect=false, max_line_size=10000000)"
        )
        with reading(path):
            keys = store.execute(
                f"SELECT k FROM (SELECT unnest(json_keys(o)) AS k, _row FROM ({lines}) "
                "WHERE o IS NOT NULL) GROUP BY k ORDER BY min(_row), k"
            ).fetchall()
        columns = {k: "VARCHAR" for (k,) in keys}
        picks = "".join(
            f", o->>{quote_literal('$.' + quote_ident(k))} AS {quote_ident(k)}" for k in columns
        )
        relation = (
            "SELECT _row, _row AS _line, "
            "CASE WHEN o IS NULL THEN j END AS _malformed"
            f"{picks} FROM ({lines}) WHERE j IS NOT NULL AND trim(j) <> ''"
        )
    return _checked(Source(path, fmt, relation, columns))


def _footer(store: Store, path: Path, width: int) -> Footer | None:
    """The CSV's report footer, if it ends with one, noted for :func:`csv_errors_sql`.

    A file of one column is not looked at: its footer lines would be records, not errors.
    """
    with reading(path):
        footer = find_footer(path) if width > 1 else None
    first = footer.blank if footer else "NULL"
    store.execute(f"CREATE OR REPLACE TEMP TABLE {CSV_FOOTER} AS SELECT {first}::BIGINT AS line")
    return footer


def not_footer() -> str:
    """SQL: an error of :data:`CSV_ERRORS` on a ``line`` before the report footer."""
    return f"line < coalesce((SELECT max(line) FROM temp.{CSV_FOOTER}), 9223372036854775807)"


def _checked(source: Source) -> Source:
    """``source``, unless it has more than :data:`MAX_COLUMNS` columns."""
    if len(source.columns) > MAX_COLUMNS:
        raise ImportFailed(
            f"{source.path} has {len(source.columns):,} columns; an import takes at most "
            f"{MAX_COLUMNS:,}. Export only the columns you need (or split the file by "
            "columns, each part with the id or email).",
            code=TOO_MANY_COLUMNS,
        )
    return source


def check_text(path: Path, fmt: str) -> None:
    """Refuse a file that is not text before its bytes become strange column names.

    Its first :data:`SNIFF_BYTES` (decompressed when gzip'd) must be UTF-8 without a NUL
    byte; a workbook or zip archive (the ``PK`` signature) is told to be exported as CSV.
    """
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    what = "a text CSV" if fmt == "csv" else "a text JSON Lines file"
    if head.startswith(b"PK\x03\x04"):
        raise ImportFailed(
            f"{path} is not {what}: it is an Excel workbook or a zip archive. "
            "Export the sheet as CSV (UTF-8) first, or unzip it.",
            code=UNREADABLE_FILE,
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        hint = " It is UTF-16 text: save it as UTF-8."
    else:
        hint = " Export it as CSV (UTF-8) or JSON Lines."
    try:
        # An incremental decoder: a character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        binary = b"\x00" in head
    except UnicodeDecodeError:
        binary = True
    if binary:
        raise ImportFailed(
            f"{path} is not {what}: its first bytes are binary (not UTF-8 text).{hint}",
            code=UNREADABLE_FILE,
        )


def parquet_rows_sql(path: Path) -> str:
    """SQL for a Parquet file's row count, read from its metadata (no row is read)."""
    return f"(SELECT sum(num_rows)::BIGINT FROM parquet_file_metadata({quote_literal(str(path))}))"


def read_header(path: Path) -> tuple[str, list[str]]:
    """A CSV's delimiter (the most frequent of , ; tab | in its first line) and header.

    Blank or repeated header names are made unique (``column_2``) so that every column can
    be named in SQL.
    """
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as handle:
        first = handle.readline()
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    names: list[str] = []
    for raw in next(csv.reader([first.rstrip("\r\n")], delimiter=delim), []):
        name = raw.strip() or "column"
        base, n = name, 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return delim, names


def _describe(store: Store, sql: str, path: Path) -> dict[str, str]:
    with reading(path):
        rows = store.execute(f"DESCRIBE {sql}").fetchall()
    return {r[0]: r[1] for r in rows}


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn the errors of reading ``path`` (DuckDB's IO and conversion errors, a broken
    gzip stream) into :class:`ImportFailed` ``LG303``."""
    try:
        yield
    except ImportFailed:
        raise
    except Exception as exc:  # duckdb raises many kinds; all mean "cannot read this file"
        raise ImportFailed(f"Cannot read {path}: {exc}", code=UNREADABLE_FILE) from exc


def clear_csv_errors(store: Store) -> None:
    """Forget the malformed lines of earlier scans in this connection."""
    store.execute(f"DROP TABLE IF EXISTS temp.{CSV_ERRORS}")
    store.execute(f"DROP TABLE IF EXISTS temp.{CSV_SCANS}")


def csv_errors_sql() -> str:
    """Malformed CSV lines of the last scan as (line, column_name, reason, raw), one per line."""
    return (
        "SELECT line, min(column_name) AS column_name, "
        "string_agg(DISTINCT lower(error_type) || ': ' || error_message, '; ') AS reason, "
        f"min(csv_line) AS raw FROM temp.{CSV_ERRORS} WHERE {not_footer()} GROUP BY line"
    )


def csv_has_errors(store: Store) -> bool:
    exists = store.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [CSV_ERRORS]
    )
    if not exists:
        return False
    return bool(store.scalar(f"SELECT count(*) FROM temp.{CSV_ERRORS} WHERE {not_footer()}"))


def csv_line_numbers(store: Store, source: Source, table: str) -> None:
    """Create ``table(_row, line)``: the real line each parsed CSV record starts on.

    DuckDB numbers only the records it parsed; blank lines, quoted line breaks and the
    malformed lines it set aside all shift the file's line numbers. So the file is read once
    more as plain lines, a line starts a record when an even number of quote characters
    precede it (quotes escaped by doubling come in pairs), and parsed record *k* is the
    *k*-th such line after the header that DuckDB did not reject. Only called when some
    row is rejected, so clean imports never pay for it.
    """
    lit = quote_literal(str(source.path))
    # NOT IN over a set holding NULL is never true, so "no errors" is an empty set.
    bad = f"SELECT line FROM temp.{CSV_ERRORS}" if csv_has_errors(store) else "SELECT -1"
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        WITH l AS (
            SELECT row_number() OVER () AS line, t
            FROM read_csv({lit}, columns={{'t': 'VARCHAR'}}, header=false, delim='\\x01',
                          quote='', escape='', auto_detect=false, max_line_size=10000000)
        ), q AS (
            SELECT line, t, coalesce(sum(length(t) - length(replace(t, '"', '')))
                   OVER (ORDER BY line ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                   % 2 AS inside
            FROM l
        ), header AS (SELECT min(line) AS h FROM q WHERE t IS NOT NULL AND trim(t) <> '')
        SELECT row_number() OVER (ORDER BY line) AS _row, line
        FROM q, header
        WHERE inside = 0 AND t IS NOT NULL AND trim(t) <> '' AND line > h
          AND line NOT IN ({bad})
        """
    )
