"""The server's checkpoints: when the writer is idle, not inside a request's commit.

DuckDB writes a commit to its write-ahead log (WAL), and moves the log into the database
file (a *checkpoint*: the touched row groups and the ART indexes rewritten) inside the
commit that leaves the log over its ``checkpoint_threshold``, 16 MiB by default. That
commit, and every request queued behind it, then waits for the checkpoint. Measured
in-process at 1,000,000 leads / 50,000,000 events (groups of 5,000 events, issue #9,
``bench/README.md``): a commit's ``COMMIT`` took 18-35 ms, and every sixth one 190-650 ms
(a checkpoint of ~6 MiB of log); with the threshold out of reach no commit took over
290 ms, and one checkpoint of the 70 MiB that 300,000 events left took 1.2 s, a third of
what the ten small ones would have. A request's latency is that of the slowest commit it
waits for: over HTTP the batches' tails and rates were the checkpoints' (a single event's
tail was not: a run of them barely fills 16 MiB; see ``bench/README.md``, session 13).

So the server moves DuckDB's threshold up to ``[api] checkpoint_wal_mib`` (256 MiB) and
checkpoints itself, on the writer, once the batcher has had nothing to do for
``[api] checkpoint_idle`` (1 s) and the log is not empty: the checkpoint costs what it
did, but in a pause, where no request waits for it. A load that never pauses for that long
lets the log grow to the ceiling, and DuckDB then checkpoints inside a commit as before,
once in that many MiB (about a million events; a few seconds then). The price: a restart
after ``kill -9`` replays up to that much log, and DuckDB holds the changes not yet
checkpointed in its memory (under its ``memory_limit``, spilling beyond it).

Durability does not change: every commit is in the log, synced, before it is answered.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..project import Project

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("leadgate.api")


def raise_threshold(project: Project, mib: int) -> None:
    """Let DuckDB checkpoint the store ``project`` holds by itself only once its log holds
    ``mib`` MiB (a setting of the database, for every connection to it)."""
    project.store().execute(f"SET checkpoint_threshold = '{int(mib)}MiB'")


def wal_bytes(store_path: str | Path) -> int:
    """The size of a store's write-ahead log (0: none, or an in-memory store)."""
    try:
        return os.path.getsize(f"{store_path}.wal")
    except OSError:
        return 0


def checkpoint(project: Project) -> int:
    """Move the log of the store ``project`` holds into its file when the log holds
    anything (on the writer); the bytes it held."""
    store = project.store()
    held = wal_bytes(store.path)
    if held:
        store.checkpoint()
    return held


async def checkpoint_when_idle(app: FastAPI) -> None:
    """Checkpoint on the writer each time the batcher has been idle ``checkpoint_idle``
    with a log to move (see the module); a failure is logged and the next pause tries
    again (the log is still there: nothing is lost)."""
    service = app.state.service
    writer = app.state.writer
    idle = service.settings.checkpoint_idle.total_seconds()
    path = writer.project.store_path
    while True:
        await asyncio.sleep(idle / 2)
        if service.batcher.idle_for(time.monotonic()) < idle or not wal_bytes(path):
            continue
        try:
            moved = await writer.maintain(checkpoint, writer.project)
        except Exception:
            log.exception("checkpoint failed")
            continue
        if moved:
            service.metrics.checkpoints += 1
