"""The one clock the library reads: passed in, never looked up.

Scoring is a pure function of its inputs, and everything else that needs "now" (the
``review_by`` warning, a stored ``created_at``, the default as-of time of a scoring run)
asks the :class:`Clock` its :class:`~leadgate.project.Project` was opened with. The CLI
opens projects with :class:`SystemClock`; tests and replays use :class:`FixedClock`.

>>> clock = FixedClock(dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc))
>>> clock.now().isoformat(), clock.today().isoformat()
('2026-03-01T09:30:00+00:00', '2026-03-01')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol, overload

#: How far ahead of the clock an event may be dated, at most, by default: a sender's clock a
#: little fast, not data. The API (``[api] max_future_skew``) and ``leadgate import events``
#: refuse later events: one stored ahead of the clock would count as soon as it is stored.
MAX_FUTURE_SKEW = dt.timedelta(minutes=5)


class Clock(Protocol):
    """Anything with ``now()`` returning an aware UTC datetime."""

    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...


@dataclass(frozen=True)
class SystemClock:
    """The machine's clock, to the second (what a user's command means by "now")."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    def today(self) -> dt.date:
        return self.now().date()


@dataclass(frozen=True)
class FixedClock:
    """A clock that always says ``at`` (naive values are taken as UTC)."""

    at: dt.datetime

    def now(self) -> dt.datetime:
        if self.at.tzinfo is None:
            return self.at.replace(tzinfo=dt.timezone.utc)
        return self.at.astimezone(dt.timezone.utc)

    def today(self) -> dt.date:
        return self.now().date()


def naive_utc(clock: Clock) -> dt.datetime:
    """``clock.now()`` as the store keeps timestamps: naive, in UTC."""
    return store_time(clock.now())


_UTC = dt.timezone.utc


@overload
def store_time(when: dt.datetime) -> dt.datetime: ...
@overload
def store_time(when: None) -> None: ...


def store_time(when: dt.datetime | None) -> dt.datetime | None:
    """``when`` as the store keeps times: naive, in UTC (a naive time is UTC already;
    None stays None: a filter's open end).

    Its date and time combined, not ``replace(tzinfo=None)``: CPython 3.11 takes 2.2 µs
    for that, this 0.5, and the API makes every event's time naive on its event loop (a
    quarter of the loop's time under batches of 1,000 events went to it: issue #9).

    >>> paris = dt.timezone(dt.timedelta(hours=1))
    >>> store_time(dt.datetime(2026, 3, 1, 10, 30, tzinfo=paris)).isoformat()
    '2026-03-01T09:30:00'
    >>> store_time(dt.datetime(2026, 3, 1, 10, 30)).isoformat()
    '2026-03-01T10:30:00'
    """
    if when is None or when.tzinfo is None:
        return when
    if when.tzinfo is not _UTC:
        when = when.astimezone(_UTC)
    return dt.datetime.combine(when.date(), when.time())


__all__ = ["Clock", "FixedClock", "SystemClock", "naive_utc", "store_time"]
