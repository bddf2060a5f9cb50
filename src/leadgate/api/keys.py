"""API keys with roles: created and revoked with ``leadgate keys``, stored hashed.

A key reads ``lg_<key_id>_<secret>``: the id is public (it names the actor of every change
made with the key, ``key:<key_id>``), the secret is 192 random bits. Only the SHA-256 of the
whole key is stored, so the store's file gives no key away; a fast hash is right for a random
secret of that length (a slow, memory-hard one is for passwords, which can be guessed).

Each role grants permissions; a route asks for one permission:

========== ==========================================================
role       may
========== ==========================================================
admin      everything
marketing  read leads and scores; list, compare and activate definitions
sales      read leads; work the queue (accept, reject, contact, convert)
ingest     post events and leads, nothing else (it cannot read a lead)
read       read leads, scores, the queue and the definitions
========== ==========================================================

>>> sorted(ROLES["sales"])
['read', 'work']
>>> parse_key("lg_0123456789ab_secret")
'0123456789ab'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from ..errors import LeadgateError
from ..store import Store

#: Permissions a route can ask for.
READ, WORK, DEFINE, INGEST, ADMIN = "read", "work", "define", "ingest", "admin"

ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset({READ, WORK, DEFINE, INGEST, ADMIN}),
    "marketing": frozenset({READ, DEFINE}),
    "sales": frozenset({READ, WORK}),
    "ingest": frozenset({INGEST}),
    "read": frozenset({READ}),
}

PREFIX = "lg_"


class KeyError_(LeadgateError, ValueError):
    """A key cannot be created or revoked as asked (an unknown role or id)."""

    code = "LG700"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    role: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @property
    def actor(self) -> str:
        """How changes made with this key are recorded (``stage_transitions.actor``)."""
        return f"key:{self.key_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class NewKey:
    """A key just created: ``key`` is shown this once and stored only as a hash."""

    key: str
    info: ApiKey

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, **self.info.as_dict()}


@dataclass(frozen=True)
class KeyList:
    keys: list[ApiKey]

    def as_dict(self) -> dict[str, Any]:
        return {"keys": [k.as_dict() for k in self.keys]}


def create_key(store: Store, name: str, role: str) -> NewKey:
    if role not in ROLES:
        raise KeyError_(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    if not name.strip():
        raise KeyError_("A key needs a name (who or what uses it), e.g. --name website.")
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
    info = ApiKey(key_id, name.strip(), role, store.now())
    with store.atomic():
        store.execute(
            "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
            [key_id, info.name, role, _digest(key), info.created_at],
        )
    return NewKey(key, info)


def list_keys(store: Store) -> list[ApiKey]:
    rows = store.execute(
        "SELECT key_id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at"
    ).fetchall()
    return [ApiKey(*row) for row in rows]


#: The ids of keys this process revoked (or began to: a rollback leaves them here). A server
#: keeps the keys it verified in memory (:class:`.auth.VerifiedKeys`) and checks these in
#: the store at every request, from the moment their revocation begins: an answer read
#: before it committed cannot keep a revoked key accepted. Only this process writes the
#: store while it serves, so no other process revokes a key it holds.
REVOKED_HERE: set[str] = set()


def revoke_key(store: Store, key_id: str) -> ApiKey:
    REVOKED_HERE.add(key_id)
    with store.atomic():
        store.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
            [store.now(), key_id],
        )
        rows = store.execute(
            "SELECT key_id, name, role, created_at, revoked_at FROM api_keys WHERE key_id = ?",
            [key_id],
        ).fetchall()
    if not rows:
        raise KeyError_(f"No API key {key_id!r}: `leadgate keys` lists them.")
    return ApiKey(*rows[0])


def verify_key(store: Store, key: str) -> ApiKey | None:
    """The live key ``key`` is, or None (unknown, malformed or revoked)."""
    key_id = parse_key(key)
    if key_id is None:
        return None
    rows = store.execute(
        "SELECT key_id, name, role, created_at, revoked_at, key_hash FROM api_keys "
        "WHERE key_id = ?",
        [key_id],
    ).fetchall()
    if not rows or rows[0][4] is not None:
        return None
    if not hmac.compare_digest(rows[0][5], _digest(key)):
        return None
    return ApiKey(*rows[0][:5])


def parse_key(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    if not key.startswith(PREFIX):
        return None
    key_id, _, secret = key[len(PREFIX) :].partition("_")
    return key_id if key_id and secret else None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
