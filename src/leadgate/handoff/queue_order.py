"""The queue's order kept in memory by a long-running process (``leadgate serve``).

A page of the plain queue needs the next few leads in queue order (entry tier, MQL entry,
id: :mod:`.queue`). Read from the store, that is a top-N over every MQL entry on each
request: a scan and a heap over about 100,000 rows at a million leads, 15-50 ms of CPU,
which twenty people on the dashboard pay twenty times over. No store index gives that
order (DuckDB's indexes answer equality, not ``ORDER BY``), so the server keeps it.

:class:`KeptOrder` holds the sort keys of every lead in the queue (stage ``mql`` or
``sal`` with an MQL entry), sorted once, and answers a page by binary search. Keeping it
right is the question. The server has one writer (:mod:`leadgate.api.writer`), and every
change to the store passes through it: scoring that enters MQLs, sales actions, sweeps,
imports and merges made through the server, erasures. Rather than teach each of those to
edit the order (a new write path forgetting to would make the queue silently wrong), the
writer counts its calls and the statements run on the held store (``Writer.generation``),
and the kept order remembers the count it was read at. A reader's snapshot records the
count before its transaction began (:class:`~leadgate.store.snapshot.Snapshot`); when
the count has grown since the order was read, the order is read again, once, from that
snapshot (the other readers wait for it or use it), so a page never shows an order older
than its own snapshot. A queue nobody writes to is read once; under a steady stream of
writes the order is read again at most once per write, shared by every reader, instead
of once per page.

Each key also holds the lead's first sales touch (it stops the SLA clock): a touch is a
write, so it too makes the order be read again. The lead rows of a page are read from the
page's own snapshot, and their stage checked again (a lead that left the queue is
skipped). Filters on the lead's own columns (source, search, owner) do not use the order
(:func:`.queue_page._joined`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..clock import store_time
from .queue import QUEUE_STAGES, QueueFilter

if TYPE_CHECKING:
    from ..store import Store

#: A lead's place in the queue (rank of its entry tier, MQL entry, id), its entry tier and
#: its first touch.
Key = tuple[int, dt.datetime, str, str | None, dt.datetime | None]


@dataclass(frozen=True)
class _Order:
    generation: int
    tiers: tuple[str, ...]
    keys: list[Key]


class KeptOrder:
    """The queue's sort keys, read again when the writer has written since (the module)."""

    def __init__(self) -> None:
        self._order: _Order | None = None
        self._lock = threading.Lock()
        #: How many times the order was read from the store (the tests count them).
        self.reads = 0

    def entries(
        self,
        store: Store,
        generation: int,
        tiers: list[str],
        f: QueueFilter,
        after: tuple[int, dt.datetime, str] | None,
        batch: int,
    ) -> list[dict[str, Any]]:
        """The next ``batch`` MQL entries in queue order after ``after`` (as
        :func:`.queue_page._entered` returns them), for a snapshot taken at the writer's
        ``generation``."""
        keys = self._keys(store, generation, tuple(tiers))
        start = 0 if after is None else bisect.bisect_right(keys, after, key=lambda k: k[:3])
        since, until = store_time(f.since), store_time(f.until)
        picked: list[Key] = []
        for key in keys[start:]:
            if (f.tier is not None and key[3] != f.tier) or (since and key[1] < since):
                continue
            if until is not None and key[1] >= until:
                continue
            picked.append(key)
            if len(picked) == batch:
                break
        return [
            {
                "lead_id": lead_id,
                "mql_tier": tier,
                "mql_at": entered,
                "first_touch_at": touched,
                "rank": rank,
                "entered": entered,
            }
            for rank, entered, lead_id, tier, touched in picked
        ]

    def _keys(self, store: Store, generation: int, tiers: tuple[str, ...]) -> list[Key]:
        order = self._order
        if order is not None and order.generation == generation and order.tiers == tiers:
            return order.keys
        with self._lock:  # one reader reads it; the others wait for its result
            order = self._order
            if order is None or order.generation != generation or order.tiers != tiers:
                order = _Order(generation, tiers, read_keys(store, list(tiers)))
                self.reads += 1
                # A reader with an older snapshot must not replace a newer order.
                if self._order is None or self._order.generation <= generation:
                    self._order = order
            return order.keys


def read_keys(store: Store, tiers: list[str]) -> list[Key]:
    """Every lead in a queue stage with an MQL entry, in queue order."""
    stages = ", ".join(f"'{s}'" for s in QUEUE_STAGES)
    rows = store.execute(
        "SELECT coalesce(list_position(?, h.mql_tier), ?) AS rank, h.mql_at, h.lead_id, "
        "h.mql_tier, h.first_touch_at FROM lead_handoff h JOIN leads l USING (lead_id) "
        f"WHERE h.mql_at IS NOT NULL AND l.stage IN ({stages}) ORDER BY 1, 2, 3",
        [tiers, len(tiers) + 1],
    ).fetchall()
    return [tuple(r) for r in rows]


__all__ = ["KeptOrder", "read_keys"]
