"""Date fields in rules: how a stored date is read, and ``days_since(field)``.

A declared ``date`` attribute (an export's ``Last Activity Date``) is read only through
``days_since(field)``: the days, with their fraction, from the date to the scoring time, as
``days_since(pricing_page)`` is for events; ``field is null`` tests it too. Both engines read
a stored date as µs since the epoch, UTC (:func:`to_date`; the SQL plan in
:mod:`leadgate.scoring.steps` mirrors it), and compute the days once per lead beside the
field, under :func:`days_key`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import re2

from .ast import Call, Field

DATE = "date"
#: The code of a date read other than through ``days_since()``, or ``days_since()`` of a
#: field that is no date (``leadgate.definition.codes.NOT_A_DATE``).
NOT_A_DATE = "LG128"

_EPOCH = dt.datetime(1970, 1, 1)
DAY_US = 86_400_000_000
#: The text a date field's value may be when the store keeps it as text: what DuckDB's
#: TRY_CAST(... AS TIMESTAMP) reads alike (leadgate.scoring.steps writes the same test).
DATE_TEXT = (
    r"^([1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])-\d{2}-\d{2}"  # no year 0: DuckDB reads 1 BC
    r"([ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?)?$"  # no 24:00: DuckDB reads the next day
)
_DATE_TEXT = re2.compile(DATE_TEXT)


def to_date(value: Any) -> Any:
    """A stored date or time as µs since the epoch, UTC (the store's convention: naive
    values are UTC); ISO text (``2026-05-01``, ``2026-05-01 09:30``) too; anything else,
    a number included, is missing, as the SQL plan reads it."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _DATE_TEXT.match(text):
            return None
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:  # 2026-02-30: no such day
            return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, dt.date):
        return (value - _EPOCH.date()).days * DAY_US
    return None


def days_since(as_of_us: int, date_us: int | None) -> float | None:
    """Days from a date (µs) to the scoring time, with their fraction (36 hours: 1.5).

    Missing when the date is missing or after the scoring time: such a value was written
    after the time scored (a later export, a backtest), so it says nothing about that time;
    as events after the as-of time count for nothing, the rule is not judged.
    """
    if date_us is None or date_us > as_of_us:
        return None
    return (as_of_us - date_us) / 86400000000.0


def date_argument(node: Call, types: Mapping[str, str]) -> str | None:
    """The date field of ``days_since(field)``, else None (``days_since`` of events).

    A name that is both a date field and an event type reads the field.
    """
    if node.name != "days_since" or len(node.args) != 1:
        return None
    arg = node.args[0]
    if isinstance(arg, Field) and types.get(arg.name) == DATE:
        return arg.name
    return None


def days_key(name: str) -> str:
    """What ``days_since(name)`` of a date field is called in the engines' name maps."""
    return f"days_since({name})"
