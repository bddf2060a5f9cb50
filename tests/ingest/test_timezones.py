"""Naive timestamps take the import's zone, explicit offsets win; all stored as naive UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.ingest import import_file

from .conftest import write


def utc(local: str, zone: str) -> dt.datetime:
    """What Python's zoneinfo says ``local`` in ``zone`` is in naive UTC (the oracle)."""
    aware = dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))
    return aware.astimezone(dt.timezone.utc).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("zone", "local"),
    [
        ("America/New_York", "2024-03-10 01:59:00"),  # last minute before spring forward
        ("America/New_York", "2024-03-10 03:00:00"),  # first minute after it
        ("America/New_York", "2024-11-03 00:59:00"),  # just before the repeated hour
        ("America/New_York", "2024-11-03 02:00:00"),  # just after it
        ("Europe/Berlin", "2024-03-31 01:59:00"),
        ("Europe/Berlin", "2024-03-31 03:00:00"),
        ("Europe/Berlin", "2024-10-27 01:59:00"),
        ("Europe/Berlin", "2024-10-27 03:00:00"),
        ("Asia/Kolkata", "2024-06-01 12:00:00"),  # a half-hour offset
        ("UTC", "2024-06-01 12:00:00"),
    ],
)
def test_naive_timestamps_are_read_in_the_project_zone(store, tmp_path, zone, local):
    path = write(tmp_path / "e.csv", f"lead_id,type,ts\nL1,page_view,{local}\n")
    import_file(store, path, "events", timezone=zone)
    assert store.scalar("SELECT ts FROM events") == utc(local, zone)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T10:00:00+02:00", dt.datetime(2024, 3, 1, 8, 0)),
        ("2024-03-01T10:00:00Z", dt.datetime(2024, 3, 1, 10, 0)),
        ("2024-03-01T10:00:00.000+0000", dt.datetime(2024, 3, 1, 10, 0)),  # Salesforce style
        ("2024-07-01 10:00:00-07:00", dt.datetime(2024, 7, 1, 17, 0)),
    ],
)
def test_explicit_offsets_win_over_the_default_zone(store, tmp_path, text, expected):
    path = write(tmp_path / "e.csv", f"lead_id,type,ts\nL1,page_view,{text}\n")
    import_file(store, path, "events", timezone="Asia/Tokyo")
    assert store.scalar("SELECT ts FROM events") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01 10:00:00", dt.datetime(2024, 3, 1, 10, 0)),
        ("2024-03-01T10:00:00", dt.datetime(2024, 3, 1, 10, 0)),
        ("2024-03-01T10:00:00+02:00", dt.datetime(2024, 3, 1, 8, 0)),
        ("2024-03-01 10:00:00-05", dt.datetime(2024, 3, 1, 15, 0)),
        ("2024-03-01 10:00:00.250Z", dt.datetime(2024, 3, 1, 10, 0, 0, 250000)),
        ("2024-03-01", dt.datetime(2024, 3, 1, 0, 0)),
    ],
)
def test_utc_fast_path_still_honours_offsets(store, tmp_path, text, expected):
    path = write(tmp_path / "e.csv", f"lead_id,type,ts\nL1,page_view,{text}\n")
    import_file(store, path, "events")
    assert store.scalar("SELECT ts FROM events") == expected


def test_parquet_naive_timestamps_take_the_zone_too(store, tmp_path):
    import duckdb

    path = tmp_path / "e.parquet"
    duckdb.sql(
        "COPY (SELECT 'L1' AS lead_id, 'page_view' AS type, "
        f"TIMESTAMP '2024-01-15 09:00' AS ts) TO '{path}' (FORMAT parquet)"
    )
    import_file(store, path, "events", timezone="Europe/Berlin")
    assert store.scalar("SELECT ts FROM events") == dt.datetime(2024, 1, 15, 8, 0)


def test_the_session_zone_is_restored(store, tmp_path):
    path = write(tmp_path / "e.csv", "lead_id,type,ts\nL1,page_view,2024-01-01 00:00\n")
    import_file(store, path, "events", timezone="America/New_York")
    assert store.scalar("SELECT current_setting('TimeZone')") == "UTC"


# Pieces of the timestamps people export: a date, a separator, a time of several precisions,
# an offset or zone name or none, and the odd stray character.
_stamp = st.builds(
    lambda d, sep, t, frac, zone, junk: f"{d}{sep}{t}{frac}{zone}{junk}",
    st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2099, 12, 31)).map(str),
    st.sampled_from([" ", "T", "", "  "]),
    st.sampled_from(["", "00:00:00", "23:59:59", "12:30", "7:05:09", "12:30:45"]),
    st.sampled_from(["", ".5", ".123456"]),
    st.sampled_from(["", "Z", "+02:00", "-05", "+0530", " UTC", " America/New_York", "-00:30"]),
    st.sampled_from(["", "", "", "x", ":", "-"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_stamp, min_size=1, max_size=40))
def test_the_fast_utc_path_reads_every_value_as_the_general_one(values):
    from leadgate.ingest.normalise import typed_expr

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    fast = typed_expr("v", "VARCHAR", "TIMESTAMP", "UTC", is_text=False)
    general = "timezone('UTC', TRY_CAST(nullif(v, '') AS TIMESTAMPTZ))"
    rows = con.execute(
        f"SELECT v, {fast}, {general} FROM (SELECT unnest(?) AS v)", [values]
    ).fetchall()
    for value, got, want in rows:
        assert got == want, value
