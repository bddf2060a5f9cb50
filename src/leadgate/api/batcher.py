"""Group commit: requests queue here, and the writer thread commits them in groups.

While a group is committing (on the writer thread), the requests that arrive wait in the
queue; when it is done, the next group takes all of them, up to ``[api] group_max_events``
rows (a request is never split, so a group holds at least one request). One transaction,
one disk sync, for many requests: that is what makes thousands of small requests a second
possible on one DuckDB file. Each request's future is answered only after its group
committed (:func:`.group.commit_group`), so a 2xx is a durable write.

A lone request is not held back waiting for company: if nothing else is committing, it is
committed at once (a group of one). Grouping comes from the time a commit takes.

The writer thread takes the next group itself, as soon as a commit is done (a *drain* on
the writer, :meth:`Batcher._drain`): the event loop only queues requests and hands their
answers back. When the loop chose the groups, the writer sat idle after every commit until
the loop, busy with a few hundred requests a second, came round to the batcher's task: 12 %
of the writer's time at 500 single events a second (``bench/README.md``, issue #9,
session 15). The drain hands the thread over after a commit when other calls wait for the
writer (a sales action, a read that writes), and queues itself behind them.

A group decided from memory alone is answered once it is journaled, and written to the
store with the groups after it (:mod:`.behind`): after its answers left, when nothing is
queued behind it, or when enough rows or time have gathered.

The batcher says how long it has had nothing to do (:meth:`Batcher.idle_for`): the server
checkpoints the store in such pauses (:mod:`.checkpoints`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

from .group import GroupReport, Pending, commit_group
from .idempotency import Answer
from .live import LiveScores
from .metrics import Metrics
from .writer import Writer

Queued = tuple[Pending, "asyncio.Future[Answer]"]


class Batcher:
    """The queue of ingest requests and the drain that commits them in groups."""

    def __init__(self, writer: Writer, live: LiveScores, metrics: Metrics, max_rows: int) -> None:
        self.writer, self.live, self.metrics = writer, live, metrics
        self.max_rows = max_rows
        self._queue: deque[Queued] = deque()
        # guards the queue, the drain's flag and the idle time: the loop appends, the
        # writer thread takes
        self._lock = threading.Lock()
        self._draining = False  # a drain is queued on the writer or running
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Since when nothing has been queued or committing (None: busy now).
        self._idle_since: float | None = time.monotonic()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        """Wait until what is queued has committed and been answered."""
        while True:
            with self._lock:
                if not self._queue and not self._draining:
                    break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)  # the answers of the last group, handed to the loop

    async def submit(self, pending: Pending) -> Answer:
        """Queue ``pending``; its answer once its group has committed."""
        assert self._loop is not None, "Batcher.start() first"
        future: asyncio.Future[Answer] = self._loop.create_future()
        with self._lock:
            self._queue.append((pending, future))
            self._idle_since = None
            start, self._draining = not self._draining, True
        if start:
            self.writer.submit(self._drain)
        return await future

    def idle_for(self, now: float) -> float:
        """Seconds (of ``time.monotonic``) since the last group committed with nothing
        queued behind it; 0 while a request waits or a group commits."""
        idle_since = self._idle_since
        return 0.0 if idle_since is None else now - idle_since

    def _drain(self) -> None:
        """On the writer thread: commit groups while requests are queued; hand the thread
        over (queued behind the calls waiting for it) when other calls wait."""
        try:
            while self._commit_next():
                if self.writer.waiting():
                    self.writer.submit(self._drain)  # still draining: after the others
                    return
        except BaseException:  # not the commit's (it answers its own): the drain's own
            with self._lock:
                self._draining = False
            raise

    def _commit_next(self) -> bool:
        """Commit the next group and hand its answers to the loop; whether more wait."""
        with self._lock:
            group = self._take()
        started, cpu = time.perf_counter(), time.thread_time()
        outcome: GroupReport | Exception
        try:
            outcome = self.writer.counted(
                commit_group,
                self.writer.project,
                self.live,
                [p for p, _ in group],
                self.writer.behind,
            )
        except Exception as exc:  # the writer itself failed: every request gets a 500
            outcome = exc
        else:
            outcome.seconds = time.perf_counter() - started
            outcome.cpu_seconds = time.thread_time() - cpu
            self.metrics.group_committed(outcome, self.live)
        with self._lock:  # idle (or not) before the answers leave
            more = bool(self._queue)
            if not more:
                self._draining = False
                self._idle_since = time.monotonic()
        assert self._loop is not None  # set by start(), before any submit
        self._loop.call_soon_threadsafe(_answer, group, outcome)
        behind = self.writer.behind
        if behind.due():  # after the answers left
            self.writer.counted(behind.write_behind, self.writer.project.store())
        return more

    def _take(self) -> list[Queued]:
        group = [self._queue.popleft()]
        rows = group[0][0].size
        while self._queue and rows + self._queue[0][0].size <= self.max_rows:
            item = self._queue.popleft()
            rows += item[0].size
            group.append(item)
        return group


def _answer(group: list[Queued], outcome: GroupReport | Exception) -> None:
    """On the event loop: each request's answer, or the writer's failure."""
    for n, (_, future) in enumerate(group):
        if future.done():  # a client that went away leaves a cancelled future
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome.answers[n])
