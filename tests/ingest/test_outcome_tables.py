"""Outcomes from a lead table: a 0/1, true/false, yes/no or Won/Lost column and no outcome
date import as outcomes in one call, and the report counts each outcome (issue #8, defect 4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from leadgate.errors import ImportFailed
from leadgate.ingest import import_file
from leadgate.store import Store

from .conftest import checksum, write

REPO = Path(__file__).resolve().parents[2]
BANK = REPO.parent / "shared" / "data" / "uci_bank_marketing" / "bank-additional-full.csv"
LEAD_TABLE = REPO / "tests" / "data" / "ingest" / "lead_table.csv"


def _keyed_bank(tmp_path: Path) -> Path:
    """The UCI file as it is (';', quotes, CRLF) with a contact id in front of each row: the
    set has no id of its own, and an outcome must name its lead."""
    path = tmp_path / "bank.csv"
    with BANK.open("rb") as src, path.open("wb") as out:
        for n, line in enumerate(src):
            out.write((b'"contact_id";' if n == 0 else f"{n};".encode()) + line)
    return path


@pytest.mark.skipif(not BANK.is_file(), reason=f"UCI bank marketing data not found in {BANK}")
def test_the_uci_bank_marketing_table_imports_as_outcomes_in_one_call(store, tmp_path):
    path = _keyed_bank(tmp_path)
    leads = import_file(store, path, "leads", enrich=False)
    assert (leads.rows_loaded, leads.rows_rejected) == (41_188, 0)
    y = {"mapping": {"outcome": "y"}, "outcome_time": "2010-11-30"}
    report = import_file(store, path, "outcomes", **y)
    # The figures of shared/data/README.md: 41,188 contacts, y = yes for 11.27 %.
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (41_188, 41_188, 0)
    assert report.outcomes == {"won": 4_640, "lost": 36_548}
    assert report.as_dict()["outcomes"] == {"won": 4_640, "lost": 36_548}
    assert round(100 * 4_640 / 41_188, 2) == 11.27
    stored = store.execute(
        "SELECT outcome, count(*), min(ts), max(ts), count(l.lead_id) FROM outcomes "
        "LEFT JOIN leads AS l USING (lead_id) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    when = dt.datetime(2010, 11, 30)
    assert stored == [("lost", 36_548, when, when, 36_548), ("won", 4_640, when, when, 4_640)]
    # The lead table's own word stays on the lead.
    assert store.scalar("SELECT count(*) FROM leads WHERE y = 'yes'") == 4_640
    before = checksum(store)
    again = import_file(store, path, "outcomes", **y)
    assert (again.rows_loaded, again.rows_unchanged, again.outcomes) == (0, 41_188, {})
    assert checksum(store) == before


@pytest.mark.parametrize(
    ("yes", "no"),
    [("1", "0"), ("true", "false"), ("Yes", "No"), ("Won", "Lost"), ("Closed Won", "closed lost")],
)
def test_each_usual_spelling_of_an_outcome_column_imports(store, tmp_path, yes, no):
    cells = [yes, no, no, "", yes.upper(), no]
    rows = "".join(f"L{i},{c}\n" for i, c in enumerate(cells))
    path = write(tmp_path / "t.csv", "Lead ID,Converted\n" + rows)
    report = import_file(
        store, path, "outcomes", mapping={"outcome": "Converted"}, outcome_time="2025-06-30"
    )
    assert report.outcomes == {"won": 2, "lost": 3}
    # A blank outcome is no outcome: rejected, never guessed.
    [reject] = report.rejects
    assert (reject.line, reject.column, reject.reason) == (5, "outcome", "missing outcome")
    assert store.execute("SELECT lead_id, outcome FROM outcomes ORDER BY 1").fetchall() == [
        ("L0", "won"),
        ("L1", "lost"),
        ("L2", "lost"),
        ("L4", "won"),
        ("L5", "lost"),
    ]


@pytest.mark.parametrize("sql_type", ["BOOLEAN", "INTEGER"])
def test_a_typed_parquet_outcome_column_imports(store, tmp_path, sql_type):
    path = tmp_path / "t.parquet"
    duckdb.sql(
        f"COPY (SELECT 'L' || i AS lead_id, CAST(i % 3 = 0 AS {sql_type}) AS converted "
        f"FROM range(9) t(i)) TO '{path}' (FORMAT parquet)"
    )
    report = import_file(
        store, path, "outcomes", mapping={"outcome": "converted"}, outcome_time="2025-06-30"
    )
    assert report.outcomes == {"won": 3, "lost": 6}


def test_the_sample_lead_table_with_its_own_map_and_a_time_zone(store):
    values = {"outcome": {"1": "sql", "0": "rejected"}}  # the import's map replaces the default
    report = import_file(
        store,
        LEAD_TABLE,
        "outcomes",
        mapping={"outcome": "Converted"},
        values=values,
        outcome_time="2025-06-30",
        timezone="Europe/Berlin",
    )
    assert (report.rows_loaded, report.rows_rejected) == (8, 0)
    assert report.outcomes == {"rejected": 5, "sql": 3}
    # A stated time is read in the import's zone, like any cell: midnight in Berlin (CEST).
    assert store.scalar("SELECT DISTINCT ts FROM outcomes") == dt.datetime(2025, 6, 29, 22)


def test_the_outcome_time_may_come_from_another_column(store):
    report = import_file(
        store, LEAD_TABLE, "outcomes", mapping={"outcome": "Converted", "ts": "Signed Up"}
    )
    assert report.outcomes == {"won": 3, "lost": 5}
    assert store.execute(
        "SELECT lead_id, ts FROM outcomes WHERE outcome = 'won' ORDER BY 1"
    ).fetchall() == [
        ("LT-001", dt.datetime(2025, 3, 2)),
        ("LT-003", dt.datetime(2025, 3, 7)),
        ("LT-007", dt.datetime(2025, 3, 15)),
    ]


@pytest.mark.parametrize(
    ("kind", "mapping", "stated", "code", "message"),
    [
        ("leads", {}, {"outcome_time": "2025-06-30"}, "LG308",
         "--outcome-time is for outcomes, not leads"),
        ("outcomes", {"outcome": "Converted"}, {"outcome_time": "30/06/2025"}, "LG308",
         "is not a date or time"),
        ("outcomes", {"outcome": "Converted", "ts": "Signed Up"},
         {"outcome_time": "2025-06-30"}, "LG310", "both"),
        ("leads", {}, {"outcome": "won"}, "LG308", "--outcome is for outcomes, not leads"),
        ("outcomes", {"ts": "Signed Up"}, {"outcome": "closed"}, "LG308",
         "'closed' is not an outcome"),
        ("outcomes", {"outcome": "Converted", "ts": "Signed Up"}, {"outcome": "won"}, "LG310",
         "not both"),
    ],
)  # fmt: skip
def test_a_bad_stated_time_or_outcome_fails_before_touching_the_store(
    tmp_path, kind, mapping, stated, code, message
):
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(ImportFailed, match=message) as caught:
            import_file(store, LEAD_TABLE, kind, mapping=mapping, enrich=False, **stated)
        assert caught.value.code == code
        assert store.scalar("SELECT count(*) FROM imports") == 0


def test_a_value_the_outcome_map_lacks_is_a_reject_that_lists_the_map(store, tmp_path):
    path = write(tmp_path / "t.csv", "Lead ID,Converted\nL1,1\nL2,maybe\n")
    report = import_file(
        store, path, "outcomes", mapping={"outcome": "Converted"}, outcome_time="2025-06-30"
    )
    [reject] = report.rejects
    assert (reject.line, reject.column, reject.raw) == (3, "outcome", "maybe")
    assert "not a value the map of outcome knows ('accepted', 'rejected'" in reject.reason
    assert "'1', '0', 'true', 'false', 'yes', 'no', 'closed won', 'closed lost')" in reject.reason


def test_a_stated_outcome_is_every_rows(store):
    report = import_file(store, LEAD_TABLE, "outcomes", mapping={"ts": "Signed Up"}, outcome="Won")
    assert report.outcomes == {"won": 8} and report.rows_rejected == 0
