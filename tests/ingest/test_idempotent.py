"""Invariant 4: importing the same file twice changes nothing; a changed row is updated."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.ingest import import_file
from leadgate.store import Store

from .conftest import checksum, write


@pytest.mark.parametrize(
    ("name", "kind", "preset"),
    [
        ("hubspot_contacts.csv", "leads", "hubspot_contacts"),
        ("salesforce_leads.csv", "leads", "salesforce_leads"),
        ("accounts.csv", "accounts", None),
        ("events.csv", "events", None),
        ("events.jsonl", "events", None),
        ("intent.csv", "intent", None),
    ],
)
def test_second_import_changes_nothing(store, data, name, kind, preset):
    first = import_file(store, data / name, kind, preset=preset)
    before = checksum(store)
    second = import_file(store, data / name, kind, preset=preset)
    assert checksum(store) == before
    assert second.rows_loaded == 0
    assert second.rows_unchanged == first.rows_loaded
    assert second.rows_rejected == first.rows_rejected


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_format_is_idempotent_without_event_ids(store, tmp_path, fmt):
    src = write(
        tmp_path / "e.csv",
        "email,type,ts,url\na@x.io,page_view,2024-01-01 10:00,/a\n"
        "a@x.io,pricing_page,2024-01-01 10:05,/pricing\nb@x.io,page_view,2024-01-02 09:00,/a\n",
    )
    path = tmp_path / f"e.{fmt}"
    if fmt != "csv":
        option = "FORMAT parquet" if fmt == "parquet" else "FORMAT json"
        duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}')) TO '{path}' ({option})")
    assert import_file(store, path, "events").rows_loaded == 3
    before = checksum(store)
    assert import_file(store, path, "events").rows_unchanged == 3
    assert checksum(store) == before
    # The content hash does not depend on the format the same rows came in.
    other = tmp_path / "again.csv"
    other.write_text(src.read_text())
    assert import_file(store, other, "events").rows_loaded == 0


def test_reimport_updates_changed_attributes_and_keeps_known_values(store, tmp_path):
    write(
        tmp_path / "a.csv", "lead_id,email,title,country\nL1,a@x.io,Analyst,Spain\nL2,b@x.io,CTO,\n"
    )
    import_file(store, tmp_path / "a.csv", "leads", enrich=False)
    write(tmp_path / "b.csv", "lead_id,email,title,country\nL1,a@x.io,Manager,\nL2,b@x.io,CTO,\n")
    report = import_file(store, tmp_path / "b.csv", "leads", enrich=False)
    assert (report.rows_loaded, report.rows_unchanged) == (1, 1)
    assert store.query("SELECT lead_id, title, country FROM leads ORDER BY 1") == [
        {"lead_id": "L1", "title": "Manager", "country": "Spain"},  # a blank never erases
        {"lead_id": "L2", "title": "CTO", "country": None},
    ]


def test_lead_without_id_is_keyed_by_lower_case_email(store, tmp_path):
    write(tmp_path / "a.csv", "email,title\nAna@Acme.com,CTO\n")
    write(tmp_path / "b.csv", "Email Address,title\n ana@acme.COM ,CEO\n")
    import_file(store, tmp_path / "a.csv", "leads", enrich=False)
    import_file(store, tmp_path / "b.csv", "leads", enrich=False)
    rows = store.query("SELECT lead_id, email, title FROM leads")
    assert len(rows) == 1 and rows[0]["email"] == "ana@acme.com" and rows[0]["title"] == "CEO"
    assert rows[0]["lead_id"].startswith("e_")


ROWS = [
    ("L1", "a@x.io", "page_view", "2024-01-01 10:00"),
    ("L1", "a@x.io", "pricing_page", "2024-01-01 10:05"),
    ("L2", "b@x.io", "demo_request", "2024-01-02 09:00"),
    ("L3", "c@x.io", "page_view", "2024-01-03 11:30"),
]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(ROWS), min_size=1, max_size=12), st.randoms())
def test_any_permutation_or_duplication_gives_the_same_tables(tmp_path_factory, picks, rnd):
    """Importing the distinct rows once, or any shuffle with repeats, yields the same events."""
    folder = tmp_path_factory.mktemp("perm")
    distinct = sorted(set(picks))
    shuffled = list(picks)
    rnd.shuffle(shuffled)

    def load(rows, name):
        path = write(
            folder / name,
            "lead_id,email,type,ts\n" + "".join(f"{a},{b},{c},{d}\n" for a, b, c, d in rows),
        )
        with Store(":memory:") as s:
            report = import_file(s, path, "events")
            assert report.rows_rejected == len(rows) - len(set(rows))  # duplicates only
            return checksum(s, ("events",))

    assert load(shuffled, "shuffled.csv") == load(distinct, "distinct.csv")
