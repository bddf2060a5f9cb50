"""Dates as CRM exports write them: the shapes read without help, and the formats an
import is told.

ISO 8601 (``2024-01-05``, ``2024-01-05 14:30``, ``2024-01-05T14:30:00+02:00``) is read by a
cast (:func:`iso_expr`), first, as it always was. Where that cast fails, a text column of a
date field tries the strptime formats of its :class:`DateRead`, in one ``try_strptime`` over
a short list: set-based SQL, no Python per row, and nothing more for a value the cast read.

The formats come from ``--date-format`` (or a mapping's ``date_format``/``date_formats``:
:func:`explicit`), else from the column itself (:mod:`.date_columns`): the shapes its
values take among :func:`shapes` (``5 Jan 2024``, ``Jan 5, 2024``, ``January 5 2024``,
``2024/01/05``, ``01/05/2024`` in the column's one day/month order, each with or without a
time such as ``14:30`` or ``2:00 PM``). Only the formats the column uses are tried: each
format a value fails costs DuckDB about a microsecond, so a list of all 150 shapes would
make a million non-ISO values take minutes.

A two-digit year is never read as a four-digit one: DuckDB's cast reads ``1/1/24`` as the
year 1 and ``%Y`` reads ``24`` as the year 24, so the cast takes only text that starts with
a four-digit year and a ``%Y`` format only text holding four digits in a row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import BAD_DATE_FORMAT, BAD_OPTION, ImportFailed
from ..store import Store
from .readers import quote_literal

DATE_ORDERS = {"mdy": "month first", "dmy": "day first"}
DEFAULT_ORDER = "mdy"
# What may follow a date: nothing, or a time of day, 24-hour or with AM/PM (Salesforce's
# report export writes "10/1/2025, 2:00 PM").
TIMES = (
    "",
    " %H:%M",
    " %H:%M:%S",
    " %I:%M %p",
    " %I:%M:%S %p",
    " %I:%M%p",
    ", %H:%M",
    ", %H:%M:%S",
    ", %I:%M %p",
    ", %I:%M:%S %p",
)
# Month names can be told from days and years; %b is "Jan", %B "January".
NAMED = (
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
)
YEAR_FIRST = ("%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d")
NUMERIC = {
    "mdy": ("%m/%d/%Y", "%m.%d.%Y", "%m-%d-%Y"),
    "dmy": ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"),
}
_TIME_START = re.compile(r"[ ,T]*%-?[HIMSpfzZ]")


@dataclass(frozen=True)
class DateRead:
    """How one column's dates are read where the ISO cast fails: the ``formats`` tried,
    and what a reject says it expected."""

    formats: tuple[str, ...] = ()
    expected: str = ""  # "" when only ISO 8601 is read (see reason)
    order: str | None = None
    # Why a column of day/month dates is read in ``order`` ("by default", ...), and one of
    # its values: what a caller tells whoever sent the dates (see ImportReport.date_orders).
    why: str = ""
    example: str | None = None

    def sql(self, text: str, timezone: str) -> str | None:
        """SQL: ``text`` read by the formats, as naive UTC (a value without an offset is
        in ``timezone``: the session zone the import sets), NULL where none fits.

        No expression appears twice: DuckDB's common subexpression pass would compute a
        repeated one for every row, ISO or not, below the COALESCE that spares ISO rows.
        """
        parts = []
        for aware, four in ((True, True), (True, False), (False, True), (False, False)):
            chosen = [f for f in self.formats if _aware(f) == aware and ("%Y" in f) == four]
            if not chosen:
                continue
            parsed = f"try_strptime({text}, {_list(chosen)})"
            if aware:
                parsed = f"timezone('UTC', {parsed})"
            elif timezone != "UTC":
                parsed = local_sql(parsed, timezone)
            if four:
                parsed = f"CASE WHEN regexp_matches({text}, '[0-9]{{4}}') THEN {parsed} END"
            parts.append(parsed)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"

    def reason(self, timezone: str = "UTC") -> tuple[str, bool]:
        """A reject's reason, and whether it is SQL (over ``s._raw``, the value); a value
        the cast would have changed says how (see :func:`time_reason`)."""
        if self.expected:
            base = quote_literal(f"not a date or time {self.expected}")
            return time_reason(base, timezone, self.formats), True
        # A column of ISO dates: a value that looks like another layout of a date is told
        # how to give it; any other is simply not a date.
        other = (
            "not a date or time: the column's first rows are ISO 8601 (2024-01-05 14:30); "
            "give its layout with --date-format"
        )
        looks = r"^\s*[0-9A-Za-z]{1,9}[ /.,-]+[0-9A-Za-z]{1,9}[ /.,-]+[0-9]{2,4}"
        sql = (
            f"CASE WHEN regexp_matches(s._raw, {quote_literal(looks)}) "
            f"THEN {quote_literal(other)} ELSE 'not a date or time' END"
        )
        return time_reason(sql, timezone), True


# What DuckDB's cast would change silently: a fraction finer than the store's microseconds
# (cut), and a UTC offset no place has, beyond +-18:00 or with minutes above 59 (taken as
# given). Such a value is a reject that says which (see time_reason).
_FINER = r"\.[0-9]{7}"
_NO_OFFSET = (
    r"[0-9]:[0-9]{2}(\.[0-9]*)? ?[+-]((19|[2-9][0-9])(:?[0-9]{2})?|18:?(0[1-9]|[1-5][0-9])"
    r"|[0-9]{2}:?[6-9][0-9])$"
)
# A time that names its zone: an offset, Z, or a zone's name (3 letters or more: not AM/PM).
_ZONED = r":[0-9]{2}(\.[0-9]*)? ?(Z|[+-][0-9]{1,2}(:?[0-9]{2})?|[A-Za-z]{3}[A-Za-z_/+-]*)$"


def iso_expr(text: str, timezone: str) -> str:
    """``text`` (ISO 8601, with or without a time and an offset) as naive UTC, else NULL.

    DuckDB's cast also reads '1/1/24' as the year 1 and '24-01-05' as the year 24, so only
    text that starts with a four-digit year is cast: other dates are for :class:`DateRead`.
    Nor does the cast refuse what it would change: a fraction below the microsecond, an
    offset beyond +-18:00, or (outside UTC) a local time a daylight-saving change skips or
    repeats (see :func:`local_sql`); those are NULL, each a reject saying why.
    """
    four = f"TRY_CAST(left({text}, 4) AS USMALLINT) IS NOT NULL"  # no regex: a hot path
    # The usual shapes hold neither ('...:00Z' of 27 characters or fewer, and the two of
    # the fast path below): no regular expression runs for them.
    plain = f"{text} LIKE '____-__-__ __:__:__' OR {text} LIKE '____-__-__'"
    keepable = (
        f"CASE WHEN {plain} OR suffix({text}, 'Z') AND length({text}) <= 27 THEN true "
        f"ELSE NOT regexp_matches({text}, {quote_literal(_FINER + '|' + _NO_OFFSET)}) END"
    )
    cast = f"timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ))"
    if timezone != "UTC":
        # A naive value is a wall-clock time there: one the clocks skip or repeat is none.
        # The usual shapes hold no zone: the regular expression is for the others. The
        # TIMESTAMP cast ignores what follows a time ('12:00 AM' is noon): a value of
        # another shape is read naive only when the TIMESTAMPTZ cast reads it too.
        naive = local_sql(f"TRY_CAST({text} AS TIMESTAMP)", timezone)
        cast = (
            f"CASE WHEN {plain} "
            f"THEN {naive} WHEN regexp_matches({text}, {quote_literal(_ZONED)}) THEN {cast} "
            f"WHEN TRY_CAST({text} AS TIMESTAMPTZ) IS NOT NULL THEN {naive} END"
        )
    general = (
        f"CASE WHEN ({text} LIKE '____-%' OR {text} LIKE '____/%') AND {four} "
        f"AND {keepable} THEN {cast} END"
    )
    if timezone != "UTC":
        return general
    # In UTC a value without an offset needs no zone arithmetic, and a plain TIMESTAMP
    # cast is several times cheaper than the TIMESTAMPTZ one. But a TIMESTAMP cast
    # drops an offset silently, so only the two shapes that cannot hold one take it:
    # 'YYYY-MM-DD hh:mm:ss' and 'YYYY-MM-DD'. Anything else (fractions, 'T', an offset
    # or a zone) takes the general path, which is always right. LIKE with '_' only is a
    # length and character test: a third cheaper than a regular expression per value.
    return (
        f"CASE WHEN {text} LIKE '____-__-__ __:__:__' OR {text} LIKE '____-__-__' "
        f"THEN TRY_CAST({text} AS TIMESTAMP) ELSE {general} END"
    )


def local_sql(wall: str, timezone: str) -> str:
    """SQL: ``wall`` (a naive wall-clock time in ``timezone``) as naive UTC; NULL when the
    clocks there skip it (a daylight-saving gap: 02:30 on the last Sunday of March in
    Europe/Madrid) or show it twice (the fold, an hour later in the year), where DuckDB
    would pick an instant silently. Folds of a whole hour are told, as nearly every zone's.
    A midnight the clocks skip is the exception: it is the start of its day, read as the
    day's first instant (a date alone names the day).
    """
    zone = quote_literal(timezone)
    at = f"timezone({zone}, {wall})"
    months, hours = changing_walls(timezone)
    if not months:  # a zone that never changed its offset: every wall time is once
        return f"timezone('UTC', {at})"
    # The checks cost three conversions more: only the wall times in the months and hours
    # of the zone's changes since 1970 take them (a few percent, for most zones).
    # A day's start that the clocks skip (Brazil's and Chile's changes were at midnight: a
    # date without a time, 2017-10-15 in America/Sao_Paulo) is that day's first instant,
    # 01:00: a date names the day, and the day began then.
    return (
        f"CASE WHEN hour({wall}) NOT IN ({', '.join(map(str, hours))}) "
        f"OR month({wall}) NOT IN ({', '.join(map(str, months))}) "
        f"OR (timezone({zone}, {at}) = {wall} "
        f"AND timezone({zone}, {at} - INTERVAL 1 HOUR) <> {wall} "
        f"AND timezone({zone}, {at} + INTERVAL 1 HOUR) <> {wall}) "
        f"THEN timezone('UTC', {at}) "
        f"WHEN {wall} = date_trunc('day', {wall}) AND timezone({zone}, {at}) <> {wall} "
        f"THEN timezone('UTC', timezone({zone}, {wall} + INTERVAL 1 HOUR)) END"
    )


@functools.lru_cache
def changing_walls(timezone: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The months and the hours of the wall times ``timezone`` skipped or showed twice from
    1970 to 2039, as zoneinfo says (both empty for a zone that never changed its offset).
    Weeks are compared first, the hours of a week that changed then: a few thousand
    look-ups, once per zone.

    >>> changing_walls("Europe/Madrid")[1], changing_walls("UTC")
    ((0, 1, 2, 3, 22, 23), ((), ()))
    """
    tz, utc = zoneinfo.ZoneInfo(timezone), dt.timezone.utc
    months: set[int] = set()
    hours: set[int] = set()
    hour, week = dt.timedelta(hours=1), dt.timedelta(days=7)
    at, end = dt.datetime(1970, 1, 1, tzinfo=utc), dt.datetime(2040, 1, 1, tzinfo=utc)
    while at < end:
        if at.astimezone(tz).utcoffset() != (at + week).astimezone(tz).utcoffset():
            for n in range(7 * 24):
                a, b = at + n * hour, at + (n + 1) * hour
                before, after = a.astimezone(tz).utcoffset(), b.astimezone(tz).utcoffset()
                if before is None or after is None or before == after:
                    continue
                wall = (a + min(before, after)).replace(tzinfo=None, minute=0, second=0)
                while wall <= (b + max(before, after)).replace(tzinfo=None):
                    months.add(wall.month)
                    hours.add(wall.hour)
                    wall += hour
        at += week
    return tuple(sorted(months)), tuple(sorted(hours))


