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

**Answers kept for a second.** Judging a kept read and writing the page (the SLA clocks,
the rows' dicts, JSON or Jinja) still cost 4-10 ms of the event loop's time per request,
the same for everyone asking in the same second. So each kept read also keeps its answers
(:meth:`Held.answer`) for one second of the clock: the first request in a second makes
it (the page judged as of that second, its start), the others in that second send the
same bytes. They go with the read: a write makes the read stale, and its answers with it.
What an answer may depend on besides the read and the second (a role: the navigation) is
part of its key; the caller says what (:mod:`leadgate.web.routes`). A read keeps only the
answers of the last second it was asked for in (a page's JSON and its HTML per role, tens
of kilobytes), until it is asked for in a later one or dropped.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from fastapi import FastAPI

from ..project import Project
from .readers import read_app

T = TypeVar("T")

#: How many reads are kept (least recently used dropped first).
SIZE = 512


class Held(Generic[T]):
    """A kept read (``value``) with the answers made of it in the current second."""

    def __init__(self, version: tuple[int, Any], value: T) -> None:
        self.version = version
        self.value = value
        self.second: Any = None
        self.answers: dict[Hashable, Any] = {}
        #: Answers made and answers sent again (the tests count them).
        self.made = 0
        self.repeated = 0

    def answer(self, second: Any, variant: Hashable, make: Callable[[], Any]) -> Any:
        """``make()``'s result, made once per ``second`` and ``variant``: what the answer
        depends on besides this read and the second (say, a role). Answers of an earlier
        second are dropped when a new one begins."""
        if second != self.second:
            self.second, self.answers = second, {}
        found = self.answers.get(variant, _NONE)
        if found is _NONE:
            found = self.answers[variant] = make()
            self.made += 1
        else:
            self.repeated += 1
        return found


_NONE = object()


class KeptReads:
    """Reads by key, each with the writer count and definition file it was read at."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Held[Any]] = OrderedDict()
        #: Reads under way, by key, with the version they were asked for at.
        self.pending: dict[Hashable, tuple[tuple[int, Any], asyncio.Future[Any]]] = {}
        #: Reads made (misses) and answers from memory (the tests count them).
        self.reads = 0
        self.hits = 0

    @property
    def answers(self) -> tuple[int, int]:
        """Answers made and sent again, over the reads kept now (the tests count them)."""
        held = list(self._values.values())
        return sum(h.made for h in held), sum(h.repeated for h in held)

    def get(self, key: Hashable, version: tuple[int, Any]) -> Held[Any] | None:
        """What ``key`` read at ``version``, if kept."""
        found = self._values.get(key)
        if found is None or found.version != version:
            return None
        self._values.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key: Hashable, version: tuple[int, Any], value: T) -> Held[T]:
        """Keep ``value`` (once: the requests that shared its read get the same
        :class:`Held`), unless a read of a newer snapshot is kept under ``key``."""
        found = self._values.get(key)
        if found is not None and found.version == version and found.value is value:
            return found
        held = Held(version, value)
        if found is not None and found.version[0] > version[0]:
            return held  # answered from, not kept
        self._values[key] = held
        self._values.move_to_end(key)
        while len(self._values) > self.size:
            self._values.popitem(last=False)
        return held


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
    return (await kept_held(app, key, fn)).value


async def kept_held(
    app: FastAPI,
    key: Hashable,
    fn: Callable[[Project], T],
    together: Callable[[], Awaitable[tuple[int, T]]] | None = None,
) -> Held[T]:
    """:func:`kept_read`, with the answers kept of it (:meth:`Held.answer`). ``together``:
    a miss is read with others' (:meth:`.batched.Batches.read`: the writer's count its
    snapshot began at and what ``fn`` reads) instead of alone."""
    kept: KeptReads = app.state.kept_reads
    project: Project = app.state.writer.project
    definition = _definition(project)
    version = (app.state.writer.generation, definition)
    hit = kept.get(key, version)
    if hit is not None:
        return hit

    def reading(view: Project) -> tuple[int, T]:
        generation = getattr(view.store(), "generation", None)
        assert generation is not None, "a reader's snapshot records the writer's count"
        return generation, fn(view)

    # Twenty people opening the same page just after a write share one read of it.
    under_way = kept.pending.get(key)
    if under_way is None or under_way[0] != version:
        started = read_app(app, reading) if together is None else together()
        future = asyncio.ensure_future(started)
        kept.pending[key] = under_way = (version, future)
        future.add_done_callback(lambda _: _forget(kept, key, future))
    generation, fresh = await asyncio.shield(under_way[1])
    return kept.put(key, (generation, definition), fresh)


def _forget(kept: KeptReads, key: Hashable, future: asyncio.Future[Any]) -> None:
    """The read is done (kept by its requests): a later miss reads again."""
    kept.reads += 1
    if kept.pending.get(key, (None, None))[1] is future:
        del kept.pending[key]


__all__ = ["Held", "KeptReads", "kept_held", "kept_read"]
