"""``GET /metrics``: the server's counters in the Prometheus text format (version 0.0.4).

It needs a key with the ``read`` permission (every role but ``ingest`` has it; give a
scraper a ``read`` key): the counts say how busy the business is, which is not public.

=====================================  =========  ==========================================
metric                                 type       what
=====================================  =========  ==========================================
``leadgate_requests_total``            counter    requests by ``method``, ``route`` (the
                                                  route's template) and ``status``
``leadgate_events_ingested_total``     counter    events stored by the API (not duplicates)
``leadgate_group_commits_total``       counter    group commits
``leadgate_group_commit_requests``     histogram  requests per group commit
``leadgate_group_commit_rows``         histogram  events per group commit
``leadgate_group_commit_seconds``      histogram  a group commit's time on the writer
``leadgate_group_commit_cpu_seconds_total``  counter  of those times, the writer thread's
                                                  time on a core (the rest it waited: for
                                                  the interpreter lock, the disk, DuckDB's
                                                  other threads)
``leadgate_leads_scored_total``        counter    live rescorings
``leadgate_leads_scored_by_plan_total``  counter  of them, by the plan (:mod:`.live_plan`)
``leadgate_mql_entries_total``         counter    leads the API moved into mql
``leadgate_live_cache_leads``          gauge      leads whose scoring state is held
``leadgate_live_cache_misses_total``   counter    leads rebuilt from the store
``leadgate_outbox_pending``            gauge      outbox messages not yet delivered
``leadgate_deliveries_total``          counter    delivery passes' posts, by ``result``
``leadgate_sla_breaches_total``        counter    SLA breaches the sweep worker recorded
``leadgate_recycled_total``            counter    MQLs the sweep worker recycled
``leadgate_checkpoints_total``         counter    checkpoints the server made while idle
``leadgate_full_collections_total``    counter    full garbage collections the server made
                                                  (:mod:`.collector`)
``leadgate_full_collection_seconds_total``  counter  the time they took
``leadgate_thread_cpu_seconds_total``  counter    the server's time on a core, by
                                                  ``thread``: each Python thread by its
                                                  name (``MainThread`` runs the event loop,
                                                  ``leadgate-writer_0`` the store's writer,
                                                  ``leadgate-flush`` the write-behind),
                                                  ``other`` the rest of the process
                                                  (DuckDB's own threads)
=====================================  =========  ==========================================

The threads' times say where the machine's cores went (issue #9: the writer shares the
interpreter lock with the event loop and the flush, and its cores with DuckDB's threads).
They are read from each thread's CPU clock (``pthread_getcpuclockid``) when ``/metrics``
is read; a thread that has ended is no longer listed, its time counts in ``other``.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from .group import GroupReport
    from .live import LiveScores

Endpoint = Callable[[Request], Awaitable[Response]]
SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000)
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.n += 1
        self.total += value
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1

    def lines(self, name: str) -> list[str]:
        out = [f"# TYPE {name} histogram"]
        for bound, count in zip(self.buckets, self.counts, strict=True):
            out.append(f'{name}_bucket{{le="{bound:g}"}} {count}')
        out += [f'{name}_bucket{{le="+Inf"}} {self.n}', f"{name}_sum {self.total:g}",
                f"{name}_count {self.n}"]  # fmt: skip
        return out


class Metrics:
    """The counters; written by the event loop and the batcher, read by ``/metrics``."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.events = 0
        self.commits = 0
        self.commit_requests = Histogram(SIZE_BUCKETS)
        self.commit_rows = Histogram(SIZE_BUCKETS)
        self.commit_seconds = Histogram(SECONDS_BUCKETS)
        self.commit_cpu_seconds = 0.0
        self.scored = 0
        self.scored_by_plan = 0
        self.entered = 0
        self.cache_leads = 0
        self.cache_misses = 0
        self.deliveries: dict[str, int] = defaultdict(int)
        self.breaches = 0
        self.recycled = 0
        self.checkpoints = 0
        self.full_collections = 0
        self.full_collection_seconds = 0.0

    def group_committed(self, report: GroupReport, live: LiveScores) -> None:
        self.commits += 1
        self.events += report.events
        self.commit_requests.observe(report.requests)
        self.commit_rows.observe(report.events)
        self.commit_seconds.observe(report.seconds)
        self.commit_cpu_seconds += report.cpu_seconds
        self.scored += report.scored
        self.entered += report.entered_mql
        self.cache_leads, self.cache_misses = len(live.held), live.misses
        self.scored_by_plan = live.planned

    def render(self, outbox_pending: int) -> str:
        lines = ["# TYPE leadgate_requests_total counter"]
        for (method, route, status), count in sorted(self.requests.items()):
            labels = f'method="{method}",route="{_escape(route)}",status="{status}"'
            lines.append(f"leadgate_requests_total{{{labels}}} {count}")
        lines += _counter("leadgate_events_ingested_total", self.events)
        lines += _counter("leadgate_group_commits_total", self.commits)
        lines += self.commit_requests.lines("leadgate_group_commit_requests")
        lines += self.commit_rows.lines("leadgate_group_commit_rows")
        lines += self.commit_seconds.lines("leadgate_group_commit_seconds")
        lines += _counter("leadgate_group_commit_cpu_seconds_total", self.commit_cpu_seconds)
        lines += _counter("leadgate_leads_scored_total", self.scored)
        lines += _counter("leadgate_leads_scored_by_plan_total", self.scored_by_plan)
        lines += _counter("leadgate_mql_entries_total", self.entered)
        lines += [
            "# TYPE leadgate_live_cache_leads gauge",
            f"leadgate_live_cache_leads {self.cache_leads}",
        ]
        lines += _counter("leadgate_live_cache_misses_total", self.cache_misses)
        lines += [
            "# TYPE leadgate_outbox_pending gauge",
            f"leadgate_outbox_pending {outbox_pending}",
        ]
        lines.append("# TYPE leadgate_deliveries_total counter")
        for result, count in sorted(self.deliveries.items()):
            lines.append(f'leadgate_deliveries_total{{result="{result}"}} {count}')
        lines += _counter("leadgate_sla_breaches_total", self.breaches)
        lines += _counter("leadgate_recycled_total", self.recycled)
        lines += _counter("leadgate_checkpoints_total", self.checkpoints)
        lines += _counter("leadgate_full_collections_total", self.full_collections)
        lines += _counter("leadgate_full_collection_seconds_total", self.full_collection_seconds)
        lines.append("# TYPE leadgate_thread_cpu_seconds_total counter")
        for name, seconds in thread_cpu().items():
            lines.append(f'leadgate_thread_cpu_seconds_total{{thread="{_escape(name)}"}} {seconds}')
        return "\n".join(lines) + "\n"


