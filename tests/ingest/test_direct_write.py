"""Events are written straight from the file: every format and batch size gives one answer."""

from __future__ import annotations

import datetime as dt

import pytest

from leadgate.ingest import import_file

from .conftest import as_format, checksum, write

HEADER = "event_id,lead_id,visitor_id,type,ts,url\n"
ROWS = [
    "e1,,v1,page_view,2024-01-01 10:00,/a",  # anonymous
    "e2,L1,v1,form_submit,2024-01-01 10:05,/form",  # identifies v1
    "e3,L2,v1,page_view,2024-01-01 10:06,/x",  # v1 again, another lead: the first wins
    "e2,L9,v9,page_view,2024-01-01 11:00,/dup",  # repeats e2: rejected, links nobody
    "e4,L3,v2,pricng_page,2024-01-01 12:00,/p",  # unknown type
    "e5,L4,,page_view,not-a-date,/q",  # bad timestamp
    "e6,,v3,page_view,2024-01-02 09:00,/r",
    "e7,L5,v3,page_view,2024-01-02 09:30,/r",  # identifies v3
]


CASES = [("csv", 500_000), ("jsonl", 500_000), ("parquet", 500_000), ("parquet", 2)]


@pytest.mark.parametrize(("fmt", "batch"), CASES)
def test_rejects_duplicates_and_links_agree_in_every_format(store, tmp_path, fmt, batch):
    path = as_format(tmp_path, HEADER + "\n".join(ROWS) + "\n", fmt)
    report = import_file(store, path, "events", batch_rows=batch)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (8, 5, 3)
    first_line = 2 if fmt == "csv" else 1  # a CSV's header is line 1; else the row number
    assert [(r.line - first_line + 1, r.column) for r in report.rejects] == [
        (4, "event_id"),
        (5, "type"),
        (6, "ts"),
    ]
    assert "did you mean 'pricing_page'?" in report.rejects[1].reason
    assert store.query("SELECT visitor_id, lead_id FROM visitor_links ORDER BY 1") == [
        {"visitor_id": "v1", "lead_id": "L1"},
        {"visitor_id": "v3", "lead_id": "L5"},
    ]
    assert sorted(store.execute("SELECT event_id FROM events").fetchall()) == [
        ("e1",),
        ("e2",),
        ("e3",),
        ("e6",),
        ("e7",),
    ]
    assert store.scalar("SELECT url FROM events WHERE event_id = 'e2'") == "/form"
    before = checksum(store)
    again = import_file(store, path, "events", batch_rows=batch)
    assert (again.rows_loaded, again.rows_unchanged, again.rows_rejected) == (0, 5, 3)
    assert checksum(store) == before


@pytest.mark.parametrize(("fmt", "batch"), CASES)
def test_a_second_file_adds_only_its_new_events(store, tmp_path, fmt, batch):
    import_file(store, as_format(tmp_path, HEADER + "\n".join(ROWS) + "\n", fmt), "events")
    more = HEADER + "e6,,v3,page_view,2024-01-02 09:00,/r\ne8,L6,v4,demo_request,2024-01-03,/d\n"
    report = import_file(store, as_format(tmp_path, more, fmt, "more"), "events", batch_rows=batch)
    assert (report.rows_loaded, report.rows_unchanged, report.rows_rejected) == (1, 1, 0)
    assert store.scalar("SELECT count(*) FROM events") == 6
    assert store.scalar("SELECT lead_id FROM visitor_links WHERE visitor_id = 'v4'") == "L6"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_visitor_naming_two_leads_links_to_the_first_in_the_file(store, tmp_path, fmt):
    text = HEADER + "a,L2,v1,page_view,2024-01-01,/a\nb,L1,v1,page_view,2024-01-02,/b\n"
    import_file(store, as_format(tmp_path, text, fmt), "events")
    assert store.query("SELECT visitor_id, lead_id, linked_at FROM visitor_links") == [
        {"visitor_id": "v1", "lead_id": "L2", "linked_at": dt.datetime(2024, 1, 1)}
    ]


