"""Dates as CRM exports write them: the common shapes, a format per import or per field, one
day/month order per column, and a bad date's reject naming the format it expected."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from leadgate.errors import ImportFailed
from leadgate.ingest import import_file
from leadgate.ingest.date_columns import SAMPLE_ROWS
from leadgate.store import Store

from .conftest import write

D = dt.datetime


def events(path: Path, *values: str) -> Path:
    """An events file with one page view per value of ``ts`` (each its own url)."""
    rows = "".join(f'L1,page_view,"{v}",/p/{i}\n' for i, v in enumerate(values))
    return write(path, "lead_id,type,ts,url\n" + rows)


def stored_ts(store: Store) -> list[dt.datetime]:
    return [r[0] for r in store.execute("SELECT ts FROM events ORDER BY url").fetchall()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05", D(2024, 1, 5)),
        ("2024-01-05 14:30:00", D(2024, 1, 5, 14, 30)),
        ("2024-01-05T14:30:00+02:00", D(2024, 1, 5, 12, 30)),
        ("5 Jan 2024", D(2024, 1, 5)),
        ("05-Jan-2024", D(2024, 1, 5)),
        ("5 January 2024", D(2024, 1, 5)),
        ("Jan 5, 2024", D(2024, 1, 5)),
        ("January 5, 2024", D(2024, 1, 5)),
        ("January 5 2024", D(2024, 1, 5)),
        ("Jan 5, 2024 2:00 PM", D(2024, 1, 5, 14)),
        ("5 Jan 2024 14:30", D(2024, 1, 5, 14, 30)),
        ("2024/01/05", D(2024, 1, 5)),
        ("2024/1/5 14:30", D(2024, 1, 5, 14, 30)),
        ("2024.01.05", D(2024, 1, 5)),
        ("13/01/2024", D(2024, 1, 13)),  # the day is above 12: day first
        ("01/13/2024", D(2024, 1, 13)),  # the second number is above 12: month first
        ("13.01.2024 09:15", D(2024, 1, 13, 9, 15)),
        ("10/13/2025, 2:00 PM", D(2025, 10, 13, 14)),
    ],
)
@pytest.mark.parametrize("kind", ["events", "leads"])
def test_each_common_shape_is_read_without_help(store, tmp_path, kind, text, expected):
    if kind == "events":
        report = import_file(store, events(tmp_path / "e.csv", text), "events")
        got = store.scalar("SELECT ts FROM events")
    else:
        path = write(tmp_path / "l.csv", f'email,created_at\na@x.io,"{text}"\n')
        report = import_file(store, path, "leads", enrich=False)
        got = store.scalar("SELECT created_at FROM leads")
    assert (report.rows_rejected, got) == (0, expected)
    assert report.notices == []  # every one of these shows its own order


def test_salesforce_report_datetimes_in_the_project_zone(store, tmp_path):
    path = events(tmp_path / "r.csv", "10/1/2025, 2:00 PM", "10/1/2025, 11:05 AM")
    report = import_file(
        store, path, "events", timezone="America/New_York", date_format="%m/%d/%Y, %I:%M %p"
    )
    assert (report.rows_rejected, report.notices) == (0, [])
    assert stored_ts(store) == [D(2025, 10, 1, 18), D(2025, 10, 1, 15, 5)]  # EDT is UTC-4


def test_the_report_layout_without_a_format_is_read_month_first_and_says_so(store, tmp_path):
    path = events(tmp_path / "r.csv", "10/1/2025, 2:00 PM", "9/30/2025, 9:00 AM")
    report = import_file(store, path, "events", timezone="America/New_York")
    assert report.rows_rejected == 0 and report.notices == []  # 9/30: month first, shown
    assert stored_ts(store) == [D(2025, 10, 1, 18), D(2025, 9, 30, 13)]


def test_an_explicit_format_also_reads_its_date_alone(store, tmp_path):
    path = events(tmp_path / "e.csv", "01/05/2024 10:00", "02/05/2024")
    report = import_file(store, path, "events", date_format="%d/%m/%Y %H:%M")
    assert report.rows_rejected == 0
    assert stored_ts(store) == [D(2024, 5, 1, 10), D(2024, 5, 2)]


def test_a_format_per_field_beside_another_for_the_rest(store, tmp_path):
    path = write(
        tmp_path / "l.csv",
        "email,created_at,updated_at\na@x.io,05.01.2024,01/05/2024 3:00 PM\n",
    )
    report = import_file(
        store,
        path,
        "leads",
        enrich=False,
        date_format="%m/%d/%Y %I:%M %p",
        date_formats={"created_at": "%d.%m.%Y"},
    )
    assert report.rows_rejected == 0
    row = store.execute("SELECT created_at, updated_at FROM leads").fetchone()
    assert row == (D(2024, 1, 5), D(2024, 1, 5, 15))


def test_a_format_with_an_offset_honours_it(store, tmp_path):
    path = events(tmp_path / "e.csv", "05/01/2024 10:00 +0200")
    import_file(store, path, "events", timezone="Asia/Tokyo", date_format="%d/%m/%Y %H:%M %z")
    assert stored_ts(store) == [D(2024, 1, 5, 8)]


def test_naive_shapes_are_read_in_the_import_zone(store, tmp_path):
    path = events(tmp_path / "e.csv", "5 Jan 2024 10:00", "Jul 5, 2024 10:00")
    import_file(store, path, "events", timezone="Europe/Berlin")
    assert stored_ts(store) == [D(2024, 1, 5, 9), D(2024, 7, 5, 8)]  # CET, then CEST


def test_one_value_above_12_decides_the_whole_column(store, tmp_path):
    path = events(tmp_path / "e.csv", "01/05/2024", "13/05/2024", "02/03/2024")
    report = import_file(store, path, "events", date_order="mdy")
    assert stored_ts(store) == [D(2024, 5, 1), D(2024, 5, 13), D(2024, 3, 2)]
    [notice] = report.notices
    assert "'ts': read day first (dmy) by its own dates (such as '13/05/2024')" in notice
    assert "not by the project's date_order = 'mdy'" in notice


def test_an_ambiguous_column_is_read_month_first_and_the_report_says_so(store, tmp_path):
    path = events(tmp_path / "e.csv", "01/05/2024", "02/03/2024")
    report = import_file(store, path, "events")
    assert stored_ts(store) == [D(2024, 1, 5), D(2024, 2, 3)]
    [notice] = report.notices
    assert notice.startswith("'ts': its dates such as ")
    assert "could be day or month first; read month first (mdy, the default)" in notice
    assert 'set date_order = "dmy" in leadgate.toml' in notice
    assert "--date-format 'ts=%d/%m/%Y'" in notice


@pytest.mark.parametrize(("order", "expected"), [("dmy", D(2024, 5, 1)), ("mdy", D(2024, 1, 5))])
def test_the_date_order_reads_an_ambiguous_column_without_a_notice(
    store, tmp_path, order, expected
):
    report = import_file(
        store, events(tmp_path / "e.csv", "01/05/2024"), "events", date_order=order
    )
    assert (stored_ts(store), report.notices) == ([expected], [])


def test_both_orders_in_one_column_is_an_error_naming_the_rows(store, tmp_path):
    path = events(tmp_path / "e.csv", "01/02/2024", "25/12/2024", "03/04/2024", "12/25/2024")
    with pytest.raises(ImportFailed) as caught:
        import_file(store, path, "events", date_order="dmy")
    assert caught.value.code == "LG312"
    assert "(data row 2: '25/12/2024')" in str(caught.value)
    assert "(data row 4: '12/25/2024')" in str(caught.value)
    assert store.scalar("SELECT count(*) FROM events") == 0


def test_a_bad_date_names_its_column_and_the_format_expected(store, tmp_path):
    path = write(tmp_path / "l.csv", "email,created_at\na@x.io,05/01/2024\nb@x.io,2024-13-45\n")
    report = import_file(store, path, "leads", enrich=False, date_format="%d/%m/%Y")
    [reject] = report.rejects
    assert (reject.line, reject.column, reject.raw) == (3, "created_at", "2024-13-45")
    assert reject.reason == "not a date or time in the format '%d/%m/%Y'"
    assert store.scalar("SELECT created_at FROM leads") == D(2024, 1, 5)


def test_a_bad_date_in_a_column_of_known_order_names_that_order(store, tmp_path):
    path = events(tmp_path / "e.csv", "25/12/2024", "31/02/2024")
    [reject] = import_file(store, path, "events").rejects
    assert (reject.column, reject.raw) == ("ts", "31/02/2024")
    assert reject.reason == (
        "not a date or time (the column is read day first by its own dates "
        "(such as '25/12/2024'); its layouts: ISO 8601, '%d/%m/%Y')"
    )


def test_two_digit_years_are_never_read_as_the_first_century(store, tmp_path):
    # DuckDB's own cast reads '1-1-24' as 0001-01-24 and %Y reads '24' as the year 24.
    short = ["1-1-24", "1/13/24", "10-1-25", "10/1/25", "24-01-05"]
    path = events(tmp_path / "e.csv", *short, "2024-01-05")
    report = import_file(store, path, "events", timezone="Europe/Berlin")
    assert sorted(r.raw for r in report.rejects) == short
    assert stored_ts(store) == [D(2024, 1, 4, 23)]
    report = import_file(store, path, "events", date_format="%m/%d/%Y")
    assert {r.raw for r in report.rejects} >= {"1/13/24"}


def test_another_layout_after_a_sample_of_iso_is_told_to_give_its_format(store, tmp_path):
    # A column whose first rows are all ISO is not read a second time (a large event file
    # would pay a whole scan for it): a later value in another layout needs a format.
    iso = [f"2024-01-01 00:{i // 60 % 60:02d}:{i % 60:02d}" for i in range(SAMPLE_ROWS)]
    path = events(tmp_path / "e.csv", *iso, "5 Jan 2024", "soon")
    first, second = import_file(store, path, "events").rejects
    assert (first.raw, second.raw, second.reason) == ("5 Jan 2024", "soon", "not a date or time")
    assert first.reason == (
        "not a date or time: the column's first rows are ISO 8601 (2024-01-05 14:30); "
        "give its layout with --date-format"
    )
    report = import_file(store, path, "events", date_format="%d %b %Y")
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert store.scalar("SELECT max(ts) FROM events") == D(2024, 1, 5)


def test_only_the_layouts_a_column_uses_are_tried(store, tmp_path):
    from leadgate.ingest.date_columns import plan_dates
    from leadgate.ingest.dates import DateOptions
    from leadgate.ingest.readers import open_source

    path = events(tmp_path / "e.csv", "10/1/2025, 2:00 PM", "Jan 5, 2024", "9/30/2025, 9:00 AM")
    source = open_source(store, path)
    reads, notices = plan_dates(store, source, {"ts": "ts"}, DateOptions(), {"ts": '"ts"'})
    assert reads["ts"].formats == ("%m/%d/%Y, %I:%M %p", "%b %d, %Y")
    assert (reads["ts"].order, notices) == ("mdy", [])


def test_an_unknown_date_order_is_refused(store, tmp_path):
    with pytest.raises(ImportFailed, match="Unknown date order 'ymd'; use one of mdy, dmy"):
        import_file(store, events(tmp_path / "e.csv", "2024-01-01"), "events", date_order="ymd")


def test_a_format_without_directives_is_refused(store, tmp_path):
    with pytest.raises(ImportFailed, match="has no %-directive") as caught:
        import_file(store, events(tmp_path / "e.csv", "2024-01-01"), "events", date_format="Y-m-d")
    assert caught.value.code == "LG313"


# Every format below is one a user may pass with --date-format; Python's strftime writes it
# (in the C locale: English month names), leadgate must read it back exactly.
DATE_PARTS = [
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%d %b %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%d-%b-%Y",
    "%Y%m%d",
]
TIME_PARTS = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", ", %I:%M %p", " %I:%M:%S %p", "T%H:%M:%S"]


def _precision(fmt: str, value: dt.datetime) -> dt.datetime:
    """``value`` cut to what ``fmt`` writes."""
    if "%M" not in fmt:
        return value.replace(hour=0, minute=0, second=0)
    if "%S" not in fmt:
        return value.replace(second=0)
    return value


def _exists(local: dt.datetime, zone: str) -> bool:
    there = local.replace(tzinfo=ZoneInfo(zone))
    return (
        there.astimezone(dt.timezone.utc).astimezone(ZoneInfo(zone)).replace(tzinfo=None) == local
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    date_part=st.sampled_from(DATE_PARTS),
    time_part=st.sampled_from(TIME_PARTS),
    values=st.lists(
        st.datetimes(min_value=D(1900, 1, 1), max_value=D(2099, 12, 31)).map(
            lambda v: v.replace(microsecond=0)
        ),
        min_size=1,
        max_size=8,
    ),
    zone=st.sampled_from(["UTC", "Europe/Berlin"]),
)
def test_any_supported_format_reads_back_what_it_wrote(date_part, time_part, values, zone):
    fmt = date_part + time_part
    # A local time a zone skips (the hour clocks spring forward) names no instant.
    assume(all(_exists(_precision(fmt, v), zone) for v in values))
    expected = [_precision(fmt, v) for v in values]
    with tempfile.TemporaryDirectory() as folder, Store(":memory:") as store:
        path = events(Path(folder) / "e.csv", *(v.strftime(fmt) for v in values))
        # The dates run to 2099: the tolerance for dates ahead of the clock reaches past.
        later = dt.timedelta(days=80 * 366)
        report = import_file(
            store, path, "events", date_format=fmt, timezone=zone, max_future=later
        )
        assert report.rows_rejected == 0, report.rejects
        store.execute(f"SET TimeZone = '{zone}'")
        local = store.execute(
            "SELECT CAST(timezone('UTC', ts) AS TIMESTAMPTZ)::VARCHAR FROM events ORDER BY url"
        ).fetchall()
    got = [dt.datetime.fromisoformat(text).replace(tzinfo=None) for (text,) in local]
    assert got == expected


def test_a_format_for_a_new_column_makes_it_a_date_column(store, tmp_path):
    path = write(
        tmp_path / "l.csv",
        "email,Last Activity,Visits\na@x.io,10/1/2025,3\nb@x.io,12/24/2025,4\n",
    )
    report = import_file(
        store, path, "leads", enrich=False, date_formats={"last_activity": "%m/%d/%Y"}
    )
    assert report.columns_added == ["last_activity", "visits"]
    rows = store.execute("SELECT last_activity FROM leads ORDER BY email").fetchall()
    assert rows == [(D(2025, 10, 1),), (D(2025, 12, 24),)]
    assert store.table_columns("leads")["last_activity"] == "TIMESTAMP"


def test_a_format_for_a_field_the_file_lacks_is_named_in_a_notice(store, tmp_path):
    path = events(tmp_path / "e.csv", "2024-01-05")
    report = import_file(store, path, "events", date_formats={"created": "%d/%m/%Y"})
    assert report.notices == [
        "The date format for created is not used: the file has no such date column written "
        "as text (its date columns: ts)."
    ]


def test_a_custom_column_of_short_years_stays_text_not_the_year_10(store, tmp_path):
    # DuckDB's cast reads '10/1/25' as 0010-01-25: such a column was typed a date and
    # stored the first century; it is text now, every row loaded.
    path = write(tmp_path / "l.csv", "email,Renewal,Signed\na@x.io,10/1/25,2024-01-05\n")
    report = import_file(store, path, "leads", enrich=False)
    assert report.rows_rejected == 0
    types = store.table_columns("leads")
    assert (types["renewal"], types["signed"]) == ("VARCHAR", "TIMESTAMP")
    assert store.execute("SELECT renewal, signed FROM leads").fetchone() == (
        "10/1/25",
        D(2024, 1, 5),
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_file_format_reads_the_shapes_and_the_order(store, tmp_path, fmt):
    from .conftest import as_format

    text = "lead_id,type,ts,url\nL1,page_view,13/01/2024 10:00,/a\nL1,page_view,5 Jan 2024,/b\n"
    text += "L1,page_view,02/03/2024,/c\n"
    report = import_file(store, as_format(tmp_path, text, fmt), "events")
    assert (report.rows_rejected, report.notices) == (0, [])
    assert stored_ts(store) == [D(2024, 1, 13, 10), D(2024, 1, 5), D(2024, 3, 2)]


def test_a_new_column_of_dates_in_the_common_shapes_is_a_date_column(store, tmp_path):
    path = write(
        tmp_path / "l.csv",
        "email,Last Activity,Renewal,Met,Mixed,Note\n"
        'a@x.io,"10/1/2025, 2:00 PM",10/1/25,5 Jan 2024,13/01/2024,"Jan 5, 2024"\n'
        "b@x.io,12/24/2025,11/2/25,,01/13/2024,soon\n",
    )
    report = import_file(store, path, "leads", enrich=False)
    assert report.rows_rejected == 0
    types = store.table_columns("leads")
    kinds = [types[c] for c in ("last_activity", "renewal", "met", "mixed", "note")]
    # Two-digit years, both day/month orders, and a value that is no date keep a column text.
    assert kinds == ["TIMESTAMP", "VARCHAR", "TIMESTAMP", "VARCHAR", "VARCHAR"]
    rows = store.execute("SELECT last_activity, met FROM leads ORDER BY email").fetchall()
    assert rows == [(D(2025, 10, 1, 14), D(2024, 1, 5)), (D(2025, 12, 24), None)]
