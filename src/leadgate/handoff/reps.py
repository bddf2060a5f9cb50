"""Sales reps as ``leadgate.toml``'s ``[[reps]]`` describe them, and when each can take a lead.

A rep belongs to one or more teams (a routing rule sends to ``team:NAME``, or ``pool:NAME``:
the same thing, the word is for the reader), takes a share of a team's leads in proportion
to ``weight``, works ``working_hours`` on ``days`` in their own ``timezone``, and is away on
the ``out_of_office`` dates. ``max_open`` and ``max_per_day`` cap what they are given.

>>> rep = parse_rep({"name": "Ana", "teams": ["emea"], "timezone": "Europe/Madrid"})
>>> rep.why_unavailable(dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc))
''
>>> rep.why_unavailable(dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.timezone.utc))
'outside working hours 09:00-17:00 Europe/Madrid (now Tue 21:00)'

Every problem of every rep is reported at once, each with its code (``LG64x``) and its
path (``reps[2].working_hours``), by :func:`rep_problems`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..vocabulary import suggest

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = DAYS[:5]
REP_KEYS = (
    "name",
    "email",
    "teams",
    "weight",
    "timezone",
    "working_hours",
    "days",
    "out_of_office",
    "max_open",
    "max_per_day",
)
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")

# Codes of the problems of [[reps]] (LG640-LG649); [routing]'s are in .routing.
REP_INVALID = "LG641"
REP_DUPLICATE = "LG642"


@dataclass(frozen=True)
class Rep:
    """One sales rep: who, which teams, what share, when available, what caps."""

    name: str
    email: str = ""
    teams: tuple[str, ...] = ()
    weight: float = 1.0
    timezone: str = "UTC"
    start_minute: int = 9 * 60
    end_minute: int = 17 * 60
    days: tuple[str, ...] = WORKDAYS
    out_of_office: tuple[tuple[dt.date, dt.date], ...] = ()
    max_open: int | None = None
    max_per_day: int | None = None

    @property
    def working_hours(self) -> str:
        return f"{_clock(self.start_minute)}-{_clock(self.end_minute)}"

    def local_date(self, now: dt.datetime) -> dt.date:
        """The date in the rep's zone at ``now`` (what their daily cap counts)."""
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def why_unavailable(self, now: dt.datetime) -> str:
        """Why the rep cannot take a lead at ``now`` (aware), or "" when they can."""
        local = now.astimezone(ZoneInfo(self.timezone))
        for first, last in self.out_of_office:
            if first <= local.date() <= last:
                return f"out of office until {last.isoformat()}"
        day = DAYS[local.weekday()]
        minute = local.hour * 60 + local.minute
        if day not in self.days or not self.start_minute <= minute < self.end_minute:
            at = f"{day.capitalize()} {local:%H:%M}"
            return f"outside working hours {self.working_hours} {self.timezone} (now {at})"
        return ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "email": self.email,
            "teams": list(self.teams),
            "weight": self.weight,
            "timezone": self.timezone,
            "working_hours": self.working_hours,
            "days": list(self.days),
            "out_of_office": [f"{a.isoformat()}..{b.isoformat()}" for a, b in self.out_of_office],
            "max_open": self.max_open,
            "max_per_day": self.max_per_day,
        }


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_rep(table: dict[str, Any]) -> Rep:
    """A :class:`Rep` from a ``[[reps]]`` table that :func:`rep_problems` found correct."""
    start, end = _hours(str(table.get("working_hours", "09:00-17:00")))
    return Rep(
        name=str(table["name"]),
        email=str(table.get("email", "")),
        teams=tuple(table.get("teams", ())),
        weight=float(table.get("weight", 1)),
        timezone=str(table.get("timezone", "UTC")),
        start_minute=start,
        end_minute=end,
        days=tuple(d.lower() for d in table.get("days", WORKDAYS)),
        out_of_office=tuple(_period(p) for p in table.get("out_of_office", ())),
        max_open=table.get("max_open"),
        max_per_day=table.get("max_per_day"),
    )


def _hours(text: str) -> tuple[int, int]:
    match = _HOURS.match(text.strip())
    if not match:
        raise ValueError(f'working hours must read like "09:00-17:00". Got {text!r}')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start or end > 24 * 60:
        raise ValueError(f"working hours must end after they start, on the same day: {text!r}")
    return start, end


def _period(text: str) -> tuple[dt.date, dt.date]:
    first, _, last = str(text).partition("..")
    try:
        start = dt.date.fromisoformat(first.strip())
        end = dt.date.fromisoformat(last.strip()) if last else start
    except ValueError:
        raise ValueError(
            f'out-of-office dates read like "2026-12-24..2026-12-31" or "2026-12-24". Got {text!r}'
        ) from None
    if end < start:
        raise ValueError(f"the out-of-office period {text!r} ends before it starts")
    return start, end


def rep_problems(reps: Any) -> list[str]:
    """Every problem of the ``[[reps]]`` tables, each with its code and path."""
    if not isinstance(reps, list) or not all(isinstance(r, dict) for r in reps):
        return [f"{REP_INVALID} 'reps' must be [[reps]] tables, one per rep"]
    problems: list[str] = []
    seen: set[str] = set()
    for i, table in enumerate(reps):
        where = f"reps[{i}]"
        problems += [_field_problem(where, key, table) for key in table]
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{REP_INVALID} {where}.name is required: the rep's name in quotes")
        elif name in seen:
            problems.append(f"{REP_DUPLICATE} {where}.name: two reps are called {name!r}")
        else:
            seen.add(name)
    return [p for p in problems if p]


def _field_problem(where: str, key: str, table: dict[str, Any]) -> str:  # noqa: C901
    """What is wrong with one key of a rep, or ""."""
    value, path = table[key], f"{REP_INVALID} {where}.{key}"
    if key not in REP_KEYS:
        near = suggest(key, REP_KEYS)
        return f"{path}: unknown setting" + (f" (did you mean '{near}'?)" if near else "")
    if key in ("name", "email") and not isinstance(value, str):
        return f"{path} must be text in quotes. Got {value!r}"
    if key == "teams" and not _texts(value):
        return f'{path} must be a list of team names, e.g. ["emea"]. Got {value!r}'
    if key == "weight" and (not _number(value) or value <= 0):
        return f"{path} must be a number above 0 (a rep of weight 2 gets twice the leads of 1)"
    if key in ("max_open", "max_per_day") and (
        isinstance(value, bool) or not isinstance(value, int) or value < 0
    ):
        return f"{path} must be a whole number of leads, 0 or more. Got {value!r}"
    if key == "timezone":
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            return f'{path}: unknown time zone {value!r} (use a name like "Europe/Madrid")'
    if key == "days" and not (_texts(value) and all(str(d).lower() in DAYS for d in value)):
        return f'{path} must list days among {", ".join(DAYS)}, e.g. ["mon", "tue"]. Got {value!r}'
    try:
        if key == "working_hours":
            _hours(str(value))
        if key == "out_of_office":
            if not _texts(value):
                return f'{path} must be a list of dates, e.g. ["2026-12-24..2026-12-31"]'
            for period in value:
                _period(period)
    except ValueError as exc:
        return f"{path}: {exc}"
    return ""


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


__all__ = ["DAYS", "Rep", "parse_rep", "rep_problems"]
