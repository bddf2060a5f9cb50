"""Reads asked for in the same moment, made together: the leads of twenty lead pages.

A lead page not kept (:mod:`.kept`) costs seven statements on a reader, and DuckDB's cost
per statement is most of it; the same statements for a short list of leads cost about
as much as for one (:mod:`leadgate.handoff.many_leads`). So, like a DataLoader, the
requests that miss in the same moment are gathered: the first starts a read of its own
at once; while a read is under way (``at_once`` of them), the requests that arrive wait
together and are read together when one ends, at most ``most`` at a time. Each request
gets its own item's result (or its own error: an unknown lead's 404 is that request's
alone) with the writer's count its reader's snapshot began at, as :func:`.kept.kept_held`
keeps it.

Nothing about who asks is read here: each request's session and role are checked by its
route before it asks, as for any page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

from fastapi import FastAPI

from ..project import Project
from .readers import read_app

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

_Waiting = list[tuple[Any, "asyncio.Future[Any]"]]


class Batches(Generic[K, T]):
    """Items read together by ``read_many(project, items)``: a result or an exception
    per item."""

    def __init__(
        self,
        read_many: Callable[[Project, list[K]], Mapping[K, T | BaseException]],
        *,
        most: int,
        at_once: int = 1,
    ) -> None:
        self.read_many = read_many
        self.most = most
        self.at_once = at_once
        self.waiting: _Waiting = []
        self.running = 0
        #: Reads made and items read (the tests and the benchmark count them).
        self.reads = 0
        self.items = 0

    async def read(self, app: FastAPI, item: K) -> tuple[int, T]:
        """``item``'s result with the writer's count its read began at."""
        future: asyncio.Future[tuple[int, T]] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, future))
        if self.running < self.at_once:
            self._start(app)
        return await future

    def _start(self, app: FastAPI) -> None:
        batch, self.waiting = self.waiting[: self.most], self.waiting[self.most :]
        items = list(dict.fromkeys(item for item, _ in batch))
        self.running += 1
        self.reads += 1
        self.items += len(items)

        def reading(view: Project) -> tuple[int, Mapping[K, T | BaseException]]:
            generation = getattr(view.store(), "generation", None)
            assert generation is not None, "a reader's snapshot records the writer's count"
            return generation, self.read_many(view, items)

        task = asyncio.ensure_future(read_app(app, reading))
        task.add_done_callback(lambda done: self._done(app, batch, done))

    def _done(self, app: FastAPI, batch: _Waiting, task: asyncio.Future[Any]) -> None:
        self.running -= 1
        failed = asyncio.CancelledError() if task.cancelled() else task.exception()
        for item, future in batch:
            if future.done():
                continue
            if failed is not None:
                future.set_exception(failed)
                continue
            generation, found = task.result()
            result = found[item]
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result((generation, result))
        while self.waiting and self.running < self.at_once:
            self._start(app)


__all__ = ["Batches"]