def time_reason(base: str, timezone: str, formats: Sequence[str] = ()) -> str:
    """SQL over ``s._raw``: why a value of a date column is a reject; ``base`` (SQL) when
    it is simply no date. A fraction finer than microseconds, an offset beyond +-18:00 and
    a local time a daylight-saving change skips or repeats are named, with what to do."""
    raw = "s._raw"
    cases = [
        (f"regexp_matches({raw}, {quote_literal(_FINER)})",
         "more than 6 digits after the second: the store keeps microseconds; round the "
         "value to 6 digits in the source (nothing is cut here)"),
        (f"regexp_matches({raw}, {quote_literal(_NO_OFFSET)})",
         "not a UTC offset: offsets run from -18:00 to +18:00, minutes 00-59; check the "
         "value's offset in the source"),
    ]  # fmt: skip
    if timezone != "UTC":
        read = f"TRY_CAST({raw} AS TIMESTAMPTZ) IS NOT NULL"  # see iso_expr: not '12:00 AM'
        wall = f"CASE WHEN {read} THEN TRY_CAST({raw} AS TIMESTAMP) END"
        if formats:
            wall = f"coalesce({wall}, try_strptime({raw}, {_list(formats)}))"
        zone, naive = quote_literal(timezone), f"NOT regexp_matches({raw}, {quote_literal(_ZONED)})"
        at = f"timezone({zone}, {wall})"
        cases += [
            (f"{naive} AND timezone({zone}, {at}) <> {wall} "
             f"AND {wall} <> date_trunc('day', {wall})",
             f"no such time in {timezone}: the clocks skip it (a daylight-saving change); "
             "check the value, or give its UTC offset"),
            (f"{naive} AND (timezone({zone}, {at} - INTERVAL 1 HOUR) = {wall} "
             f"OR timezone({zone}, {at} + INTERVAL 1 HOUR) = {wall})",
             f"ambiguous in {timezone}: the clocks show this time twice (a daylight-saving "
             "change); give its UTC offset to say which"),
        ]  # fmt: skip
    whens = "".join(f" WHEN {cond} THEN {quote_literal(why)}" for cond, why in cases)
    return f"CASE{whens} ELSE {base} END"


