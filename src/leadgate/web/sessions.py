"""Signed-in sessions: a random cookie, kept in the store only as its hash, that expires.

A session ends when it was idle for :attr:`SessionPolicy.idle` or lived for
:attr:`SessionPolicy.absolute`, whichever comes first, at sign-out, or when the person is
disabled or given a new password. Each session has its own CSRF token: every unsafe request
(a form post, an htmx action) must send it back (see :mod:`.guard`).

The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (a cross-site form post
does not carry it) and ``Secure`` (sent over HTTPS only). ``Secure`` is dropped only for a
plain-http request between loopback addresses (``leadgate serve`` on your own machine),
unless ``LEADGATE_SECURE_COOKIES`` says ``always`` (behind a TLS proxy on the same host) or
``never``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ..store import Store
from .people import User, get_user

COOKIE = "leadgate_session"


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives, and when its cookie is ``Secure``."""

    idle: dt.timedelta = dt.timedelta(minutes=30)
    absolute: dt.timedelta = dt.timedelta(hours=12)
    secure_cookies: str = "auto"  # auto | always | never

    @classmethod
    def from_env(cls) -> SessionPolicy:
        """The policy with ``LEADGATE_SECURE_COOKIES`` (auto, always, never) applied."""
        mode = os.environ.get("LEADGATE_SECURE_COOKIES", "auto").strip().lower()
        if mode not in {"auto", "always", "never"}:
            raise ValueError(
                f"LEADGATE_SECURE_COOKIES must be auto, always or never. Got {mode!r} instead."
            )
        return cls(secure_cookies=mode)

    def secure(self, scheme: str, client: str, host: str) -> bool:
        """Whether the cookie of a request over ``scheme`` from ``client`` to ``host`` (the
        Host header, without the port) is marked ``Secure``."""
        if self.secure_cookies != "auto":
            return self.secure_cookies == "always"
        return scheme == "https" or not (_loopback(client) and _loopback(host))


@dataclass(frozen=True)
class Session:
    """A live session: who, and the CSRF token its forms carry."""

    user: User
    csrf_token: str
    created_at: dt.datetime


def start_session(store: Store, user: User) -> tuple[str, Session]:
    """A new session for ``user``: the cookie's value (shown once) and the session."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = store.now()
    store.execute(
        "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, NULL)",
        [_digest(token), user.name, csrf, now, now],
    )
    return token, Session(user, csrf, now)


#: How often a session's ``seen_at`` is written (its idle clock restarts within this much).
SEEN_EVERY = dt.timedelta(minutes=1)


def find_session(store: Store, token: str, policy: SessionPolicy) -> Session | None:
    """The live session of the cookie ``token``, its idle clock restarted; None when there
    is none, or it ended, expired, or its person is disabled."""
    found, write = look_up_session(store, token, policy)
    if write is not None:
        write(store, token)
    return found


#: A write a session check needs: ``end_session`` or ``touch_session``, (store, token).
SessionWrite = Callable[[Store, str], None]


def look_up_session(
    store: Store, token: str, policy: SessionPolicy
) -> tuple[Session | None, SessionWrite | None]:
    """:func:`find_session` as a read and the write it needs, if any (the session ended, or
    its idle clock is due a restart): the server checks sessions on a reader and makes the
    rare write on its writer (:mod:`.guard`)."""
    return judge_session(read_session(store, token), store.now(), policy)


@dataclass(frozen=True)
class StoredSession:
    """A session as stored, with its person: judged as of a time by :func:`judge_session`
    (the server keeps it until its writer's next call: :mod:`leadgate.api.kept`)."""

    user: User
    csrf_token: str
    created_at: dt.datetime
    seen_at: dt.datetime
    disabled_at: dt.datetime | None


def read_session(store: Store, token: str) -> StoredSession | None:
    """The open session of the cookie ``token`` (None: there is none, or it ended)."""
    if not token:
        return None
    rows = store.execute(
        "SELECT s.name, s.csrf_token, s.created_at, s.seen_at, u.disabled_at FROM sessions s "
        "JOIN users u USING (name) WHERE s.session_hash = ? AND s.ended_at IS NULL",
        [_digest(token)],
    ).fetchall()
    if not rows:
        return None
    name, csrf, created, seen, disabled = rows[0]
    return StoredSession(get_user(store, name), csrf, created, seen, disabled)


def judge_session(
    found: StoredSession | None, now: dt.datetime, policy: SessionPolicy
) -> tuple[Session | None, SessionWrite | None]:
    """The live session ``found`` is as of ``now`` (naive UTC), and the write it needs."""
    if found is None:
        return None, None
    seen, created = found.seen_at, found.created_at
    if found.disabled_at is not None or now - seen > policy.idle or now - created > policy.absolute:
        return None, end_session
    # Restarting the idle clock is a write; once a minute is enough for a 30-minute clock,
    # and a page load stays a read.
    write = touch_session if now - seen >= SEEN_EVERY else None
    return Session(found.user, found.csrf_token, created), write


def touch_session(store: Store, token: str) -> None:
    """Restart the session's idle clock."""
    store.execute(
        "UPDATE sessions SET seen_at = ? WHERE session_hash = ?", [store.now(), _digest(token)]
    )


def end_session(store: Store, token: str) -> None:
    store.execute(
        "UPDATE sessions SET ended_at = ? WHERE session_hash = ? AND ended_at IS NULL",
        [store.now(), _digest(token)],
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _loopback(host: str) -> bool:
    import ipaddress

    host = host.strip("[]")
    if host in {"localhost", "testclient", "testserver"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


__all__ = [
    "COOKIE",
    "Session",
    "SessionPolicy",
    "SessionWrite",
    "end_session",
    "find_session",
    "look_up_session",
    "start_session",
    "touch_session",
]
