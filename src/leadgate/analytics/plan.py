"""Lead volume per month for a forecast: a stated plan, a CSV of it, or the store's history.

A plan is written as people say it, ``2027-01=5000,2027-02=5500``, or kept in a CSV with
the columns ``month`` and ``leads``. Every bad item is an error naming it (LG860): a month
that is not ``YYYY-MM``, a count that is not a whole number of leads (``5000.5`` is not
rounded), a month given twice. Nothing is guessed.

>>> parse_plan("2027-01=5000, 2027-02=5500")
{'2027-01': 5000, '2027-02': 5500}
>>> next_months("2026-11", 3)
['2026-11', '2026-12', '2027-01']
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from ..errors import LeadgateError
from ..store import Store

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: Complete months of history whose mean is the volume of each month forecast.
HISTORY_MONTHS = 3


class ForecastError(LeadgateError, ValueError):
    """A forecast cannot be made from what was given; the message says what to change."""

    code = "LG860"


class BadPlan(ForecastError):
    """A plan item (or CSV row) that is not a month and a whole number of leads."""

    code = "LG860"


class NoVolume(ForecastError):
    """Neither a plan nor a month of lead history to forecast from."""

    code = "LG861"


def _count(text: str, where: str) -> int:
    value = text.strip().replace("_", "")
    if not value.isdigit():
        raise BadPlan(f"{where}: {text.strip()!r} is not a whole number of leads; write e.g. 5000.")
    return int(value)


def _month(text: str, where: str) -> str:
    value = text.strip()
    if not MONTH.match(value):
        raise BadPlan(f"{where}: {value!r} is not a month; write it as YYYY-MM, e.g. 2027-01.")
    return value


def _add(plan: dict[str, int], month: str, leads: int, where: str) -> None:
    if month in plan:
        raise BadPlan(f"{where}: month {month} is given twice; give each month once.")
    plan[month] = leads


def parse_plan(text: str) -> dict[str, int]:
    """``"2027-01=5000,2027-02=5500"`` → ``{"2027-01": 5000, "2027-02": 5500}``."""
    plan: dict[str, int] = {}
    items = [item for item in text.split(",") if item.strip()]
    if not items:
        raise BadPlan("--plan is empty; write it as 2027-01=5000,2027-02=5500.")
    for i, item in enumerate(items, start=1):
        where = f"--plan item {i} ({item.strip()!r})"
        month, sep, leads = item.partition("=")
        if not sep:
            raise BadPlan(f"{where}: write it as MONTH=LEADS, e.g. 2027-01=5000.")
        _add(plan, _month(month, where), _count(leads, where), where)
    return dict(sorted(plan.items()))


def read_plan_csv(path: str | Path) -> dict[str, int]:
    """A CSV with the columns ``month`` and ``leads`` (any case, any order; others ignored)."""
    file = Path(path)
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise BadPlan(f"Cannot read the plan {file}: {exc.strerror}.") from None
    if not rows:
        raise BadPlan(f"{file} is empty; it needs the columns month and leads.")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("month", "leads") if c not in header]
    if missing:
        raise BadPlan(
            f"{file} line 1: no column {' or '.join(missing)}; the header must name month and "
            f"leads (found {', '.join(header) or 'nothing'})."
        )
    m, n = header.index("month"), header.index("leads")
    plan: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{file} line {line}"
        if len(row) <= max(m, n):
            raise BadPlan(f"{where}: the row has {len(row)} column(s), the header more.")
        _add(plan, _month(row[m], where), _count(row[n], where), where)
    if not plan:
        raise BadPlan(f"{file} has a header and no month; add rows such as 2027-01,5000.")
    return dict(sorted(plan.items()))


def read_plan(value: str) -> dict[str, int]:
    """``--plan``: a CSV file (a path ending in ``.csv``) or the plan written out."""
    if value.strip().lower().endswith(".csv"):
        return read_plan_csv(value.strip())
    return parse_plan(value)


def next_months(first: str, count: int) -> list[str]:
    """``count`` months from ``first`` (``YYYY-MM``) on."""
    year, month = int(first[:4]), int(first[5:])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def history(store: Store, as_of: dt.datetime, timezone: str) -> dict[str, int]:
    """Leads created per month (in the project's zone) up to ``as_of``, oldest first."""
    zone = timezone.replace("'", "")
    local = f"timezone('{zone}', timezone('UTC', created_at))"
    rows = store.execute(
        f"SELECT strftime({local}, '%Y-%m') AS m, count(*) FROM leads "
        "WHERE created_at <= ? AND created_at IS NOT NULL GROUP BY m ORDER BY m",
        [as_of],
    ).fetchall()
    return {str(m): int(n) for m, n in rows}


def volume_from_history(
    counts: dict[str, int], current: str, months: int
) -> tuple[dict[str, float], list[str]]:
    """The next ``months`` months from ``current`` (the as-of month, still running), each
    with the mean of the last :data:`HISTORY_MONTHS` complete months before it, and the
    months that mean was taken over."""
    complete = [m for m in counts if m < current][-HISTORY_MONTHS:]
    if not complete:
        raise NoVolume(
            "No complete month of leads before the as-of time to forecast from: give the "
            "volume with --plan 2027-01=5000,... or a CSV (--plan plan.csv)."
        )
    # Months with no lead at all are months too: count the gaps inside the span as zero.
    span = next_months(complete[0], _months_between(complete[0], current))[-HISTORY_MONTHS:]
    mean = sum(counts.get(m, 0) for m in span) / len(span)
    return dict.fromkeys(next_months(current, months), mean), span


def _months_between(first: str, last: str) -> int:
    """Months from ``first`` up to, not including, ``last``."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:])
