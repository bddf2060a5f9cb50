"""The dashboard's people: accounts an admin creates with ``leadgate users``, their passwords
(argon2id, memory-hard) and the check of a sign-in, rate-limited per name and per address.

A person has one of the API's roles (:data:`leadgate.api.keys.ROLES`) except ``ingest``
(a machine's role): what a page or a button needs is the same permission a route needs.

>>> sorted(ROLES)
['admin', 'marketing', 'read', 'sales']
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..api.keys import ROLES as KEY_ROLES
from ..errors import LeadgateError
from ..store import Store

#: The roles a person can have, and what each may do (the API's permissions).
PEOPLE_ROLES = ("admin", "marketing", "sales", "read")
ROLES: dict[str, frozenset[str]] = {r: KEY_ROLES[r] for r in PEOPLE_ROLES}

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10

#: Failed sign-ins allowed in :data:`FAILURE_WINDOW` before the next try is refused.
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)

# argon2id with the library's defaults (RFC 9106's second recommendation: 64 MiB, t=3).
_HASHER = PasswordHasher()


class UserError(LeadgateError, ValueError):
    """A person cannot be added or changed as asked (bad name, role or password)."""

    code = "LG900"


class UserNotFound(LeadgateError, LookupError):
    """No person of that name."""

    code = "LG901"


class SignInRefused(LeadgateError, PermissionError):
    """A sign-in failed: wrong name or password, or a disabled person (one message for all,
    so it tells a guesser nothing)."""

    code = "LG902"


class TooManyTries(LeadgateError, PermissionError):
    """Too many failed sign-ins for this name or from this address: wait, then retry."""

    code = "LG903"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: dt.datetime
    disabled_at: dt.datetime | None = None
    has_password: bool = True

    @property
    def actor(self) -> str:
        """How this person's changes are recorded (``stage_transitions.actor``)."""
        return f"user:{self.name}"

    def may(self, permission: str) -> bool:
        return self.disabled_at is None and permission in ROLES.get(self.role, frozenset())

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "disabled_at": self.disabled_at.isoformat() if self.disabled_at else None,
            "has_password": self.has_password,
        }


@dataclass(frozen=True)
class UserList:
    users: list[User]

    def as_dict(self) -> dict[str, Any]:
        return {"users": [u.as_dict() for u in self.users]}


_COLUMNS = "name, role, created_at, disabled_at, password_hash IS NOT NULL"


def add_user(store: Store, name: str, role: str, password: str | None = None) -> User:
    """A new person with ``role`` (and ``password``, or none yet: they cannot sign in)."""
    if not NAME.match(name):
        raise UserError(
            f"User name {name!r} must be 1-64 letters, digits, '.', '_', '-' or '@', "
            "starting with a letter or digit (e.g. 'ana' or 'ana@example.com')."
        )
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    hashed = _hash(password) if password is not None else None
    with store.atomic():
        if store.scalar("SELECT count(*) FROM users WHERE name = ?", [name]):
            raise UserError(f"User {name!r} exists already: `leadgate users` lists them.")
        store.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, NULL)", [name, role, hashed, store.now()]
        )
    return get_user(store, name)


def get_user(store: Store, name: str) -> User:
    rows = store.execute(f"SELECT {_COLUMNS} FROM users WHERE name = ?", [name]).fetchall()
    if not rows:
        raise UserNotFound(f"No user {name!r}: `leadgate users` lists them.")
    return User(*rows[0])


def list_users(store: Store) -> list[User]:
    rows = store.execute(f"SELECT {_COLUMNS} FROM users ORDER BY name").fetchall()
    return [User(*row) for row in rows]


def disable_user(store: Store, name: str) -> User:
    """Disable a person: they cannot sign in, and their open sessions end now."""
    with store.atomic():
        get_user(store, name)
        now = store.now()
        store.execute(
            "UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE name = ?", [now, name]
        )
        store.execute(
            "UPDATE sessions SET ended_at = ? WHERE name = ? AND ended_at IS NULL", [now, name]
        )
    return get_user(store, name)


def set_password(store: Store, name: str, password: str) -> User:
    """Set a person's password; their other sessions end (a changed password is often a
    stolen one)."""
    hashed = _hash(password)
    with store.atomic():
        get_user(store, name)
        store.execute("UPDATE users SET password_hash = ? WHERE name = ?", [hashed, name])
        store.execute(
            "UPDATE sessions SET ended_at = ? WHERE name = ? AND ended_at IS NULL",
            [store.now(), name],
        )
    return get_user(store, name)


def check_sign_in(store: Store, name: str, password: str, address: str) -> User:
    """The person ``name`` if ``password`` is theirs and they may sign in now.

    Refused before the password is even checked when the name, or the address, failed too
    often lately (:class:`TooManyTries`); a failure is recorded and refused with one message
    whatever went wrong (:class:`SignInRefused`).
    """
    since = store.now() - FAILURE_WINDOW
    by_name, by_address = store.execute(
        "SELECT count(*) FILTER (WHERE name = ?), count(*) FILTER (WHERE address = ?) "
        "FROM signin_failures WHERE failed_at > ?",
        [name, address, since],
    ).fetchall()[0]
    if by_name >= MAX_FAILURES_PER_NAME or by_address >= MAX_FAILURES_PER_ADDRESS:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise TooManyTries(
            f"Too many failed sign-ins: wait {minutes} minutes, then try again "
            "(an admin can set a new password with `leadgate users password NAME`)."
        )
    rows = store.execute(
        "SELECT password_hash, disabled_at FROM users WHERE name = ?", [name]
    ).fetchall()
    row = rows[0] if rows else None
    # An unknown name costs the same hash as a known one: the time tells a guesser nothing.
    hashed = row[0] if row is not None and row[0] is not None else _dummy_hash()
    verified = _verify(hashed, password)
    if row is None or row[0] is None or row[1] is not None or not verified:
        with store.atomic():
            store.execute(
                "INSERT INTO signin_failures VALUES (?, ?, ?)", [name, address, store.now()]
            )
            store.execute("DELETE FROM signin_failures WHERE failed_at < ?", [since])
        raise SignInRefused("Wrong name or password (or the account is disabled).")
    if _HASHER.check_needs_rehash(row[0]):
        store.execute("UPDATE users SET password_hash = ? WHERE name = ?", [_hash(password), name])
    return get_user(store, name)


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(
            f"A password needs at least {MIN_PASSWORD} characters; got {len(password)}."
        )
    return _HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


__all__ = [
    "ROLES",
    "SignInRefused",
    "TooManyTries",
    "User",
    "UserError",
    "UserList",
    "UserNotFound",
    "add_user",
    "check_sign_in",
    "disable_user",
    "get_user",
    "list_users",
    "set_password",
]
