"""The dashboard's routes: sign-in, the pages, their JSON twins, and the queue's actions.

Each page is one data function of :mod:`.pages` (the overview, definition, comparison and
calibration pages: :mod:`.routes_analysis`), run on one of the server's readers (a read-only
snapshot of the store beside its one writer: :mod:`leadgate.api.readers`), rendered as HTML
at its path and as JSON at ``/v1/dashboard/<page>``. Whatever writes (signing in and out,
the queue's actions, an activation) runs on the writer. Actions record the person as the
actor (``user:NAME``); an htmx request gets the changed queue row back, a plain form post is
redirected to the queue (the page works without script too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from ..api.batched import Batches
from ..api.errors import status_of
from ..api.kept import kept_held
from ..api.keys import ADMIN, READ, WORK
from ..api.models import errors
from ..api.readers import read
from ..clock import naive_utc
from ..errors import LeadgateError
from . import pages
from .guard import Refused, page, same_origin, twin
from .people import SignInRefused, TooManyTries, check_sign_in
from .render import html, personal, role_html
from .sessions import COOKIE, Session, SessionPolicy, end_session, start_session

T = TypeVar("T")
P_co = TypeVar("P_co", covariant=True)

router = APIRouter(include_in_schema=False)
# The twins' errors are the API's (a bad cursor 400, an unknown lead 404); their bodies are
# the pages' data as it is (:mod:`.pages`), not a published model.
api = APIRouter(prefix="/v1/dashboard", tags=["dashboard"], responses=errors(400, 404))

READER = Depends(page(READ))
WORKER = Depends(page(WORK))
ADMINISTRATOR = Depends(page(ADMIN))
TWIN_READ = Depends(twin(READ))
TWIN_ADMIN = Depends(twin(ADMIN))


async def gather(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A page's data function, run on a reader (:mod:`leadgate.api.readers`: a snapshot
    of the store, beside the writer) with a read view of the project. A JSON twin lets a
    library error through (the API's error shape); a page shows it (:func:`shown`)."""
    return await read(request, lambda project: fn(project, *args, **kwargs))


