"""Reads the server keeps until its writer's next call: a queue page, a lead page, a session.

With twenty people on the dashboard, the same queue page and the same few leads are read
again and again while nothing changes: each read is a reader's transaction and a dozen
DuckDB statements (60-100 ms at a million leads), so two cores answer a few pages a
second. Every change to the store passes through the server's one writer, which counts
its calls (:attr:`.writer.Writer.generation`), and a reader's snapshot records the count
before it begins (:mod:`.readers`). So a read made from a snapshot at count *g* is what
any snapshot would read while the count is still *g*: :class:`KeptReads` keeps it under
its key with *g* and answers the next request for that key from memory, on the event
loop, without a reader, for as long as the writer has made no call since. The first call
after (an accept, a scoring run, a live rescoring, a session's idle clock) makes every
kept read stale; each is read again when next asked for.

What is kept is the read, not the page: a page's time-dependent parts (the SLA
countdowns, the score over time) are judged from it as of each request
(:mod:`leadgate.handoff.reads`). The definition file is part of the check too (its
modification time and size): the pages compile it from the file, which someone may edit
without the writer.

Read-your-writes holds as with the readers alone: a person's write is counted before its
answer is sent, so their next page misses and is read from a new snapshot. Like a
reader's snapshot, a kept read may predate a write still under way on the writer.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from fastapi import FastAPI

from ..project import Project
from .readers import read_app

T = TypeVar("T")

#: How many reads are kept (least recently used dropped first).
SIZE = 512


class KeptReads:
    """Reads by key, each with the writer count and definition file it was read at."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, tuple[tuple[int, Any], Any]] = OrderedDict()
        #: Reads under way, by key, with the version they were asked for at.
        self.pending: dict[Hashable, tuple[tuple[int, Any], asyncio.Future[Any]]] = {}
        #: Reads made (misses) and answers from memory (the tests count them).
        self.reads = 0
        self.hits = 0

    def get(self, key: Hashable, version: tuple[int, Any]) -> tuple[bool, Any]:
        """``(True, value)`` when ``key`` was read at ``version``, else ``(False, None)``."""
        found = self._values.get(key)
        if found is None or found[0] != version:
            return False, None
        self._values.move_to_end(key)
        self.hits += 1
        return True, found[1]

    def put(self, key: Hashable, version: tuple[int, Any], value: Any) -> None:
        """Keep ``value``, unless a read of a newer snapshot is kept under ``key``."""
        found = self._values.get(key)
        if found is not None and found[0][0] > version[0]:
            return
        self._values[key] = (version, value)
        self._values.move_to_end(key)
        while len(self._values) > self.size:
            self._values.popitem(last=False)


def _definition(project: Project) -> Any:
    """The definition file's modification time and size (None: there is none)."""
    try:
        found = os.stat(project.definition_path)
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size)


async def kept_read(app: FastAPI, key: Hashable, fn: Callable[[Project], T]) -> T:
    """``fn(project)``'s result for ``key``: from memory when read since the writer's last
    call, else read on a reader (and kept). ``key`` must name everything ``fn`` reads
    by (the page and its arguments)."""
    kept: KeptReads = app.state.kept_reads
    project: Project = app.state.writer.project
    definition = _definition(project)
    version = (app.state.writer.generation, definition)
    hit, value = kept.get(key, version)
    if hit:
        return value  # type: ignore[no-any-return]

    def reading(view: Project) -> tuple[int, T]:
        generation = getattr(view.store(), "generation", None)
        assert generation is not None, "a reader's snapshot records the writer's count"
        return generation, fn(view)

    # Twenty people opening the same page just after a write share one read of it.
    under_way = kept.pending.get(key)
    if under_way is None or under_way[0] != version:
        future = asyncio.ensure_future(read_app(app, reading))
        kept.pending[key] = under_way = (version, future)
        future.add_done_callback(lambda _: _forget(kept, key, future))
    generation, fresh = await asyncio.shield(under_way[1])
    kept.put(key, (generation, definition), fresh)
    return cast(T, fresh)


def _forget(kept: KeptReads, key: Hashable, future: asyncio.Future[Any]) -> None:
    """The read is done (kept by its requests): a later miss reads again."""
    kept.reads += 1
    if kept.pending.get(key, (None, None))[1] is future:
        del kept.pending[key]


__all__ = ["KeptReads", "kept_read"]
