"""Group commit: requests queue here, and one task commits them in groups on the writer.

While a group is committing (on the writer thread), the requests that arrive wait in the
queue; when it is done, the next group takes all of them, up to ``[api] group_max_events``
rows (a request is never split, so a group holds at least one request). One transaction,
one disk sync, for many requests: that is what makes thousands of small requests a second
possible on one DuckDB file. Each request's future is answered only after its group
committed (:func:`.group.commit_group`), so a 2xx is a durable write.

A lone request is not held back waiting for company: if nothing else is committing, it is
committed at once (a group of one). Grouping comes from the time a commit takes.

The batcher says how long it has had nothing to do (:meth:`Batcher.idle_for`): the server
checkpoints the store in such pauses (:mod:`.checkpoints`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

from .group import GroupReport, Pending, commit_group
from .idempotency import Answer
from .live import LiveScores
from .metrics import Metrics
from .writer import Writer


class Batcher:
    """The queue of ingest requests and the task that commits them in groups."""

    def __init__(self, writer: Writer, live: LiveScores, metrics: Metrics, max_rows: int) -> None:
        self.writer, self.live, self.metrics = writer, live, metrics
        self.max_rows = max_rows
        self._queue: deque[tuple[Pending, asyncio.Future[Answer]]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Since when nothing has been queued or committing (None: busy now).
        self._idle_since: float | None = time.monotonic()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        while self._queue:
            self._wake.set()
            await asyncio.sleep(0.01)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def submit(self, pending: Pending) -> Answer:
        """Queue ``pending``; its answer once its group has committed."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._queue.append((pending, future))
        self._idle_since = None
        self._wake.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                group = self._take()
                await self._commit(group)
            self._idle_since = time.monotonic()

    def idle_for(self, now: float) -> float:
        """Seconds (of ``time.monotonic``) since the last group committed with nothing
        queued behind it; 0 while a request waits or a group commits."""
        return 0.0 if self._idle_since is None else now - self._idle_since

    def _take(self) -> list[tuple[Pending, asyncio.Future[Answer]]]:
        group = [self._queue.popleft()]
        rows = group[0][0].size
        while self._queue and rows + self._queue[0][0].size <= self.max_rows:
            item = self._queue.popleft()
            rows += item[0].size
            group.append(item)
        return group

    async def _commit(self, group: list[tuple[Pending, asyncio.Future[Answer]]]) -> None:
        started = time.perf_counter()
        try:
            report: GroupReport = await self.writer.run(
                commit_group, self.writer.project, self.live, [p for p, _ in group]
            )
        except Exception as exc:  # the writer itself failed: every request gets a 500
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        report.seconds = time.perf_counter() - started
        self.metrics.group_committed(report, self.live)
        for (_, future), answer in zip(group, report.answers, strict=True):
            if not future.done():  # a client that went away leaves a cancelled future
                future.set_result(answer)
