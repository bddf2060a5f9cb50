"""The HTTP API's application: one FastAPI app over one :class:`Project`.

``create_app(project)`` builds it; ``leadgate serve`` (:mod:`.server`) runs it with uvicorn.
While the app runs, its :class:`~.writer.Writer` holds the project's store: every route
that writes makes its :class:`Project` calls through ``app.state.writer``, and the reads
that need no write (a lead, the queue, the dashboard's pages, the key and session checks)
through ``app.state.readers`` (:mod:`.readers`: a few threads, each reading a snapshot
through its own cursor of the held store), so the API, the CLI beside it (:mod:`.local`)
and the library never disagree, and a read never queues behind a write. Routes live in
``routes_*`` modules, each an ``APIRouter`` included here; errors have one shape
(:mod:`.errors`); keys and roles are in :mod:`.auth`.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Depends, FastAPI, Request, Response

from .. import __version__, web
from ..project import Project
from . import errors, local, service
from .auth import VerifiedKeys, require
from .behind import Behind
from .kept import KeptReads
from .keys import READ, ApiKey
from .readers import Readers
from .writer import Writer


def create_app(project: Project, *, announce_url: str | None = None) -> FastAPI:
    """The API over ``project``. With ``announce_url``, the app leaves the note that lets
    the CLI in another shell work through it (:mod:`.local`) while it runs."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.service.settings
        writer = Writer(
            project,
            Behind(
                project.store_path,
                enabled=settings.write_behind,
                max_events=settings.behind_max_events,
                max_age=settings.behind_max_age.total_seconds(),
                flush_idle=settings.behind_flush_idle,
            ),
        )
        writer.start()
        app.state.writer = writer
        readers = Readers(writer, app.state.service.settings.readers)
        readers.start()
        app.state.readers = readers
        app.state.kept_reads = KeptReads()
        try:
            await service.started(app)
            web.started(app)
            note = local.write_note(project.root, announce_url) if announce_url else None
            try:
                yield
            finally:
                if note is not None:
                    local.remove_note(project.root, note)
                await web.stopping(app)
                await service.stopping(app)
        finally:
            readers.stop()  # before the writer closes the connection their cursors share
            writer.stop()

    app = FastAPI(
        title="leadgate",
        version=__version__,
        summary="One agreed MQL definition, scored on every lead and handed to sales.",
        lifespan=lifespan,
    )
    app.state.project = project
    app.state.verified_keys = VerifiedKeys()
    app.state.local_token = None
    errors.install(app)
    _core_routes(app)
    service.install(app, project)  # ingest, group commits, metrics, delivery (api-core)
    _work_routes(app)
    web.install(app)  # the dashboard (leadgate.web), on the same app
    return app


def _core_routes(app: FastAPI) -> None:
    @app.get("/health", tags=["service"])
    async def health(request: Request) -> dict[str, Any]:
        """Up and holding the store (no key needed): the writer and a reader answer."""
        writer: Writer = request.app.state.writer
        await writer.run(lambda: writer.project.store().scalar("SELECT 1"))
        await request.app.state.readers.run(lambda project: project.store().scalar("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @app.get("/v1/whoami", tags=["service"])
    async def whoami(key: ApiKey = Depends(require(READ))) -> dict[str, Any]:  # noqa: B008
        """The key the request was made with, and its role."""
        return key.as_dict()

    @app.post(local.ROUTE, include_in_schema=False)
    async def project_call(request: Request) -> Response:
        """A :class:`Project` call from the CLI in another shell (see :mod:`.local`)."""
        note = local.read_note(request.app.state.project.root)
        token = request.headers.get(local.TOKEN_HEADER, "")
        client = request.client.host if request.client else ""
        if note is None or not _loopback(client) or not _same(token, note.token):
            return errors.error_response(403, "LG708", "Not a local call of this server.")
        payload = await request.body()
        writer: Writer = request.app.state.writer
        body = await writer.run(local.answer, writer.project, payload)
        if not local.keeps_live(payload):  # the call may have changed leads or events
            request.app.state.service.live.forget()
        return Response(body, media_type="application/x-pickle")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in {"localhost", "testclient"}


def _same(a: str, b: str) -> bool:
    import hmac

    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


def _work_routes(app: FastAPI) -> None:
    """The read and work routes: a lead, the queue, sales actions, definition versions,
    reps and routing, the outbox, erasure."""
    from . import routes_definitions, routes_erasures, routes_leads, routes_outbox, routes_queue

    modules = (routes_leads, routes_queue, routes_definitions, routes_outbox, routes_erasures)
    for module in modules:
        app.include_router(module.router)
