"""What a cast would change silently is a reject saying why (issue: imports changed
timestamps): an offset beyond +-18:00, a fraction finer than microseconds, a local time a
daylight-saving change skips or repeats, a whole number beyond 64 bits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.ingest import import_file
from leadgate.ingest.normalise import typed_expr
from leadgate.store import Store

from .conftest import write


@pytest.mark.parametrize(
    ("zone", "text", "reason"),
    [
        ("UTC", "2024-01-05T10:00:00+25:00", "not a UTC offset: offsets run from -18:00"),
        ("UTC", "2024-01-05T10:00:00+18:30", "not a UTC offset"),
        ("UTC", "2024-01-05T10:00:00-05:75", "not a UTC offset"),
        ("UTC", "2024-01-05T10:00:00.123456789Z", "more than 6 digits after the second"),
        ("UTC", "2024-01-05 10:00:00.1234567", "the store keeps microseconds"),
        ("Europe/Madrid", "2024-03-31 02:30", "no such time in Europe/Madrid: the clocks skip"),
        ("Europe/Madrid", "2024-10-27 02:30", "ambiguous in Europe/Madrid"),
        ("America/New_York", "11/03/2024 1:30 AM", "ambiguous in America/New_York"),
        ("America/New_York", "03/10/2024 2:30 AM", "no such time in America/New_York"),
    ],
)
def test_a_time_the_cast_would_change_is_rejected_saying_why(
    store: Store, tmp_path: Path, zone: str, text: str, reason: str
) -> None:
    good = "2024-01-05T10:00:00+18:00" if "/" not in text else "01/05/2024 10:00 AM"
    path = write(tmp_path / "l.csv", f"lead_id,created_at\nL1,{good}\nL2,{text}\n")
    report = import_file(store, path, "leads", timezone=zone, enrich=False)
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    reject = report.rejects[0]
    assert (reject.line, reject.column, reject.raw) == (3, "created_at", text)
    assert reason in reject.reason
    assert store.execute("SELECT lead_id FROM leads").fetchall() == [("L1",)]


@pytest.mark.parametrize(
    ("zone", "text", "utc"),
    [
        ("UTC", "2024-01-05T10:00:00+18:00", dt.datetime(2024, 1, 4, 16, 0)),
        ("UTC", "2024-01-05T10:00:00.123456Z", dt.datetime(2024, 1, 5, 10, 0, 0, 123456)),
        ("Europe/Madrid", "2024-10-27 02:30+01:00", dt.datetime(2024, 10, 27, 1, 30)),
        ("Europe/Madrid", "2024-10-27 03:30", dt.datetime(2024, 10, 27, 2, 30)),
        ("Europe/Madrid", "2024-03-31 03:30", dt.datetime(2024, 3, 31, 1, 30)),
        # DuckDB's TIMESTAMP cast reads this as noon: the column's layout reads it
        ("Europe/Berlin", "2000-01-01 12:00 AM", dt.datetime(1999, 12, 31, 23, 0)),
    ],
)
def test_the_times_beside_them_are_read_as_before(
    store: Store, tmp_path: Path, zone: str, text: str, utc: dt.datetime
) -> None:
    path = write(tmp_path / "l.csv", f"lead_id,created_at\nL1,{text}\n")
    report = import_file(store, path, "leads", timezone=zone, enrich=False)
    assert report.rows_rejected == 0, report.rejects
    assert store.scalar("SELECT created_at FROM leads") == utc


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9999999999999999999999", "a whole number too large for a 64-bit integer"),
        ("-9223372036854775809", "too large for a 64-bit integer"),
        ("twelve", "not a whole number"),
        ("2.5", "not a whole number"),
    ],
)
def test_a_whole_number_beyond_64_bits_says_so(
    store: Store, tmp_path: Path, text: str, reason: str
) -> None:
    path = write(tmp_path / "l.csv", f"lead_id,company_size\nL1,9223372036854775807\nL2,{text}\n")
    report = import_file(store, path, "leads", enrich=False)
    assert report.rows_rejected == 1 and reason in report.rejects[0].reason
    assert store.scalar("SELECT company_size FROM leads") == 9223372036854775807


ZONES = ["Europe/Madrid", "America/New_York", "Australia/Sydney", "America/Sao_Paulo"]


def change_days(zone: str) -> list[dt.datetime]:
    """The days of 2000-2030 on which ``zone``'s offset changes (zoneinfo's word)."""
    tz, days = ZoneInfo(zone), []
    day = dt.datetime(2000, 1, 1)
    while day.year <= 2030:
        if (
            day.replace(tzinfo=tz).utcoffset()
            != (day + dt.timedelta(days=1)).replace(tzinfo=tz).utcoffset()
        ):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


CHANGES = {zone: change_days(zone) for zone in ZONES}


@st.composite
def walls(draw: st.DrawFn) -> tuple[str, dt.datetime, int]:
    """A zone, a day and a minute of it; half the time the day on which the zone's offset
    changes, or the day after, and a minute of its first four hours (when clocks change)."""
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        day = draw(st.sampled_from(CHANGES[zone])) + dt.timedelta(days=draw(st.integers(0, 1)))
        return zone, day, draw(st.integers(0, 4 * 60 - 1))
    day = draw(st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 12, 31)))
    return zone, day, draw(st.integers(0, 24 * 60 - 1))


@settings(max_examples=150, deadline=None)
@given(walls())
def test_a_local_time_is_read_only_when_the_zone_shows_it_once(
    wall_time: tuple[str, dt.datetime, int],
) -> None:
    """The oracle is zoneinfo: a wall time that does not survive the round trip is in a gap,
    one whose two folds differ is shown twice; every other one is read as zoneinfo reads
    it. Half of the times are near the zone's changes."""
    zone, day, minutes = wall_time
    wall = day.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(minutes=minutes)
    tz = ZoneInfo(zone)
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    back = first.astimezone(dt.timezone.utc).astimezone(tz).replace(tzinfo=None)
    once = back == wall and first.utcoffset() == second.utcoffset()
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    read = typed_expr("v", "VARCHAR", "TIMESTAMP", zone, is_text=False)
    got = con.execute(f"SELECT {read} FROM (SELECT ? AS v)", [wall.isoformat(sep=" ")]).fetchone()
    assert got is not None
    want = first.astimezone(dt.timezone.utc).replace(tzinfo=None) if once else None
    if back != wall and wall == wall.replace(hour=0, minute=0):  # a day whose midnight is
        start = (wall + dt.timedelta(hours=1)).replace(tzinfo=tz)  # skipped began at 01:00
        want = start.astimezone(dt.timezone.utc).replace(tzinfo=None)
    assert got[0] == want, (zone, wall)


def test_a_date_whose_midnight_the_clocks_skip_is_the_days_first_instant() -> None:
    """Olist's first-contact dates include 2017-10-15, the day Sao Paulo's clocks went
    from 00:00 to 01:00: the date is read as that day's start, 01:00 local (03:00 UTC),
    not refused; a time inside a gap later in a day still is."""
    zone = "America/Sao_Paulo"
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    read = typed_expr("v", "VARCHAR", "TIMESTAMP", zone, is_text=False)
    got = [con.execute(f"SELECT {read} FROM (SELECT ? AS v)", [v]).fetchone()[0]  # type: ignore[index]
           for v in ("2017-10-15", "2017-10-15 00:30:00", "2017-10-14")]  # fmt: skip
    assert got == [dt.datetime(2017, 10, 15, 3), None, dt.datetime(2017, 10, 14, 3)]
