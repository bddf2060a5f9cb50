"""Custom columns of dates in the shapes CRM exports write: stored as dates when every value
is one, in one day/month order, with a notice; text otherwise, never losing a value."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.ingest import import_file
from leadgate.store import Store

from ..cli import leadgate
from .conftest import write

D = dt.datetime


def leads(path: Path, column: str, *values: str) -> Path:
    rows = "".join(f'p{i}@acme.com,"{v}"\n' for i, v in enumerate(values))
    return write(path, f"email,{column}\n" + rows)


def stored(store: Store, column: str) -> list[object]:
    sql = f"SELECT {column} FROM leads ORDER BY CAST(regexp_extract(email, '[0-9]+') AS INT)"
    return [r[0] for r in store.execute(sql).fetchall()]


def test_a_last_activity_column_of_us_dates_is_stored_as_dates(store, tmp_path):
    f = leads(tmp_path / "l.csv", "Last Activity", "10/9/2025", "10/13/2025", "", "2025-01-02")
    report = import_file(store, f, "leads", enrich=False)
    assert store.table_columns("leads")["last_activity"] == "TIMESTAMP"
    assert stored(store, "last_activity") == [D(2025, 10, 9), D(2025, 10, 13), None, D(2025, 1, 2)]
    assert report.rows_rejected == 0
    [notice] = report.notices
    assert notice.startswith("'Last Activity' (last_activity): a custom column of dates")
    assert "month first by its own dates (such as '10/13/2025')" in notice


def test_named_months_and_report_times(store, tmp_path):
    f = leads(tmp_path / "l.csv", "Seen", "5 Jan 2024", "Jan 6, 2024", "10/1/2025, 2:00 PM")
    import_file(store, f, "leads", enrich=False)
    assert stored(store, "seen") == [D(2024, 1, 5), D(2024, 1, 6), D(2025, 10, 1, 14)]


def test_the_projects_date_order_reads_a_column_that_does_not_show_its_own(store, tmp_path):
    f = leads(tmp_path / "l.csv", "Last Activity", "10/9/2025", "1/2/2025")
    report = import_file(store, f, "leads", enrich=False, date_order="dmy")
    assert stored(store, "last_activity") == [D(2025, 9, 10), D(2025, 2, 1)]
    assert "read day first by the project's date_order" in report.notices[0]


def test_without_an_order_the_default_is_said(store, tmp_path):
    f = leads(tmp_path / "l.csv", "Last Activity", "10/9/2025")
    report = import_file(store, f, "leads", enrich=False)
    assert stored(store, "last_activity") == [D(2025, 10, 9)]
    assert any("could be day or month first" in n for n in report.notices)


def test_a_format_named_for_a_custom_column_reads_it(store, tmp_path):
    f = leads(tmp_path / "l.csv", "Last Touch", "20240105", "20250230")
    report = import_file(store, f, "leads", enrich=False, date_formats={"last_touch": "%Y%m%d"})
    assert store.table_columns("leads")["last_touch"] == "TIMESTAMP"
    assert stored(store, "last_touch") == [D(2024, 1, 5)]
    [reject] = report.rejects
    assert reject.column == "last_touch" and "'%Y%m%d'" in reject.reason


def test_the_file_s_one_format_reads_its_custom_dates_and_leaves_text_alone(store, tmp_path):
    f = write(
        tmp_path / "l.csv",
        "email,Last Touch,Note\np0@acme.com,05.01.2024,hello\np1@acme.com,13.02.2024,5 Jan\n",
    )
    report = import_file(store, f, "leads", enrich=False, date_format="%d.%m.%Y")
    assert stored(store, "last_touch") == [D(2024, 1, 5), D(2024, 2, 13)]
    assert stored(store, "note") == ["hello", "5 Jan"]
    assert report.notices == [
        "'Last Touch' (last_touch): a custom column of dates, stored as dates in the "
        "format '%d.%m.%Y'."
    ]


def test_a_column_with_one_value_that_is_no_date_stays_text(store, tmp_path):
    f = leads(tmp_path / "l.csv", "Last Activity", "10/9/2025", "02/30/2025", "soon")
    report = import_file(store, f, "leads", enrich=False)
    assert store.table_columns("leads")["last_activity"] == "VARCHAR"
    assert stored(store, "last_activity") == ["10/9/2025", "02/30/2025", "soon"]
    assert not report.notices


def test_a_date_that_does_not_exist_keeps_the_column_text_and_says_why(store, tmp_path):
    f = leads(tmp_path / "l.csv", "Last Activity", "10/9/2025", "02/30/2025")
    report = import_file(store, f, "leads", enrich=False)
    assert stored(store, "last_activity") == ["10/9/2025", "02/30/2025"]
    assert any("'02/30/2025' is none" in n and "kept as text" in n for n in report.notices)


def test_both_orders_in_one_column_keep_it_text_and_say_why(store, tmp_path):
    f = leads(tmp_path / "l.csv", "Last Activity", "13/01/2024", "01/13/2024")
    report = import_file(store, f, "leads", enrich=False)
    assert stored(store, "last_activity") == ["13/01/2024", "01/13/2024"]
    assert any("day first and with the month first; kept as text" in n for n in report.notices)


def test_a_second_import_of_the_file_changes_nothing(store, tmp_path):
    f = leads(tmp_path / "l.csv", "Last Activity", "10/9/2025", "5/13/2025")
    import_file(store, f, "leads", enrich=False)
    again = import_file(store, f, "leads", enrich=False)
    assert (again.rows_loaded, again.rows_rejected) == (0, 0)
    assert stored(store, "last_activity") == [D(2025, 10, 9), D(2025, 5, 13)]


SHAPES = ("%m/%d/%Y", "%d %b %Y", "%b %d, %Y", "%Y/%m/%d", "%m/%d/%Y, %I:%M %p")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.lists(st.integers(0, 20_000), min_size=1, max_size=8),
    shape=st.sampled_from(SHAPES),
    minutes=st.integers(0, 24 * 60 - 1),
    odd=st.one_of(st.none(), st.sampled_from(["n/a?", "next week", "2/30/2024", "1e3"])),
)
def test_a_column_is_dates_exactly_when_every_value_is_one(days, shape, minutes, odd):
    when = [D(1980, 1, 1) + dt.timedelta(days=d, minutes=minutes) for d in days]
    if "%I" not in shape:
        when = [w.replace(hour=0, minute=0) for w in when]
    texts = [w.strftime(shape) for w in when] + ([odd] if odd else [])
    with tempfile.TemporaryDirectory() as tmp, Store(":memory:") as store:
        import_file(store, leads(Path(tmp) / "l.csv", "Seen", *texts), "leads", enrich=False)
        if odd is None:
            assert stored(store, "seen") == when
        else:  # one value that is no date: every value kept as the text it was
            assert stored(store, "seen") == texts


def test_a_rule_reads_days_since_of_a_custom_column_of_us_dates(tmp_path):
    # The real CLI: a lead table's Last Activity in US dates, declared a date, then a rule.
    root = tmp_path / "p"
    assert leadgate("init", str(root)).returncode == 0
    definition = root / "definition.yaml"
    text = definition.read_text()
    definition.write_text(text.replace("attributes:\n", "attributes:\n  last_activity: date\n"))
    leads(root / "l.csv", "Last Activity", "10/9/2025", "5/13/2025")
    done = leadgate("-C", str(root), "import", "leads", str(root / "l.csv"))
    assert done.returncode == 0, done.stderr
    assert leadgate("-C", str(root), "score", "--as-of", "2025-10-15").returncode == 0
    where = "days_since(last_activity) <= 30"
    listed = json.loads(leadgate("-C", str(root), "leads", "--where", where, "--json").stdout)
    assert [lead["email"] for lead in listed["leads"]] == ["p0@acme.com"]
