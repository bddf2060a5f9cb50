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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from ..project import Project
from ..store import Store

P = ParamSpec("P")
T = TypeVar("T")


class Writer:
    """Runs project calls one at a time on the thread that holds the store."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadgate-writer")
        self._hold: contextlib.AbstractContextManager[Store] | None = None
        #: Calls made so far (any of them may have written): see :attr:`generation`.
        self.calls = 0

    def start(self) -> None:
        """Open and hold the store (on the writer thread)."""
        self._hold = self.project.serving()
        self._pool.submit(self._hold.__enter__).result()

    def stop(self) -> None:
        """Finish the calls submitted, then close the store."""
        if self._hold is not None:
            hold, self._hold = self._hold, None
            self._pool.submit(hold.__exit__, None, None, None).result()
        self._pool.shutdown(wait=True)

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the writer thread and wait for it (from any thread but that one)."""
        return self._pool.submit(self._counted, lambda: fn(*args, **kwargs)).result()

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the writer thread; the event loop serves others meanwhile."""
        future: Any = self._pool.submit(self._counted, lambda: fn(*args, **kwargs))
        return await asyncio.wrap_future(future)

    async def maintain(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn``, which changes no row (a checkpoint), on the writer thread, not
        counted in :attr:`generation`: what was kept of the reads before it stays true."""
        return await asyncio.wrap_future(self._pool.submit(lambda: fn(*args, **kwargs)))

    def _counted(self, work: Callable[[], T]) -> T:
        """``work()``, then :attr:`calls` counts it (it has committed or rolled back by
        then: a reader that reads the count before its snapshot sees every change that
        the count covers)."""
        try:
            return work()
        finally:
            self.calls += 1

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