def shape_sql(text: str) -> str:
    """SQL: the shape of ``text``, every digit a ``9`` (letters are kept: translating them
    too costs DuckDB four times as much per value, and a column holds few month names)."""
    return f"translate({text}, '0123456789', '9999999999')"


def formats_for(shape: str, order: str | None) -> tuple[str, ...]:
    """The formats among :func:`shapes` that read text of ``shape`` (see :func:`shape_sql`).

    A run of digits is a day, month or time part, four or more a year; two letters are
    AM/PM, three a month's short name (``%b``; "May" too), more its full name (``%B``).

    >>> formats_for("99/9/9999, 9:99 PM", "mdy")
    ('%m/%d/%Y, %I:%M %p',)
    >>> formats_for("9 January 9999", None), formats_for("Jan 99, 9999", None)
    (('%d %B %Y',), ('%b %d, %Y',))
    """
    runs = re.sub(r"9{3,}", "Y", shape)
    runs = re.sub(r"9+", "9", runs)
    runs = re.sub(r"[A-Za-z]{2,}", lambda m: _LETTER_RUNS.get(len(m[0]), "B"), runs)
    return _BY_SHAPE.get(order, {}).get(runs, ())


_LETTER_RUNS = {2: "p", 3: "b"}


def _format_shape(fmt: str) -> str:
    out = fmt.replace("%Y", "Y").replace("%b", "b").replace("%B", "B").replace("%p", "p")
    return re.sub(r"%[dmHIMS]", "9", out)


