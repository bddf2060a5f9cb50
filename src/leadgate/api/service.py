"""The server's machinery beside its routes: the group-commit batcher, the live scores, the
metrics, the events index, and the delivery worker.

:func:`install` wires them into the app when it is created; :func:`started` and
:func:`stopping` run in its lifespan, after the writer holds the store and before it lets go.

**Events index.** Real-time scoring reads a lead's events back when its state is not held
in memory, and the duplicate check reads the stored events of the posted leads. Without an
index each of those is a scan of the whole ``events`` table (0.2-1 s at 50M events); with an
ART index on ``events(lead_id)`` and ``events(visitor_id)`` it is a few milliseconds. The
server builds both when it starts (about 40 s each at 50M events, once: they are kept in the
store) unless ``[api] event_index = false``. An import maintains them from then on.

**Lookup indexes.** A lead page reads one lead's score, transitions, handoff row,
owner and aliases; a queue page the same for its 25 leads. Without an index each is a
scan (10-30 ms at a million leads, several per page: what made a page cost more than the
dashboard's budget of a few milliseconds of CPU under twenty users); with ART indexes on
``scores``, ``stage_transitions``, ``lead_handoff``, ``assignments`` (by lead) and
``lead_aliases`` (by alias) each is about a millisecond. Built with the events indexes
(``[api] event_index``), once, and kept: a few seconds at a million leads. The price is
paid by the writes that maintain them (scoring's MQL entry, imports), which is why the
store does not create them itself.

**Checkpoints** are the server's, in pauses of the ingest, not DuckDB's inside a request's
commit (:mod:`.checkpoints`).

**Delivery worker.** Every ``[api] deliver_every`` the server looks for outbox messages
due and, when there are, makes one delivery pass (:meth:`Project.deliver`'s) on the writer,
so webhooks leave while it serves, without cron. The pass posts from the writer thread, so
a slow receiver delays the writes meanwhile (each post has its endpoint's ``timeout``).
``[api] deliver = false`` turns it off (then ``leadgate deliver`` is refused while the
server runs: run it after stopping the server, or keep the worker on).

**Sweep worker.** Every ``[api] sweep_every`` (a minute) the server sweeps as of its clock's
now, as ``leadgate sweep --apply`` does: MQLs the lifecycle rules recycle leave ``mql``, and
each SLA that ran out is recorded once as a breach with its events, escalation and
reassignment, in one transaction. So a breach fires within a minute while the server runs,
with no cron. Recycled leads' held scoring states are dropped (their stage changed).
``[api] sweep = false`` turns it off; ``leadgate sweep`` still works through the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from ..handoff.sweep import SweepReport
from ..project import Project
from ..store import Store
from . import metrics as metrics_module
from .batcher import Batcher
from .checkpoints import checkpoint_when_idle, raise_threshold
from .collector import FullCollections, collect_when_idle
from .live import LiveScores
from .metrics import Metrics
from .settings import ApiSettings
from .writer import Writer

log = logging.getLogger("leadgate.api")
#: The indexes the server builds when it starts (table, column, index name).
INDEXES = (
    ("events", "lead_id", "events_lead_id"),
    ("events", "visitor_id", "events_visitor_id"),
    # A lead page's and a queue page's point reads (see the module's "Lookup indexes").
    ("scores", "lead_id", "scores_lead_id"),
    ("stage_transitions", "lead_id", "stage_transitions_lead_id"),
    ("lead_handoff", "lead_id", "lead_handoff_lead_id"),
    ("assignments", "lead_id", "assignments_lead_id"),
    ("lead_aliases", "alias", "lead_aliases_alias"),
)


@dataclass
class Service:
    """What :func:`started` started, for :func:`stopping` to stop."""

    settings: ApiSettings
    metrics: Metrics
    live: LiveScores
    batcher: Batcher | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    collections: FullCollections = field(default_factory=FullCollections)


def install(app: FastAPI, project: Project) -> None:
    """Settings (an ``[api]`` mistake stops the server before it starts), metrics, routes."""
    from . import routes_ingest

    settings = ApiSettings.from_table(project.config.api)
    service = Service(
        settings,
        Metrics(),
        LiveScores(
            settings.live_cache_leads,
            settings.max_future_skew,
            settings.resident,
            settings.plan_leads,
        ),
    )
    app.state.service = service
    metrics_module.install(app, service.metrics)
    app.include_router(routes_ingest.router)


async def started(app: FastAPI) -> None:
    """Start the service's parts; when one fails, stop those started before it (the
    lifespan calls :func:`stopping` only after a start), the collector's thresholds given
    back with them, then raise."""
    try:
        await _start(app)
    except BaseException:
        await stopping(app)
        raise


async def _start(app: FastAPI) -> None:
    service: Service = app.state.service
    writer: Writer = app.state.writer
    if service.settings.full_gc:  # before the held store is read (:mod:`.collector`)
        service.collections.take_over()
    if service.settings.event_index:
        await writer.run(ensure_indexes, writer.project.store())
    await writer.run(raise_threshold, writer.project, service.settings.checkpoint_wal_mib)
    if service.settings.resident:  # before the first request, not in its commit
        await writer.run(service.live.warm, writer.project)
    service.batcher = Batcher(
        writer, service.live, service.metrics, service.settings.group_max_events
    )
    service.batcher.start()
    loop = asyncio.get_running_loop()
    if service.settings.checkpoint:
        service.tasks.append(loop.create_task(checkpoint_when_idle(app), name="checkpoint"))
    if service.settings.full_gc:
        service.tasks.append(loop.create_task(collect_when_idle(app), name="full-gc"))
    if service.settings.deliver:
        every = service.settings.deliver_every
        task = loop.create_task(
            _forever(app, every, deliver_due_now, _delivered, ready=due_now), name="deliver"
        )
        service.tasks.append(task)
    if service.settings.sweep:
        every = service.settings.sweep_every
        task = loop.create_task(_forever(app, every, sweep_now, _swept), name="sweep")
        service.tasks.append(task)


async def stopping(app: FastAPI) -> None:
    service: Service = app.state.service
    for task in service.tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if service.batcher is not None:
        await service.batcher.stop()
    service.collections.give_back()


def ensure_indexes(store: Store) -> None:
    """Build the indexes the store lacks (see the module)."""
    have = {r[0] for r in store.execute("SELECT index_name FROM duckdb_indexes()").fetchall()}
    for table, column, name in INDEXES:
        if name not in have:
            log.info("building the index %s on %s(%s), once", name, table, column)
            store.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table}({column})")


async def _forever(
    app: FastAPI,
    every: dt.timedelta,
    work: Callable[[Project], Any],
    done: Callable[[Service, Any], None],
    ready: Callable[[Project], bool] | None = None,
) -> None:
    """Run ``work`` on the writer every ``every``; ``done`` counts what a pass did. A failed
    pass is logged and the next one runs: the store keeps its state (each pass is one
    transaction), so nothing is lost by going on. With ``ready``, a read on a reader says
    first whether there is work: a pass with nothing to do then costs the writer nothing
    (and leaves the results kept by its call count, :mod:`.readers`, valid)."""
    service: Service = app.state.service
    writer: Writer = app.state.writer
    while True:
        await asyncio.sleep(every.total_seconds())
        try:
            if ready is not None and not await app.state.readers.run(ready):
                continue
            report = await writer.run(work, writer.project)
        except Exception:
            log.exception("%s pass failed", getattr(work, "__name__", "a"))
            continue
        if report is not None:
            done(service, report)


def _delivered(service: Service, report: Any) -> None:
    for name in ("delivered", "failed", "dead"):
        service.metrics.deliveries[name] += getattr(report, name)


def _swept(service: Service, report: SweepReport) -> None:
    service.metrics.breaches += len(report.breaches)
    service.metrics.recycled += len(report.recycled)
    if report.recycled:
        service.live.forget(r.lead_id for r in report.recycled)


def sweep_now(project: Project) -> SweepReport:
    """One sweep as of now, applied (see the module)."""
    return project.sweep(apply=True)


def due_now(project: Project) -> bool:
    """Whether a webhook is configured and an outbox message is due now (a read)."""
    if not project.webhooks:
        return False
    store = project.store()
    due = store.scalar(
        "SELECT count(*) FROM outbox WHERE state IN ('pending', 'failed') "
        "AND coalesce(next_attempt_at, created_at) <= ?",
        [store.now()],
    )
    return bool(due)


def deliver_due_now(project: Project) -> object | None:
    """One delivery pass when a message is due now (None: nothing to do)."""
    return project.deliver() if due_now(project) else None
