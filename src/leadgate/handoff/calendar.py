"""How an SLA counts time: every hour (``calendar``), or the owner's working hours.

A tier with ``sla_hours: business`` counts its SLA in the working hours of the lead's owner
(``working_hours`` on ``days`` in their ``timezone``, from ``[[reps]]``); a lead without an
owner counts in the project's business hours (``[sla] business_hours`` and
``business_days`` in the project's zone). Out-of-office dates do not stop the clock: a lead
given to a rep who is away must breach, so that it can be reassigned.

>>> import datetime as dt
>>> utc = dt.timezone.utc
>>> madrid = Calendar("Europe/Madrid", 9 * 60, 17 * 60, ("mon", "tue", "wed", "thu", "fri"))
>>> friday_4pm = dt.datetime(2026, 12, 4, 15, 0, tzinfo=utc)  # 16:00 in Madrid
>>> madrid.add(friday_4pm, 2 * 3600).isoformat()  # 1h on Friday, 1h on Monday
'2026-12-07T09:00:00+00:00'
>>> madrid.between(friday_4pm, dt.datetime(2026, 12, 7, 9, 0, tzinfo=utc))
7200.0
>>> ALWAYS.add(friday_4pm, 3600).isoformat()
'2026-12-04T16:00:00+00:00'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .reps import DAYS, WORKDAYS, Rep

# A calendar with working days finds its next working hour within a week; one whose
# working time is all on days that never come (none listed) would loop for ever.
_MAX_DAYS = 366 * 50


@dataclass(frozen=True)
class Calendar:
    """Working hours (minutes after local midnight) on some days in one zone; ``always``:
    every hour counts."""

    timezone: str = "UTC"
    start_minute: int = 9 * 60
    end_minute: int = 17 * 60
    days: tuple[str, ...] = WORKDAYS
    always: bool = False

    @classmethod
    def of_rep(cls, rep: Rep) -> Calendar:
        return cls(rep.timezone, rep.start_minute, rep.end_minute, rep.days)

    def describe(self) -> str:
        if self.always:
            return "every hour"
        hours = f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}-"
        hours += f"{self.end_minute // 60:02d}:{self.end_minute % 60:02d}"
        return f"{hours} {','.join(self.days)} {self.timezone}"

    def windows(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The working periods (aware UTC) from ``start`` on, in order; the first may have
        begun before ``start`` (it is cut to it)."""
        zone = ZoneInfo(self.timezone)
        day = start.astimezone(zone).date()
        for _ in range(_MAX_DAYS):
            if DAYS[day.weekday()] in self.days:
                midnight = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
                # Local wall times, then to UTC: a DST change moves the hours, not the day.
                opens = _local(midnight, self.start_minute).astimezone(dt.timezone.utc)
                closes = _local(midnight, self.end_minute).astimezone(dt.timezone.utc)
                if closes > start:
                    yield max(opens, start), closes
            day += dt.timedelta(days=1)
        raise ValueError(f"no working hours in the calendar {self.describe()}")

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The time when ``seconds`` of counted time have passed since ``start`` (aware)."""
        if self.always:
            return start + dt.timedelta(seconds=seconds)
        left = dt.timedelta(seconds=seconds)
        for opens, closes in self.windows(start):
            if closes - opens >= left:
                return opens + left
            left -= closes - opens
        raise AssertionError("windows() never ends without raising")  # pragma: no cover

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Counted seconds from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.between(end, start)
        if self.always:
            return (end - start).total_seconds()
        counted = 0.0
        for opens, closes in self.windows(start):
            if opens >= end:
                break
            counted += (min(closes, end) - opens).total_seconds()
        return counted


def _local(midnight: dt.datetime, minute: int) -> dt.datetime:
    if minute >= 24 * 60:  # "…-24:00": the end of the day is the next midnight
        nxt = (midnight + dt.timedelta(days=1)).date()
        return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=midnight.tzinfo)
    return midnight.replace(hour=minute // 60, minute=minute % 60)


ALWAYS = Calendar(always=True)

__all__ = ["ALWAYS", "Calendar"]
