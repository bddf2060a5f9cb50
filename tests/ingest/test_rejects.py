"""Every reject reason: the bad row is refused with its real line, the good rows land."""

from __future__ import annotations

import pytest

from leadgate.ingest import import_file

from .conftest import write

CASES = [
    pytest.param(
        "leads",
        "email,created_at\nana@acme.com,2024-03-01 10:00\nbo@acme.com,yesterday-ish\n",
        3,
        "created_at",
        "not a date or time",
        "yesterday-ish",
        id="unparseable timestamp",
    ),
    pytest.param(
        "leads",
        "email,company_size\nana@acme.com,12\nbo@acme.com,twelve\n",
        3,
        "company_size",
        "not a whole number",
        "twelve",
        id="wrong type",
    ),
    pytest.param(
        "leads",
        "email,first_name\nana@acme.com,Ana\n,Bo\n",
        3,
        "lead_id",
        "missing key",
        None,
        id="lead without id or email",
    ),
    pytest.param(
        "events",
        "email,visitor_id,type,ts\nana@acme.com,,page_view,2024-03-01\n,,page_view,2024-03-01\n",
        3,
        "lead_id",
        "missing key",
        None,
        id="event without lead or visitor",
    ),
    pytest.param(
        "events",
        "email,type,ts\nana@acme.com,page_view,2024-03-01\nana@acme.com,pricng_page,2024-03-01\n",
        3,
        "type",
        "did you mean 'pricing_page'?",
        "pricng_page",
        id="unknown event type",
    ),
    pytest.param(
        "leads",
        "lead_id,email\nL1,ana@acme.com\nL1,ana.other@acme.com\n",
        3,
        "lead_id",
        "duplicate key",
        "L1",
        id="duplicate key",
    ),
]


@pytest.mark.parametrize(("kind", "text", "line", "column", "reason", "raw"), CASES)
def test_bad_row_is_rejected_with_line_and_reason(
    store, tmp_path, kind, text, line, column, reason, raw
):
    path = write(tmp_path / f"{kind}.csv", text)
    report = import_file(store, path, kind, enrich=False)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (2, 1, 1)
    [reject] = report.rejects
    assert (reject.line, reject.column) == (line, column)
    assert reason in reject.reason
    assert reject.raw == raw
    stored = store.query("SELECT line, column_name, reason, raw FROM rejects")
    assert stored == [{"line": line, "column_name": column, "reason": reject.reason, "raw": raw}]


def test_duplicate_rule_keeps_the_first_occurrence(store, tmp_path):
    path = write(tmp_path / "l.csv", "lead_id,first_name\nL1,First\nL2,Other\nL1,Second\n")
    report = import_file(store, path, "leads", enrich=False)
    assert [(r.line, r.column) for r in report.rejects] == [(4, "lead_id")]
    assert store.scalar("SELECT first_name FROM leads WHERE lead_id = 'L1'") == "First"


@pytest.mark.parametrize(
    ("text", "bad_lines"),
    [
        pytest.param(
            "id,email,size\nL1,a@x.io,1\nL2,b@x.io,2,extra\nL3,c@x.io,3\n", [3], id="ragged"
        ),
        pytest.param("id,email,size\nL1,a@x.io,1\nL2,b@x.io\nL3,c@x.io,3\n", [3], id="short row"),
        pytest.param(
            'id,email,size\nL1,a@x.io,1\nL2,"b@x.io,2\nL3,c@x.io,3\nL4,d@x.io,4\n',
            [3],
            id="unterminated quote",
        ),
    ],
)
def test_malformed_csv_lines_are_rejected_with_their_line(store, tmp_path, text, bad_lines):
    path = write(tmp_path / "l.csv", text)
    report = import_file(store, path, "leads", enrich=False)
    assert [r.line for r in report.rejects] == bad_lines
    assert report.rows_read == report.rows_loaded + report.rows_rejected
    assert store.scalar("SELECT count(*) FROM leads WHERE lead_id IN ('L1', 'L4')") >= 1


def test_line_numbers_count_blank_lines_quoted_newlines_and_malformed_lines(store, tmp_path):
    text = (
        "lead_id,email,company_size\n"  # 1
        "L1,a@x.io,1\n"  # 2
        "\n"  # 3 blank
        'L2,b@x.io,"2"\n'  # 4
        "L3,c@x.io,3,ragged\n"  # 5 malformed
        'L4,"multi\nline@x.io",4\n'  # 6-7 one record over two lines
        "L5,e@x.io,five\n"  # 8 bad type
    )
    path = write(tmp_path / "l.csv", text)
    report = import_file(store, path, "leads", enrich=False)
    assert [(r.line, r.column) for r in report.rejects] == [(5, None), (8, "company_size")]
    assert store.scalar("SELECT email FROM leads WHERE lead_id = 'L4'") == "multi\nline@x.io"


def test_malformed_json_line_is_rejected(store, data):
    report = import_file(store, data / "events.jsonl", "events")
    assert [(r.line, r.reason) for r in report.rejects] == [
        (4, "malformed line: not a JSON object")
    ]
    assert report.rows_loaded == 3


def test_rejects_never_stop_good_rows_at_scale(store, tmp_path):
    lines = ["lead_id,email,company_size"]
    for i in range(2_000):
        size = "many" if i % 100 == 0 else str(i)
        lines.append(f"L{i},p{i}@acme.com,{size}")
    path = write(tmp_path / "l.csv", "\n".join(lines) + "\n")
    report = import_file(store, path, "leads", batch_rows=300, enrich=False)
    assert (report.rows_loaded, report.rows_rejected) == (1_980, 20)
    # Every 100th data row, from the first (line 2, after the header): all 20, in order.
    assert [r.line for r in report.rejects] == [2 + 100 * k for k in range(20)]
    assert store.query("SELECT line FROM rejects ORDER BY line") == [
        {"line": 2 + 100 * k} for k in range(20)
    ]