def _aware(fmt: str) -> bool:
    return "%z" in fmt or "%Z" in fmt


def _list(formats: Sequence[str]) -> str:
    return "[" + ", ".join(quote_literal(f) for f in formats) + "]"


def shapes(order: str | None) -> tuple[str, ...]:
    """The formats read without help, with the day/month ones of ``order`` when known."""
    dates = [*NAMED, *YEAR_FIRST, *(NUMERIC[order] if order else ())]
    return tuple(d + t for d in dates for t in TIMES)


def _by_shape(order: str | None) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for fmt in shapes(order):
        key = _format_shape(fmt)
        out[key] = (*out.get(key, ()), fmt)
    return out


_BY_SHAPE = {order: _by_shape(order) for order in (None, *DATE_ORDERS)}


def explicit(store: Store, fmt: str, field: str) -> DateRead:
    """The read of a column given its format; a format with a time of day also reads its
    date alone (a report's "Created Date" beside its "Last Activity")."""
    check_format(store, fmt, field)
    formats = [fmt]
    cut = _TIME_START.search(fmt)
    if cut and cut.start() > 0:
        formats.append(fmt[: cut.start()])
    also = f" (or its date alone, {formats[1]!r})" if len(formats) > 1 else ""
    return DateRead(tuple(formats), f"in the format {fmt!r}{also}")


