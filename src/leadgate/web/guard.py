"""Who is looking at a page, and whether they may: the session, the role, the CSRF token.

Pages ask for a permission (the API's: read, work, define, admin). Without a live session
a page redirects to the sign-in page and a JSON twin answers 401 in the API's error shape;
a role without the permission gets 403. A JSON twin also takes an API key, as any API route.

Every unsafe request (POST) must carry the session's CSRF token, in the form field
``csrf_token`` or the ``X-CSRF-Token`` header (htmx sends it, see ``static/site.js``), and
must not come from another origin: a forged cross-site post is refused before it acts.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from fastapi import Request

from ..api.auth import presented_key, require
from ..api.errors import ApiError
from ..api.kept import kept_read
from ..api.readers import read
from ..clock import naive_utc
from ..project import Project
from .people import ROLES, User
from .sessions import (
    COOKIE,
    Session,
    SessionPolicy,
    SessionWrite,
    StoredSession,
    judge_session,
    read_session,
)

log = logging.getLogger("leadgate.web")

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInNeeded(Exception):
    """A page was asked for without a live session: go to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Refused(Exception):
    """A signed-in person may not do this (their role), or the request is forged."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def current_session(request: Request) -> Session | None:
    """The request's live session, looked up on a reader (and kept until the writer's next
    call, :mod:`leadgate.api.kept`): a page load never waits for the writer. The rare
    write a check asks for (recording that the session ended, restarting its idle clock
    once a minute) is handed to the writer and not awaited: the answer is
    already known, and the writer may be busy for minutes (a sweep recording thousands of
    breaches). One such write per session is pending at a time."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    policy: SessionPolicy = request.app.state.web_policy

    def stored_session(project: Project) -> StoredSession | None:
        return read_session(project.store(), token)

    if token in request.app.state.web_session_writes:
        # Its write is under way: read the store as it is now (the write may have ended)
        # rather than what was read before the write began.
        stored = await read(request, stored_session)
    else:
        stored = await kept_read(request.app, ("session", token), stored_session)
    found, write = judge_session(stored, naive_utc(request.app.state.writer.project.clock), policy)
    if write is not None:
        _write_later(request, token, write)
    return found


def _write_later(request: Request, token: str, write: SessionWrite) -> None:
    pending: set[str] = request.app.state.web_session_writes
    if token in pending:
        return
    pending.add(token)
    writer = request.app.state.writer

    def done(future: asyncio.Future[None]) -> None:
        pending.discard(token)
        if not future.cancelled() and future.exception() is not None:
            log.error("a session write failed", exc_info=future.exception())

    task = asyncio.ensure_future(writer.run(lambda: write(writer.project.store(), token)))
    task.add_done_callback(done)


def page(permission: str) -> Callable[[Request], Awaitable[Session]]:
    """A dependency for an HTML page or form: the session, if its role has ``permission``;
    for an unsafe method, also a matching CSRF token from the same origin."""

    async def dependency(request: Request) -> Session:
        session = await current_session(request)
        if session is None:
            if request.method not in ("GET", "HEAD"):
                raise Refused(401, "Your session ended: sign in again, then retry.")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInNeeded(target)
        if request.method not in ("GET", "HEAD"):
            await check_csrf(request, session)
        if not session.user.may(permission):
            raise Refused(403, _not_allowed(session.user, permission))
        request.state.session = session
        return session

    return dependency


def twin(permission: str) -> Callable[[Request], Awaitable[User | None]]:
    """A dependency for a JSON twin: a session (or an API key) whose role has
    ``permission``; 401/403 in the API's error shape otherwise."""
    by_key = require(permission)

    async def dependency(request: Request) -> User | None:
        if presented_key(request) is not None:
            await by_key(request)
            return None
        session = await current_session(request)
        if session is None:
            raise ApiError(
                401, "LG904", "Sign in first (or send an API key): this data needs a session."
            )
        if not session.user.may(permission):
            raise ApiError(403, "LG905", _not_allowed(session.user, permission))
        return session.user

    return dependency


async def check_csrf(request: Request, session: Session) -> None:
    """Refuse (403) an unsafe request from another origin or without the session's token."""
    if not same_origin(request):
        raise Refused(403, "Refused: this form was posted from another site.")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if "form" in content_type:
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise Refused(403, "Refused: the form's security token is missing or stale; reload.")


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (``Origin``, else
    ``Referer``); True when it says nothing (the token check still applies)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def sign_in_path(next_path: str) -> str:
    return "/signin?next=" + quote(next_path, safe="/")


def _not_allowed(user: User, permission: str) -> str:
    allowed = ", ".join(r for r, perms in ROLES.items() if permission in perms)
    return (
        f"{user.name} has role {user.role!r}, which may not {permission}; roles that may: "
        f"{allowed}."
    )