def thread_cpu() -> dict[str, float]:
    """Each running Python thread's time on a core (seconds, threads of one name summed),
    and ``other``: the process's time on a core less theirs (threads Python did not start,
    as DuckDB's, and threads that have ended). Empty where threads have no CPU clocks."""
    if not hasattr(time, "pthread_getcpuclockid"):
        return {}
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            seconds = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except OSError:  # it ended between the listing and the clock
            continue
        out[thread.name] = out.get(thread.name, 0.0) + seconds
    total = time.process_time()  # read last: it holds every thread's time read before
    out["other"] = max(total - sum(out.values()), 0.0)
    return out


def _counter(name: str, value: float) -> list[str]:
    return [f"# TYPE {name} counter", f"{name} {value}"]


def _gauge(name: str, value: int) -> list[str]:
    return [f"# TYPE {name} gauge", f"{name} {value}"]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def install(app: FastAPI, metrics: Metrics) -> None:
    """Count every request by its route's template (not its path: ids would explode it)."""
    app.add_middleware(_Counted, metrics=metrics)


class _Counted:
    """The counting, as a plain ASGI middleware: Starlette's ``@app.middleware("http")``
    (``BaseHTTPMiddleware``) runs each request in a task group with a stream between the
    app and the client, about 0.5 ms of the event loop per request, for a counter."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")  # set by the router on this scope
            template = getattr(route, "path", None) or "(no route)"
            self.metrics.requests[(scope["method"], template, status)] += 1


def outbox_pending(store: object) -> int:
    from ..store import Store

    assert isinstance(store, Store)
    return int(
        store.scalar("SELECT count(*) FROM outbox WHERE state IN ('pending', 'failed')") or 0
    )