def check_format(store: Store, fmt: str, field: str) -> None:
    """:class:`ImportFailed` unless DuckDB can read dates by ``fmt``."""
    if not isinstance(fmt, str) or "%" not in fmt:
        raise ImportFailed(
            f"The date format {fmt!r} for {field} has no %-directive; write one such as "
            "'%m/%d/%Y %I:%M %p' (see strftime).",
            code=BAD_DATE_FORMAT,
        )
    try:
        store.execute(f"SELECT try_strptime('', {quote_literal(fmt)})").fetchall()
    except Exception as exc:  # duckdb's InvalidInputException: a bad directive
        raise ImportFailed(
            f"The date format {fmt!r} for {field} cannot be read: {exc}", code=BAD_DATE_FORMAT
        ) from exc


def date_formats_of(
    date_format: str | None,
    date_formats: Mapping[str, str] | None,
    mapping: Mapping[str, Any] | None,
) -> dict[str, str]:
    """Field → format, ``""`` for every date column: the import's own over the mapping's.

    >>> date_formats_of("%d/%m/%Y", None, {"date_formats": {"ts": "%Y%m%d"}})
    {'': '%d/%m/%Y', 'ts': '%Y%m%d'}
    """
    mapping = mapping or {}
    out: dict[str, str] = {}
    general = date_format if date_format is not None else mapping.get("date_format")
    if general is not None:
        out[""] = general
    for given in (mapping.get("date_formats"), date_formats):
        if given is None:
            continue
        if not isinstance(given, Mapping):
            raise ImportFailed(
                f"date_formats must be a table of field = format; got {given!r}.",
                code=BAD_DATE_FORMAT,
            )
        out.update({str(k): v for k, v in given.items()})
    return out


@dataclass(frozen=True)
class DateOptions:
    """What an import is told about its dates: formats by field (``""``: every date
    field) and the project's day/month order (None when not set)."""

    formats: Mapping[str, str] = dataclasses.field(default_factory=dict)
    order: str | None = None

    def __post_init__(self) -> None:
        if self.order is not None and self.order not in DATE_ORDERS:
            raise ImportFailed(
                f"Unknown date order {self.order!r}; use one of {', '.join(DATE_ORDERS)}.",
                code=BAD_OPTION,
            )


def parse_date_formats(values: Sequence[str]) -> tuple[str | None, dict[str, str]]:
    """The CLI's ``--date-format`` values: ``FORMAT`` for every date column, or
    ``FIELD=FORMAT`` for one.

    >>> parse_date_formats(["%d/%m/%Y", "created_at=%m/%d/%Y, %I:%M %p"])
    ('%d/%m/%Y', {'created_at': '%m/%d/%Y, %I:%M %p'})
    """
    general, by_field = None, {}
    for value in values:
        named = _FIELD_FORMAT.fullmatch(value)
        if named:
            by_field[named[1]] = named[2]
        elif general is not None:
            raise ImportFailed(
                f"Two formats for every date column: {general!r} and {value!r}; name the "
                "field of one: --date-format FIELD=FORMAT.",
                code=BAD_OPTION,
            )
        else:
            general = value
    return general, by_field


_FIELD_FORMAT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.+)")