async def shown(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """:func:`gather` for an HTML page: a library error (an unknown lead, a bad cursor)
    becomes an error page with the API's status for it."""
    try:
        return await gather(request, fn, *args, **kwargs)
    except LeadgateError as exc:
        raise Refused(status_of(exc), str(exc)) from exc


class Read(Protocol[P_co]):
    """A page's read, judged as of a time (:mod:`leadgate.handoff.reads`)."""

    def at(self, now: dt.datetime) -> P_co: ...


class Page(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


async def answered(
    request: Request,
    template: str | None,
    fn: Callable[..., Read[Page]],
    *args: Any,
    together: Callable[[], Awaitable[tuple[int, Any]]] | None = None,
    **kwargs: Any,
) -> Response:
    """A page (``template``) or its JSON twin (None) of a read (``fn``) kept until the
    writer's next call (:mod:`leadgate.api.kept`: a queue page or a lead asked for again
    reads nothing), judged as of the request's second.

    The answer is kept with the read for that second (:meth:`~leadgate.api.kept.Held.
    answer`): the JSON as bytes (the page's data is plain already, see
    :func:`leadgate.results.plain`, so it goes straight to JSON without FastAPI's encoder),
    the HTML per role with the person's name and CSRF token put in per request
    (:func:`.render.personal`). Judged as of the second's start, nothing a person sees
    changes: the pages show SLA countdowns in minutes (``due in 3h 20m``, ``under 1m``,
    :func:`.sla.span`), times to the minute and the score over time by day; a twin's
    ``now`` is that second. The session and role were checked for this request already
    (the route's dependency), as for any page.

    ``together``: a miss is read with the others' of the same moment (a lead page:
    :mod:`leadgate.api.batched`). Errors as :func:`gather` (a twin) or :func:`shown` (a
    page)."""
    key = (fn.__name__, args, tuple(sorted(kwargs.items())))
    try:
        held = await kept_held(
            request.app, key, lambda project: fn(project, *args, **kwargs), together
        )
    except LeadgateError as exc:
        if template is not None:
            raise Refused(status_of(exc), str(exc)) from exc
        raise
    second = naive_utc(request.app.state.writer.project.clock).replace(microsecond=0)

    def data() -> Page:
        # judged once a second, for the page and its twin alike
        return held.answer(second, "data", lambda: held.value.at(second))  # type: ignore[no-any-return]

    if template is None:
        body = held.answer(second, "json", lambda: JSONResponse(data().as_dict()).body)
        return Response(body, media_type="application/json")
    user = request.state.session.user
    variant = ("html", template, request.url.path, user.role, user.disabled_at is None)
    page = held.answer(second, variant, lambda: role_html(request, template, data=data()))
    return personal(request, page)


async def done(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """:func:`shown` for work that writes (an activation) or builds large temporary results
    (a comparison, a calibration): run on the writer thread with the project."""
    writer = request.app.state.writer
    try:
        return await writer.run(lambda: fn(writer.project, *args, **kwargs))  # type: ignore[no-any-return]
    except LeadgateError as exc:
        raise Refused(status_of(exc), str(exc)) from exc


# -- signing in -----------------------------------------------------------------------------
@router.get("/signin")
async def sign_in_form(request: Request, next: str = "/") -> Response:
    return html(request, "signin.html", next=_local(next), error=None)


@router.post("/signin")
async def sign_in(
    request: Request,
    name: str = Form(""),  # noqa: B008
    password: str = Form(""),  # noqa: B008
    next: str = Form("/"),  # noqa: B008
) -> Response:
    writer = request.app.state.writer
    address = request.client.host if request.client else ""
    if not same_origin(request):
        # A sign-in posted by another site would sign this browser in as someone else.
        return html(request, "error.html", 403, message="Refused: posted from another site.")

    def attempt() -> tuple[str, Session]:
        store = writer.project.store()
        return start_session(store, check_sign_in(store, name, password, address))

    try:
        token, _ = await writer.run(attempt)
    except (SignInRefused, TooManyTries) as exc:
        status = 429 if isinstance(exc, TooManyTries) else 401
        return html(request, "signin.html", status, next=_local(next), error=str(exc), name=name)
    response = RedirectResponse(_local(next), status_code=303)
    policy: SessionPolicy = request.app.state.web_policy
    host = (request.headers.get("host") or "").rsplit(":", 1)[0]
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(policy.absolute.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=policy.secure(request.url.scheme, address, host),
        path="/",
    )
    return response


@router.post("/signout")
async def sign_out(request: Request, session: Session = READER) -> Response:
    writer = request.app.state.writer
    token = request.cookies.get(COOKIE, "")
    await writer.run(lambda: end_session(writer.project.store(), token))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _local(path: str) -> str:
    """Only a path on this site is a place to go after signing in (no open redirect)."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


# -- pages and their twins ------------------------------------------------------------------
@router.get("/queue")
async def queue(
    request: Request,
    after: str | None = None,
    owner: str | None = None,
    tier: str | None = None,
    stage: str | None = None,
    source: str | None = None,
    q: str | None = None,
    session: Session = READER,
) -> Response:
    wanted: dict[str, Any] = {"owner": owner, "tier": tier, "stage": stage}
    wanted |= {"source": source, "q": q}
    return await answered(request, "queue.html", pages.queue_read, after=after, **wanted)


@api.get("/queue")
async def queue_json(
    request: Request,
    after: str | None = None,
    owner: str | None = None,
    tier: str | None = None,
    stage: str | None = None,
    source: str | None = None,
    q: str | None = None,
    _: Any = TWIN_READ,
) -> Response:
    wanted: dict[str, Any] = {"owner": owner, "tier": tier, "stage": stage}
    wanted |= {"source": source, "q": q}
    return await answered(request, None, pages.queue_read, after=after, **wanted)


@router.get("/leads/{lead_id}")
async def lead(request: Request, lead_id: str, session: Session = READER) -> Response:
    together = _with_others(request, lead_id)
    return await answered(request, "lead.html", pages.lead_read, lead_id, together=together)


@api.get("/leads/{lead_id}")
async def lead_json(request: Request, lead_id: str, _: Any = TWIN_READ) -> Response:
    together = _with_others(request, lead_id)
    return await answered(request, None, pages.lead_read, lead_id, together=together)


def _with_others(request: Request, lead_id: str) -> Callable[[], Awaitable[tuple[int, Any]]]:
    """A lead not kept is read with the other leads asked for in the same moment
    (:func:`.pages.lead_reads`, equal to :func:`.pages.lead_read` for each)."""
    batches: Batches[str, pages.LeadRead] = request.app.state.web_leads
    return lambda: batches.read(request.app, lead_id)


@router.get("/reps")
async def reps(request: Request, session: Session = READER) -> Response:
    data = await shown(request, pages.reps_page)
    return html(request, "reps.html", data=data)


@api.get("/reps")
async def reps_json(request: Request, _: Any = TWIN_READ) -> dict[str, Any]:
    return (await gather(request, pages.reps_page)).as_dict()


@router.get("/people")
async def people(request: Request, session: Session = ADMINISTRATOR) -> Response:
    data = await shown(request, pages.people_page)
    return html(request, "people.html", data=data)


@api.get("/people")
async def people_json(request: Request, _: Any = TWIN_ADMIN) -> dict[str, Any]:
    return (await gather(request, pages.people_page)).as_dict()
