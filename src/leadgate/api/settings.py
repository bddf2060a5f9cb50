"""The server's limits and switches: the ``[api]`` table of ``leadgate.toml``.

==========================  ==========  ====================================================
key                         default     meaning
==========================  ==========  ====================================================
``max_body_bytes``          10485760    a request body above it is refused (413)
``max_events``              10000       events (or leads) in one request, at most (413)
``max_future_skew``         ``"5m"``    an event time further ahead of the server's clock
                                        is refused (422): a wrong zone or clock, not data
``group_max_events``        50000       a group commit takes requests until it holds this
                                        many rows (one request is never split)
``live_cache_leads``        200000      leads whose scoring state stays in memory (LRU)
``resident``                ``true``    hold every lead, account, identity and the events
                                        inside the definition's look-back in memory, read
                                        at the first commit (see :mod:`.resident`); off,
                                        each lead not held is read from the store
``plan_leads``              600         a group commit touching at least this many leads
                                        rescores them with the compiled plan over what the
                                        server holds (see :mod:`.live_plan`), a smaller
                                        one lead by lead; when scores read the account,
                                        counted with the other leads of their accounts
``event_index``             ``true``    index ``events`` by lead and visitor, and the
                                        lead and queue pages' lookups, at start
                                        (see :mod:`.service`)
``deliver``                 ``true``    the server posts due outbox messages itself
``deliver_every``           ``"2s"``    how often the delivery worker looks for due messages
``sweep``                   ``true``    the server sweeps itself: lifecycle recycles and SLA
                                        breaches, with their actions (``leadgate sweep``)
``sweep_every``             ``"1m"``    how often it sweeps, as of its clock's now
``checkpoint_wal_mib``      256         DuckDB checkpoints by itself, inside a commit, only
                                        once its write-ahead log holds this many MiB
``checkpoint``              ``true``    the server checkpoints the store itself in the
                                        ingest's pauses (false: only DuckDB does, at
                                        ``checkpoint_wal_mib``; for a process that uses the
                                        held store beside the server, such as a test)
``checkpoint_idle``         ``"1s"``    the server checkpoints once no request has come
                                        for this long (see :mod:`.checkpoints`)
``readers``                 4           reader threads: reads beside the one writer, each
                                        through its own cursor (see :mod:`.readers`)
``write_behind``            ``true``    answer a group of events once it is in the journal
                                        and write it to the store with later groups (see
                                        :mod:`.behind`); off, every group commits alone
``behind_max_events``       5000        pending events that make the writer write them
                                        although requests wait
``behind_max_age``          ``"200ms"`` the same, for the oldest pending group's age
``behind_flush_idle``       ``true``    write the pending groups as soon as no request
                                        waits (false: only at the two limits above, or
                                        when a read or another call needs them)
``full_gc``                 ``true``    the server makes Python's full garbage
                                        collections itself, in the ingest's pauses (see
                                        :mod:`.collector`); false: Python makes them
``full_gc_every``           ``"5m"``    and at the latest this often under a load that
                                        never pauses
==========================  ==========  ====================================================

>>> ApiSettings.from_table({"max_events": 500}).max_events
500
>>> ApiSettings.from_table({"max_future_skew": "1h"}).max_future_skew
datetime.timedelta(seconds=3600)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..clock import MAX_FUTURE_SKEW
from ..errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(key: str, value: Any) -> dt.timedelta:
    """``"5m"``, ``"30s"``, ``"250ms"``, ``"1h"``, ``"2d"`` as a timedelta."""
    found = _DURATION.match(value) if isinstance(value, str) else None
    if found is None:
        raise ConfigError(
            f'[api] {key} must be a duration such as "5m", "30s" or "250ms". Got {value!r} instead.'
        )
    return dt.timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])


@dataclass(frozen=True)
class ApiSettings:
    max_body_bytes: int = 10 * 1024 * 1024
    max_events: int = 10_000
    max_future_skew: dt.timedelta = MAX_FUTURE_SKEW
    group_max_events: int = 50_000
    live_cache_leads: int = 200_000
    resident: bool = True
    plan_leads: int = 600
    event_index: bool = True
    deliver: bool = True
    deliver_every: dt.timedelta = dt.timedelta(seconds=2)
    sweep: bool = True
    sweep_every: dt.timedelta = dt.timedelta(minutes=1)
    checkpoint_wal_mib: int = 256
    checkpoint: bool = True
    checkpoint_idle: dt.timedelta = dt.timedelta(seconds=1)
    readers: int = 4
    write_behind: bool = True
    behind_max_events: int = 5_000
    behind_max_age: dt.timedelta = dt.timedelta(milliseconds=200)
    behind_flush_idle: bool = True
    full_gc: bool = True
    full_gc_every: dt.timedelta = dt.timedelta(minutes=5)

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> ApiSettings:
        """The settings of an ``[api]`` table; an unknown key or a bad value is refused."""
        numbers = (
            "max_body_bytes", "max_events", "group_max_events", "live_cache_leads", "readers",
            "plan_leads", "checkpoint_wal_mib", "behind_max_events",
        )  # fmt: skip
        switches = (
            "deliver",
            "event_index",
            "sweep",
            "resident",
            "checkpoint",
            "write_behind",
            "behind_flush_idle",
            "full_gc",
        )
        durations = (
            "max_future_skew", "deliver_every", "sweep_every", "checkpoint_idle",
            "behind_max_age", "full_gc_every",
        )  # fmt: skip
        known = (*numbers, *durations, *switches)
        unknown = [k for k in table if k not in known]
        if unknown:
            raise ConfigError(f"Unknown [api] key {unknown[0]!r}: use one of {', '.join(known)}.")
        values: dict[str, Any] = {}
        for key in numbers:
            if key in table:
                value = table[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ConfigError(f"[api] {key} must be a whole number above 0. Got {value!r}.")
                values[key] = value
        for key in durations:
            if key in table:
                values[key] = duration(key, table[key])
        for key in switches:
            if key in table:
                if not isinstance(table[key], bool):
                    raise ConfigError(f"[api] {key} must be true or false. Got {table[key]!r}.")
                values[key] = table[key]
        return cls(**values)