def test_outcomes_and_intent_take_the_direct_path_too(store, tmp_path):
    path = write(
        tmp_path / "i.csv",
        "domain,topic,strength,ts\nacme.com,crm,80,2024-01-01\nacme.com,crm,80,2024-01-01\n"
        "x.io,crm,140,2024-01-01\n",
    )
    report = import_file(store, path, "intent")
    assert (report.rows_loaded, report.rows_rejected) == (1, 2)
    assert sorted((r.line, r.column) for r in report.rejects) == [(3, "signal_id"), (4, "strength")]
    assert import_file(store, path, "intent").rows_unchanged == 1


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_id_repeated_only_by_a_rejected_row_is_no_duplicate(store, tmp_path, fmt):
    text = HEADER + "e1,L1,,page_view,never,/a\ne1,L1,,page_view,2024-01-01,/a\n"
    report = import_file(store, as_format(tmp_path, text, fmt), "events")
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert [r.column for r in report.rejects] == ["ts"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_rows_without_an_id_are_keyed_by_content_next_to_rows_with_one(store, tmp_path, fmt):
    text = HEADER + (
        "e1,L1,,page_view,2024-01-01,/a\n"
        ",L1,,page_view,2024-01-02,/b\n"
        ",L1,,page_view,2024-01-02,/b\n"  # the same content again: a duplicate
        "e1,L2,,page_view,2024-01-03,/c\n"  # the same id again: a duplicate
    )
    report = import_file(store, as_format(tmp_path, text, fmt), "events")
    assert (report.rows_loaded, report.rows_rejected) == (2, 2)
    assert store.scalar("SELECT count(*) FROM events WHERE event_id = 'e1' AND url = '/a'") == 1


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_stored_key_on_a_rejected_row_does_not_hide_a_new_row(store, tmp_path, fmt):
    import_file(
        store, as_format(tmp_path, HEADER + "e1,L1,,page_view,2024-01-01,/a\n", fmt), "events"
    )
    text = HEADER + "e1,L1,,page_view,never,/a\ne9,L1,,page_view,2024-01-02,/b\n"
    report = import_file(store, as_format(tmp_path, text, fmt, "second"), "events")
    assert (report.rows_loaded, report.rows_unchanged, report.rows_rejected) == (1, 0, 1)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("row_bytes", [1, 10**9], ids=["in the check pass", "by a semi-join"])
def test_stored_keys_are_found_whichever_way_the_size_picks(
    store, tmp_path, fmt, row_bytes, monkeypatch
):
    from leadgate.ingest import append

    # 1 byte a row: every file looks as large as the table; 10**9: every file looks small.
    monkeypatch.setattr(append, "MIN_ROW_BYTES", row_bytes)
    first = as_format(tmp_path, HEADER + "\n".join(ROWS) + "\n", fmt)
    import_file(store, first, "events")
    before = checksum(store)
    again = import_file(store, first, "events")  # every good row is stored: nothing written
    assert (again.rows_loaded, again.rows_unchanged, again.rows_rejected) == (0, 5, 3)
    assert checksum(store) == before
    more = HEADER + (
        "e1,,v1,page_view,2024-01-01 10:00,/a\n"  # stored
        "e1,,v1,page_view,2024-01-01 10:00,/a\n"  # stored, and repeated in the file
        "e7,L5,v3,page_view,never,/r\n"  # a stored id on a rejected row
        "e8,L6,v4,demo_request,2024-01-03,/d\n"  # new
    )
    report = import_file(store, as_format(tmp_path, more, fmt, "more"), "events")
    assert (report.rows_loaded, report.rows_unchanged, report.rows_rejected) == (1, 1, 2)
    assert store.scalar("SELECT count(*) FROM events") == 6
