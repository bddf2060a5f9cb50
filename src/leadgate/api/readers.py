"""The server's readers: a few threads that read the held store beside its one writer.

Every write still runs on the one writer thread (:mod:`.writer`): DuckDB lets one process
write a file, and the server is that process. But a page read that waits behind the
writer waits behind every other request too: with twenty people on the dashboard, a page
that costs *t* alone answers in about 20·*t*. So reads that need no write (the dashboard's
pages and JSON twins, the API's lead and queue reads, the session check) run here instead.

Each reader thread owns one cursor of the writer's connection (``DuckDBPyConnection.
cursor()``: another connection to the same database instance, usable on another thread)
wrapped in a :class:`~leadgate.store.snapshot.Snapshot`, and a read view of the project
bound to it (:meth:`Project.reading`). A unit of work (``fn(project)``) runs in one read
transaction: it sees what was committed when it began, whatever the writer commits
meanwhile (DuckDB's MVCC), and it cannot write (the snapshot refuses, then rolls back).

Each reader's snapshot also records the writer's count when it began (``Writer.generation``:
its calls and the statements run on the held store): results the server keeps in memory
(the queue's order, :mod:`leadgate.handoff.queue_order`; the pages' reads,
:mod:`.kept`) are read again when the count has grown since, so they are never older
than the snapshot that uses them.

What that means for a person using the dashboard: a write they made is committed before
its answer is sent, so the next page they open (a new transaction) shows it
(read-your-writes); a page never shows half of a group commit.

The pool is small (``[api] readers``, 4 by default): DuckDB runs each query on its own threads
too, and the Python around the queries shares one interpreter lock, so more readers than
cores only queue inside. ``stop()`` runs once the server has answered its requests: it
interrupts the background reads still under way (the overview's computation: nobody will
read its result), then each thread closes its own cursor, before the writer lets go of
the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import duckdb
from fastapi import FastAPI, Request

from ..handoff.queue_order import KeptOrder
from ..project import Project
from ..store.snapshot import Snapshot
from .writer import Writer

T = TypeVar("T")

_Work = tuple[Callable[[Project], Any], Future[Any], int]


class Readers:
    """Runs read-only project calls on a few threads, each with its own cursor."""

    def __init__(self, writer: Writer, size: int) -> None:
        if size < 1:
            raise ValueError(f"A server needs at least one reader; got {size}.")
        self.writer = writer
        self.size = size
        self._work: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._cursors: list[Any] = []
        self._open = 0  # cursors open now (the tests check they all close)
        #: The queue's order, kept for every reader (:mod:`leadgate.handoff.queue_order`).
        self.queue_order = KeptOrder()
        self._lock = threading.Lock()

    @property
    def open_cursors(self) -> int:
        return self._open

    def start(self) -> None:
        """Start the threads, each with a cursor of the writer's held store (made on the
        writer thread, the connection's owner), and wait until each holds it."""
        project = self.writer.project
        cursors = self.writer.call(
            lambda: [project.store().conn.cursor() for _ in range(self.size)]
        )
        self._cursors = list(cursors)
        ready = [threading.Event() for _ in cursors]
        for number, (cursor, event) in enumerate(zip(cursors, ready, strict=True)):
            thread = threading.Thread(
                target=self._serve,
                args=(cursor, event),
                name=f"leadgate-reader-{number}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        for event in ready:
            event.wait()

    def stop(self) -> None:
        """Interrupt the reads under way, then close every cursor (each on its own thread).

        By the time the server stops, its requests have been answered: what still reads is
        background work (the overview's computation, tens of seconds on a large store),
        whose result nobody will read, so it is interrupted rather than waited for."""
        for _ in self._threads:
            self._work.put(None)
        for thread, cursor in zip(self._threads, self._cursors, strict=True):
            while thread.is_alive():  # again, in case a read began after the last call
                with contextlib.suppress(duckdb.Error):  # closed by its thread meanwhile
                    cursor.interrupt()
                thread.join(0.1)
        self._threads.clear()
        self._cursors.clear()

    def call(self, fn: Callable[[Project], T]) -> T:
        """Run ``fn(project)`` on a reader and wait (from any thread but a reader)."""
        return self._submit(fn).result()

    async def run(self, fn: Callable[[Project], T]) -> T:
        """Run ``fn(project)`` on a reader; the event loop serves others meanwhile."""
        return await asyncio.wrap_future(self._submit(fn))

    def _submit(self, fn: Callable[[Project], T]) -> Future[T]:
        if not self._threads:
            raise RuntimeError("The readers are not running (start() them first).")
        future: Future[T] = Future()
        # the groups answered before this read: it waits until they are in the store
        self._work.put((fn, future, self.writer.behind.seq))
        return future

    def _serve(self, cursor: Any, ready: threading.Event) -> None:
        project = self.writer.project
        snapshot = Snapshot(cursor, tracer=project.tracer, clock=project.clock)
        view = project.reading(snapshot, self.queue_order)
        with self._lock:
            self._open += 1
        ready.set()
        try:
            while (work := self._work.get()) is not None:
                fn, future, answered = work
                if not future.set_running_or_notify_cancel():
                    continue
                if self.writer.behind.applied < answered:  # read your writes (:mod:`.behind`)
                    self.writer.request_flush()
                    if not self.writer.behind.wait_applied(answered, _BEHIND_WAIT):
                        future.set_exception(_behind_error(answered))
                        continue
                snapshot.generation = self.writer.generation  # before the snapshot begins
                try:
                    with snapshot.reading():
                        result = fn(view)
                except BaseException as exc:  # handed to the awaiting request
                    future.set_exception(exc)
                else:
                    future.set_result(result)
        finally:
            with contextlib.suppress(duckdb.Error):  # closing after an interrupt
                snapshot.release()
            with self._lock:
                self._open -= 1


#: Seconds a read waits for the groups answered before it to reach the store.
_BEHIND_WAIT = 60.0


def _behind_error(seq: int) -> RuntimeError:
    return RuntimeError(
        f"The store has not received the events answered before this read (journal record "
        f"{seq}) within {_BEHIND_WAIT:.0f} s: writing them failed; see the server's log. "
        "They are kept in the journal and written when the server starts again."
    )


async def read(request: Request, fn: Callable[[Project], T]) -> T:
    """Run ``fn(project)`` on the app's readers (a route's read)."""
    return await read_app(request.app, fn)


async def read_app(app: FastAPI, fn: Callable[[Project], T]) -> T:
    """Run ``fn(project)`` on ``app``'s readers (a background task's read)."""
    readers: Readers = app.state.readers
    return await readers.run(fn)


__all__ = ["Readers", "read", "read_app"]
