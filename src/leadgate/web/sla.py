"""An MQL's SLA countdown as the queue shows it: a state (colour) and words (text).

The clock starts at MQL entry (``lead_handoff.mql_at``) and its due time is the one
:meth:`Project.queue` and :meth:`Project.lead` give, counted as ``leadgate sla`` counts it
(business hours where the tier says so); the first sales touch stops it. Due soon: less
than a quarter of the time from entry to due is left, or less than an hour.

>>> row = {"mql_at": dt.datetime(2026, 1, 1, 9), "first_touch_at": None}
>>> sla_state(row, dt.datetime(2026, 1, 1, 13), dt.datetime(2026, 1, 1, 12, 30))["text"]
'due soon: 30m left'
>>> sla_state(row, dt.datetime(2026, 1, 1, 13), dt.datetime(2026, 1, 2, 15))["text"]
'breached 1d 2h ago'
"""

from __future__ import annotations

import datetime as dt
from typing import Any

#: Due soon: less than this share of the SLA is left (or less than an hour).
SOON_SHARE = 0.25


def sla_state(row: dict[str, Any], due: dt.datetime | None, now: dt.datetime) -> dict[str, Any]:
    """``{"state", "text", "due"}``: state is ``none``, ``met``, ``late``, ``due``, ``soon``
    or ``breached``; ``text`` says the same in words with the time left or overdue."""
    mql_at = row.get("mql_at")
    if mql_at is None or due is None:
        return {"state": "none", "text": "no SLA", "due": None}
    sla = due - mql_at
    touched = row.get("first_touch_at")
    if touched is not None:
        met = touched <= due
        state, words = ("met", "contacted in time") if met else ("late", "contacted late")
        return {"state": state, "text": words, "due": due}
    left = due - now
    if left <= dt.timedelta(0):
        return {"state": "breached", "text": f"breached {span(-left)} ago", "due": due}
    if left < max(sla * SOON_SHARE, dt.timedelta(hours=1)) and left < sla:
        return {"state": "soon", "text": f"due soon: {span(left)} left", "due": due}
    return {"state": "due", "text": f"due in {span(left)}", "due": due}


def span(delta: dt.timedelta) -> str:
    """A duration in the two largest units: ``2d 4h``, ``3h 20m``, ``45m``.

    >>> span(dt.timedelta(days=2, hours=4, minutes=5))
    '2d 4h'
    """
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "m")]
    shown = [f"{n}{u}" for n, u in parts if n][:2]
    return " ".join(shown) or "under 1m"
