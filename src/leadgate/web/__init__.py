"""The web dashboard, served by ``leadgate serve`` on the same app as the HTTP API.

``install(app)`` adds it: sign-in and sessions (:mod:`.sessions`, :mod:`.people`), the
permission and CSRF checks (:mod:`.guard`), the pages and their JSON twins (:mod:`.routes`,
data from :mod:`.pages`, read on the server's readers beside its writer; the overview kept
fresh in the background, :mod:`.refresh`), the queue's actions (:mod:`.actions`), and the
static files (``static/``: the stylesheet and htmx, served by leadgate itself; no CDN, no
build step).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from .guard import Refused, SignInNeeded, sign_in_path
from .render import html
from .sessions import SessionPolicy

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, policy: SessionPolicy | None = None) -> None:
    """Add the dashboard's routes, static files and error pages to ``app``."""
    from ..api.batched import Batches
    from ..handoff.many_leads import MOST
    from . import actions, pages, routes, routes_analysis
    from .kept import Kept

    app.state.web_policy = policy or SessionPolicy.from_env()
    app.state.web_kept = Kept()
    app.state.web_overview = routes_analysis.kept_overview(app)
    # Lead pages not kept, read together (:mod:`leadgate.api.batched`).
    app.state.web_leads = Batches(pages.lead_reads, most=MOST)
    app.state.web_session_writes = set()  # sessions with a write pending (:mod:`.guard`)
    app.include_router(routes.router)
    app.include_router(routes.api)
    app.include_router(routes_analysis.router)
    app.include_router(routes_analysis.api)
    app.include_router(actions.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(SignInNeeded)
    async def to_sign_in(request: Request, exc: SignInNeeded) -> Response:
        return RedirectResponse(sign_in_path(exc.next_path), status_code=303)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return html(request, "error.html", exc.status, message=exc.message)


def started(app: FastAPI) -> None:
    """In the app's lifespan, once the readers run: compute the overview now (and in the
    background from then on), so that its first request finds it done or under way."""
    app.state.web_overview.start()


async def stopping(app: FastAPI) -> None:
    """Stop the overview's background computation (before the readers stop)."""
    await app.state.web_overview.stop()


__all__ = ["install", "started", "stopping"]
