"""Results the dashboard keeps between requests, so an expensive page is not recomputed
on every load.

Two uses: the overview's figures read every lead and are kept for a short while (the page
says when they were computed); a comparison or a calibration is computed only when someone
presses its *Run* button, and its last result is kept until the next run (or a restart:
it lives in the server's memory, not the store). One lock per key: twenty people opening
the overview at once start one computation, and the others wait for its result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Kept:
    """Values by key, each with the monotonic time it was put."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def get(self, key: str, max_age: float | None = None) -> Any | None:
        """The value under ``key``, or None when there is none or it is older than
        ``max_age`` seconds."""
        found = self._values.get(key)
        if found is None or (max_age is not None and time.monotonic() - found[0] > max_age):
            return None
        return found[1]

    def put(self, key: str, value: Any) -> None:
        self._values[key] = (time.monotonic(), value)

    def drop(self, prefix: str = "") -> None:
        """Forget every value whose key starts with ``prefix`` (e.g. after an activation)."""
        for key in [k for k in self._values if k.startswith(prefix)]:
            del self._values[key]

    async def fresh(self, key: str, max_age: float, compute: Callable[[], Awaitable[T]]) -> T:
        """The value under ``key`` if younger than ``max_age``, else ``compute()``'s,
        kept; concurrent callers share one computation."""
        found = self.get(key, max_age)
        if found is not None:
            return found  # type: ignore[no-any-return]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self.get(key, max_age)
            if found is None:
                found = await compute()
                self.put(key, found)
        return found


__all__ = ["Kept"]
