"""``Idempotency-Key``: a POST sent again with the same key changes nothing and gets the first
answer back.

A client that did not get an answer (a timeout, a dropped connection) cannot know whether
its request was applied; with a key (any text up to 255 characters, a UUID is usual) it
simply sends the request again. The first 2xx answer is stored in the table ``idempotency``
**in the transaction of the change it answers**, so a change without its stored answer, or
an answer without its change, cannot exist. Keys belong to the API key that sent them (two
clients never collide). The same key with another method, path or body is refused (422
``LG713``): that is a client bug, and guessing which request was meant would be worse. A
refused request (4xx) changed nothing and keeps nothing: it may be sent again as it is.

Every POST route opts in with one dependency and one call (the ingest routes do the same
inside their group commit, :mod:`.batcher`)::

    @router.post("/v1/leads/{lead}/accept")
    async def accept(
        lead: str,
        key: ApiKey = Depends(require(WORK)),
        idem: Idempotency = Depends(idempotency),
    ) -> JSONResponse:
        return await idem.run(lambda project: project.move(lead, "sal", actor=key.actor))

``run`` makes the call on the writer thread, inside one transaction with the stored answer;
the call gets the project and returns a result with ``as_dict()`` (or a plain dict).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ..project import Project
from ..store import Store
from .errors import ApiError

HEADER = "idempotency-key"
MAX_KEY = 255


@dataclass(frozen=True)
class Answer:
    """A status and a JSON body: what a route answers, and what a retry gets back."""

    status: int
    body: Any
    replayed: bool = False  # the answer stored for an earlier request with the same key

    def response(self) -> JSONResponse:
        headers = {"idempotent-replayed": "true"} if self.replayed else None
        return JSONResponse(self.body, status_code=self.status, headers=headers)


@dataclass(frozen=True)
class Claim:
    """One request's idempotency key, as stored: who sent it, the key, what was sent."""

    key_id: str
    idem_key: str
    fingerprint: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and body, byte for byte."""
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def header_key(request: Request) -> str | None:
    """The request's ``Idempotency-Key``, checked (None: not sent)."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_KEY or not value.isprintable() or not value.isascii():
        raise ApiError(
            400,
            "LG715",
            f"Idempotency-Key must be 1 to {MAX_KEY} printable ASCII characters (a UUID is usual).",
        )
    return value


def replayed(store: Store, claim: Claim) -> Answer | None:
    """The answer stored for ``claim``'s key, or None; 422 when the key came with another
    request."""
    rows = store.execute(
        "SELECT fingerprint, status, body FROM idempotency WHERE key_id = ? AND idem_key = ?",
        [claim.key_id, claim.idem_key],
    ).fetchall()
    if not rows:
        return None
    stored, status, body = rows[0]
    if stored != claim.fingerprint:
        raise ApiError(
            422,
            "LG713",
            f"Idempotency-Key {claim.idem_key!r} was used before with another request "
            "(method, path or body differ). Use a new key for a new request; send the very "
            "same request to get the first answer again.",
        )
    return Answer(int(status), json.loads(body), replayed=True)


def remember(store: Store, claim: Claim, answer: Answer) -> None:
    """Store the answer to ``claim``, in the caller's transaction."""
    store.execute(
        "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
        [
            claim.key_id,
            claim.idem_key,
            claim.fingerprint,
            answer.status,
            json.dumps(answer.body, separators=(",", ":")),
            store.now(),
        ],
    )


def plain_answer(result: Any, status: int = 200) -> Answer:
    """A route's result (with ``as_dict()``, or plain data) as an :class:`Answer`."""
    body = result.as_dict() if hasattr(result, "as_dict") else result
    return Answer(status, jsonable_encoder(body))


class Idempotency:
    """A POST's idempotency: :meth:`run` its Project call once per key (see the module)."""

    def __init__(self, request: Request, claim: Claim | None) -> None:
        self.request = request
        self.claim = claim

    async def run(self, call: Callable[[Project], Any], status: int = 200) -> JSONResponse:
        """Make ``call(project)`` on the writer, in one transaction with its stored answer."""
        writer = self.request.app.state.writer
        answer: Answer = await writer.run(once, writer.project, self.claim, call, status)
        return answer.response()


def once(
    project: Project, claim: Claim | None, call: Callable[[Project], Any], status: int = 200
) -> Answer:
    """On the writer thread: the stored answer to ``claim``, or ``call``'s, stored with it."""
    store = project.store()
    with store.atomic():
        if claim is not None:
            prior = replayed(store, claim)
            if prior is not None:
                return prior
        answer = plain_answer(call(project), status)
        if claim is not None:
            remember(store, claim, answer)
    return answer


async def claim_of(request: Request) -> Claim | None:
    """The request's claim (after its key was checked by :func:`.auth.require`)."""
    idem_key = header_key(request)
    key = getattr(request.state, "key", None)
    if idem_key is None or key is None:
        return None
    body = await request.body()
    return Claim(key.key_id, idem_key, fingerprint(request.method, request.url.path, body))


async def idempotency(request: Request) -> Idempotency:
    """The FastAPI dependency: declare it after the route's ``require(...)`` key."""
    return Idempotency(request, await claim_of(request))


#: A route's parameter for it (after the key): ``idem: Idem``.
Idem = Annotated[Idempotency, Depends(idempotency)]
