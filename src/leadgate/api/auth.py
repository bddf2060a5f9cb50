"""Who is asking: the API key of a request, and whether its role allows the route.

A key is sent as ``Authorization: Bearer lg_...`` (or ``X-API-Key: lg_...``). No key, an
unknown or revoked key: 401. A key whose role lacks the route's permission: 403, naming the
permission and the roles that have it. Only ``/health`` answers without a key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from .errors import ApiError
from .keys import REVOKED_HERE, ROLES, ApiKey, verify_key
from .readers import read


class VerifiedKeys:
    """The keys a server verified in the store, by the key as presented, so a request
    with one costs no read transaction (at 400 single-event requests a second, the
    readers' key checks were a third of the server's samples). Only valid keys are kept
    (a few per project), and never one whose revocation began in this process
    (:data:`.keys.REVOKED_HERE`): that one is read from the store each time."""

    def __init__(self) -> None:
        self._known: dict[str, ApiKey] = {}

    def get(self, key: str) -> ApiKey | None:
        found = self._known.get(key)
        if found is not None and found.key_id in REVOKED_HERE:
            self._known.pop(key, None)
            return None
        return found

    def remember(self, key: str, found: ApiKey) -> None:
        if found.key_id not in REVOKED_HERE:
            self._known[key] = found


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or None


def require(permission: str) -> Callable[[Request], Awaitable[ApiKey]]:
    """A FastAPI dependency: the request's key, if its role grants ``permission``."""

    async def dependency(request: Request) -> ApiKey:
        key = presented_key(request)
        if key is None:
            raise ApiError(
                401,
                "LG705",
                "An API key is required: send `Authorization: Bearer <key>` "
                "(create one with `leadgate keys create`).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        # A key verified before, or a read (on a reader, not behind the writer): a key
        # revoked on the writer is committed before its answer, and from its revocation
        # on it is read each time, so the next request sees it revoked.
        verified: VerifiedKeys = request.app.state.verified_keys
        found = verified.get(key)
        if found is None:
            found = await read(request, lambda project: verify_key(project.store(), key))
            if found is not None:
                verified.remember(key, found)
        if found is None:
            raise ApiError(
                401,
                "LG706",
                "The API key is not valid (unknown, malformed or revoked).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if permission not in ROLES.get(found.role, frozenset()):
            allowed = ", ".join(r for r, perms in ROLES.items() if permission in perms)
            raise ApiError(
                403,
                "LG707",
                f"Key {found.key_id} has role {found.role!r}, which may not {permission}; "
                f"roles that may: {allowed}.",
            )
        request.state.key = found
        return found

    return dependency
