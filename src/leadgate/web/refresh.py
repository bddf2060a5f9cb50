"""A result kept fresh in the background: the overview's figures.

The overview reads every lead (the funnel's journeys, SLA, volume: 30-60 s at a million
leads on a small machine). Computed on demand and kept for a minute, it made everyone who
opened it when the minute ended wait for the recomputation. Here the server computes it
when it starts and again in the background, on a reader (:mod:`leadgate.api.readers`),
while requests read the last figures: after the first computation no request waits for
one. The page says how old its figures are.

The pause between two computations is ``every``, or four times the last computation's time
if longer: a slow store then spends at most a fifth of one reader's time (and of the
machine's) on the overview.
:meth:`Refreshed.soon` starts the next computation at once (after an activation); the
figures shown meanwhile are the previous ones, with their age.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("leadgate.web")


class Refreshed(Generic[T]):
    """The latest result of ``compute``, recomputed in the background (see the module)."""

    def __init__(self, compute: Callable[[], Awaitable[T]], every: float) -> None:
        self.compute = compute
        self.every = every
        self._value: tuple[float, T] | None = None
        self._error: BaseException | None = None
        self._ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Computations finished (the tests wait on it; the page does not need it).
        self.computed = 0

    def start(self) -> None:
        """Start computing, now and then every ``every`` seconds (in the running loop)."""
        if self._task is None:
            # Events of this loop (an app started again runs in a new one).
            self._ready, self._wake = asyncio.Event(), asyncio.Event()
            if self._value is not None:
                self._ready.set()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="refresh")

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def soon(self) -> None:
        """Compute again now (the figures shown meanwhile are the last ones)."""
        self._wake.set()

    async def get(self) -> tuple[T, float]:
        """The latest result and its age in seconds; only before the first result is
        there does this wait (for the computation under way)."""
        self.start()
        await self._ready.wait()
        if self._value is None:
            assert self._error is not None
            raise self._error
        computed_at, value = self._value
        return value, time.monotonic() - computed_at

    async def _loop(self) -> None:
        while True:
            self._wake.clear()  # a soon() from here on asks for the computation after this
            started = time.monotonic()
            try:
                value = await self.compute()
            except Exception as exc:  # kept for a waiting first request; retried later
                log.exception("computing a kept result failed")
                if self._value is None:
                    self._error = exc
            else:
                self._value, self._error = (time.monotonic(), value), None
                self.computed += 1
            self._ready.set()
            took = time.monotonic() - started
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(self.every, 4 * took))


__all__ = ["Refreshed"]
