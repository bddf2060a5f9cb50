"""The server's full garbage collections: in the ingest's pauses, not inside a group.

Python's collector walks every object it tracks in a full (oldest generation) pass, and
every thread waits meanwhile (it holds the GIL). The server holds millions of long-lived
objects: the held scoring states (up to ``live_cache_leads`` leads), the events stored
since the held store was read, the overlays of the write-behind. Measured over HTTP at
1,000,000 leads / 50,000,000 events (issue #9, session 17, ``bench/README.md``): Python ran
a full pass every 0.6-1.5 s under load, each 17-187 ms and growing with the held states,
and none of them found anything to free. Each one stopped the writer, the flush and the
event loop at once: a 175 ms pass at 500 single events a second holds up about 90
requests, about the p99 of a 20-second run.

So, while it runs, the server turns Python's automatic full passes off (the young
generations are still collected as before: they are small) and makes them itself
(:func:`collect_when_idle`): once in each pause of the ingest, when the batcher has had
nothing to do for ``[api] checkpoint_idle`` after committing a group since the last pass,
and at the latest every ``[api] full_gc_every`` (5 minutes), under a load that never pauses
as in an idle server, so garbage in reference cycles is still freed. Once a pause, not
again and again in it: a pass over the whole heap costs ~0.2 s, and a server idle but for
its reads would spend a good part of a core on passes that find nothing. The thresholds go
back as they were when the server stops (a test embedding it keeps its own).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("leadgate.api")

#: The oldest generation's threshold while the server makes its full passes: never reached.
_NEVER = 1 << 30
#: Python's thresholds before the first server took over, and how many servers hold them
#: (two servers in one process, as in a test: the last one to stop gives them back).
_taken: list[tuple[int, int, int]] = []
_lock = threading.Lock()


class FullCollections:
    """Python's full collections, made by the server (see the module)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0  # spent in them
        self.last = time.monotonic()
        self.commits = 0  # the batcher's group commits at the last pass
        self._holding = False

    def take_over(self) -> None:
        """Turn Python's automatic full passes off (the young generations go on)."""
        with _lock:
            if self._holding:
                return
            self._holding = True
            if not _taken:
                saved = gc.get_threshold()
                _taken.append(saved)
                gc.set_threshold(saved[0], saved[1], _NEVER)
            else:
                _taken.append(_taken[0])

    def give_back(self) -> None:
        """Python's thresholds as they were, once no server holds them."""
        with _lock:
            if not self._holding:
                return
            self._holding = False
            saved = _taken.pop()
            if not _taken:
                gc.set_threshold(*saved)

    def collect(self) -> int:
        """One full pass now; the objects it freed."""
        started = time.perf_counter()
        freed = gc.collect()
        took = time.perf_counter() - started
        self.count += 1
        self.seconds += took
        self.last = time.monotonic()
        log.debug("full garbage collection: %d freed in %.0f ms", freed, took * 1000)
        return freed


async def collect_when_idle(app: FastAPI) -> None:
    """Make a full pass once the batcher has been idle ``checkpoint_idle`` after a group
    commit since the last pass, and at the latest every ``full_gc_every``."""
    service = app.state.service
    collections: FullCollections = service.collections
    idle = service.settings.checkpoint_idle.total_seconds()
    every = service.settings.full_gc_every.total_seconds()
    while True:
        await asyncio.sleep(min(idle / 2, every))
        now = time.monotonic()
        commits = service.metrics.commits
        if now - collections.last >= every or (
            commits != collections.commits and service.batcher.idle_for(now) >= idle
        ):
            collections.collect()
            collections.commits = commits
            service.metrics.full_collections = collections.count
            service.metrics.full_collection_seconds = collections.seconds
