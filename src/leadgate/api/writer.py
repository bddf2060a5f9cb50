"""The server's one writer: a single thread that owns the project's store.

DuckDB lets one process write a database file, and one connection must not be used by two
threads at once. So the server holds the store open (:meth:`Project.serving`) and every
project call that writes runs on this one thread, in the order submitted; the event loop
awaits it without blocking. Batching many requests into one transaction (group commit) is
built on top of this: the caller submits one function that does the whole group.

Reads that need no write do not queue here: they run on the server's readers
(:mod:`.readers`), each through its own cursor of this thread's connection, in a read
transaction that can never write. So the rule stays: one writer, this thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from ..project import Project
from ..store import Store
from .behind import Behind

log = logging.getLogger("leadgate.api")
P = ParamSpec("P")
T = TypeVar("T")


class Writer:
    """Runs project calls one at a time on the thread that holds the store."""

    def __init__(self, project: Project, behind: Behind | None = None) -> None:
        self.project = project
        #: the groups answered and not yet in the store (:mod:`.behind`); every call but
        #: the batcher's drain writes them first
        self.behind = behind if behind is not None else Behind(project.store_path, enabled=False)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadgate-writer")
        self._hold: contextlib.AbstractContextManager[Store] | None = None
        #: Calls made so far (any of them may have written): see :attr:`generation`.
        self.calls = 0
        self._waiting = 0  # calls submitted, not yet started
        self._lock = threading.Lock()

    def start(self) -> None:
        """Open and hold the store (on the writer thread)."""
        self._hold = self.project.serving()
        self._pool.submit(self._hold.__enter__).result()
        self._pool.submit(
            lambda: self.behind.start(self.project.store(), self.submit, self.project.store)
        ).result()

    def stop(self) -> None:
        """Finish the calls submitted, then close the store."""
        if self._hold is not None:
            hold, self._hold = self._hold, None
            try:
                self._pool.submit(self._flush).result()
            finally:
                self.behind.close()
                self._pool.submit(hold.__exit__, None, None, None).result()
        self._pool.shutdown(wait=True)

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the writer thread and wait for it (from any thread but that one)."""
        return self._queued(lambda: self._flushed(fn, *args, **kwargs)).result()

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the writer thread; the event loop serves others meanwhile."""
        future: Any = self._queued(lambda: self._flushed(fn, *args, **kwargs))
        return await asyncio.wrap_future(future)

    async def maintain(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn``, which changes no row (a checkpoint), on the writer thread, not
        counted in :attr:`generation`: what was kept of the reads before it stays true
        (the pending groups written first are counted)."""

        def maintained() -> T:
            self._flush()
            return fn(*args, **kwargs)

        return await asyncio.wrap_future(self._queued(maintained))

    def submit(self, fn: Callable[[], None]) -> None:
        """Queue ``fn`` on the writer thread and return at once (the batcher's drain, which
        counts each of its commits itself with :meth:`counted`); an error it lets out is
        logged."""
        self._queued(fn).add_done_callback(_log_error)

    def waiting(self) -> bool:
        """Whether calls wait for the writer thread (a drain hands the thread over then)."""
        return self._waiting > 0

    def counted(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """On the writer thread: ``fn(...)``, then :attr:`calls` counts it (it has
        committed or rolled back by then: a reader that reads the count before its
        snapshot sees every change that the count covers)."""
        try:
            return fn(*args, **kwargs)
        finally:
            self.calls += 1

    def _flushed(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """On the writer thread: the pending groups written, then ``fn(...)``, counted."""
        self._flush()
        return self.counted(fn, *args, **kwargs)

    def _flush(self) -> None:
        """The groups answered written (:mod:`.behind`), and the journal emptied: a call
        may erase a person, whose rows must not stay there."""
        behind = self.behind
        if behind.pending or behind.flushing:  # a background flush's: awaited
            behind.flush(self.project.store())  # counted when each group was decided
        elif behind.journal.holds():  # every record is in the store: no row changes
            behind.journal.reset()

    def request_flush(self) -> None:
        """Ask for the pending groups to be written (from any thread; see :mod:`.behind`)."""
        self.behind.request(self.submit, self.project.store)

    def _queued(self, work: Callable[[], T]) -> Future[T]:
        with self._lock:
            self._waiting += 1

        def started() -> T:
            with self._lock:
                self._waiting -= 1
            return work()

        return self._pool.submit(started)

    @property
    def generation(self) -> int:
        """A count that grows with every call made on the writer and every statement run
        on the held store (by the writer, or by this process around it: a test, a script
        embedding the server): see :mod:`.readers`, :mod:`.kept` and
        :mod:`leadgate.handoff.queue_order`, which check kept results by it. Both parts
        count a change once it is committed (or rolled back), so a reader that reads the
        count before its snapshot begins sees every change the count covers."""
        held = self.project._held
        return self.calls + (held.statements if held is not None else 0)


def _log_error(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("a call on the writer failed", exc_info=future.exception())
