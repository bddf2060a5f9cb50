"""An import that cannot run says why with one stable code per reason; rejects can raise."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from leadgate.errors import IMPORT_FAILURES, ImportFailed, ImportRejected
from leadgate.ingest import import_file, load_mappings, parse_pairs
from leadgate.ingest.values import parse_value_pairs
from leadgate.store import Store

from .conftest import write

EVENTS = "lead_id,type,ts\nL1,page_view,2024-01-01\n"
LEADS = "email,stage\na@x.io,Marketing Qualified Lead\n"


def MQL_AS(word: str) -> dict[str, dict[str, str]]:  # noqa: N802 - reads like the constant
    return {"stage": {"Marketing Qualified Lead": word}}


MQL = MQL_AS("mql")


def corrupt_parquet(tmp_path: Path) -> Path:
    """A Parquet file whose footer reads but whose data pages do not."""
    path = tmp_path / "broken.parquet"
    duckdb.sql(
        "COPY (SELECT 'L' || i AS lead_id, 'page_view' AS type, TIMESTAMP '2024-01-01' AS ts, "
        f"md5(i::VARCHAR) AS url FROM range(1000) t(i)) TO '{path}' "
        "(FORMAT parquet, COMPRESSION uncompressed)"
    )
    data = bytearray(path.read_bytes())
    data[200 : len(data) // 2] = b"\xff" * (len(data) // 2 - 200)
    path.write_bytes(bytes(data))
    return path


def broken_gzip(tmp_path: Path) -> Path:
    """A gzipped CSV cut short, with junk where its end should be."""
    path = tmp_path / "e.csv.gz"
    path.write_bytes(gzip.compress(EVENTS.encode())[:-12] + b"junk!")
    return path


def events(store: Store, tmp_path: Path, **options):
    return import_file(store, write(tmp_path / "e.csv", EVENTS), "events", **options)


# (code, what to do with a store and a folder, words the message must hold)
CASES = [
    ("LG301", lambda s, t: import_file(s, t / "nope.csv", "events"), "No file"),
    ("LG302", lambda s, t: events(s, t, fmt="xml"), "Unknown format 'xml'"),
    ("LG302", lambda s, t: import_file(s, write(t / "e.dat", EVENTS), "events"), "--format"),
    ("LG303", lambda s, t: import_file(s, corrupt_parquet(t), "events"), "Cannot read"),
    (
        "LG303",
        lambda s, t: import_file(s, write(t / "e.parquet", "not parquet"), "events"),
        "Cannot read",
    ),
    ("LG303", lambda s, t: import_file(s, broken_gzip(t), "events"), "Cannot read"),
    ("LG303", lambda s, t: load_mappings(write(t / "m.toml", "[mappings\n")), "Cannot read"),
    (
        "LG304",
        lambda s, t: import_file(s, write(t / "e.csv", "lead_id,type\nL1,x\n"), "events"),
        "need a column for ts",
    ),
    ("LG305", lambda s, t: events(s, t, preset="hubspot"), "Unknown preset 'hubspot'"),
    ("LG305", lambda s, t: events(s, t, preset="hubspot_contacts"), "is for leads, not events"),
    ("LG306", lambda s, t: events(s, t, timezone="Europe/Berln"), "Did you mean 'Europe/Berlin'"),
    ("LG307", lambda s, t: import_file(s, write(t / "e.csv", EVENTS), "evnts"), "'events'"),
    ("LG308", lambda s, t: events(s, t, batch_rows=0), "batch_rows must be at least 1"),
    ("LG308", lambda s, t: parse_pairs(["email"]), "--map wants target=Source Column"),
    ("LG309", lambda s, t: import_file(s, write(t / "e.csv", ""), "events"), "is empty"),
    ("LG310", lambda s, t: events(s, t, mapping={"tss": "ts"}), "Did you mean 'ts'"),
    ("LG310", lambda s, t: events(s, t, mapping={"ts": "When"}), "which the file lacks"),
    ("LG310", lambda s, t: events(s, t, mapping={"ts": {"value": 1}}), "{const = ...}"),
    (
        "LG310",
        lambda s, t: load_mappings(write(t / "m.toml", "mappings = 3\n")),
        "must be a table of tables",
    ),
    ("LG308", lambda s, t: events(s, t, null_values="N/A"), "null_values must be a list"),
    (
        "LG311",
        lambda s, t: import_file(s, write(t / "e.csv", ",".join(map(str, range(3000)))), "leads"),
        "has 3,000 columns",
    ),
    ("LG320", lambda s, t: parse_value_pairs(["stage=mql"]), "--value wants FIELD:"),
    (
        "LG320",
        lambda s, t: import_file(s, write(t / "l.csv", LEADS), "leads", values=MQL_AS("hot")),
        "no stage leadgate knows",
    ),
    (
        "LG320",
        lambda s, t: import_file(s, write(t / "l.csv", "email\na@x.io\n"), "leads", values=MQL),
        "has no column to translate",
    ),
    (
        "LG312",
        lambda s, t: import_file(
            s,
            write(t / "l.csv", "email,created_at\na@x.io,13/01/2024\nb@x.io,01/13/2024\n"),
            "leads",
        ),
        "data row 1: '13/01/2024') and dates with the month first (data row 2: '01/13/2024')",
    ),
    (
        "LG313",
        lambda s, t: import_file(s, write(t / "e.csv", EVENTS), "events", date_format="%d/%Q"),
        "The date format '%d/%Q' for ts cannot be read",
    ),
]


@pytest.mark.parametrize(("code", "run", "words"), CASES)
def test_each_reason_has_its_code(store, tmp_path, code, run, words):
    with pytest.raises(ImportFailed) as caught:
        run(store, tmp_path)
    assert caught.value.code == code
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError)  # what callers catch already


def test_every_code_in_the_table_is_raised_somewhere():
    raised = {code for code, _, _ in CASES}
    assert raised == set(IMPORT_FAILURES) - {"LG399"}  # LG399: a caller that names no reason


def test_an_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError, match="not an import failure code"):
        ImportFailed("x", code="LG999")
    assert ImportFailed("x").code == "LG399"


def test_a_failed_import_leaves_the_store_as_it_was(store, tmp_path):
    with pytest.raises(ImportFailed):
        import_file(store, corrupt_parquet(tmp_path), "events")
    assert store.scalar("SELECT count(*) FROM events") == 0


def test_raise_for_rejects_raises_import_rejected_after_the_good_rows_land(store, tmp_path):
    clean = import_file(store, write(tmp_path / "ok.csv", EVENTS), "events")
    assert clean.raise_for_rejects() is clean
    path = write(
        tmp_path / "e.csv", "lead_id,type,ts\nL2,page_view,2024-01-02\nL3,page_view,never\n"
    )
    report = import_file(store, path, "events")
    with pytest.raises(ImportRejected) as caught:
        report.raise_for_rejects()
    assert caught.value.code == "LG300"
    assert caught.value.report is report
    assert f"{path}:3 ts: not a date or time (got 'never')" in str(caught.value)
    assert store.scalar("SELECT count(*) FROM events") == 2  # the good rows landed
