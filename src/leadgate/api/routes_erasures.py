"""Erasure (admin): ``POST /v1/erasures`` forgets a person, as ``leadgate forget`` does.

The email travels in the body, not the path, so access logs and proxies never hold it. The
answer is the erasure's record (:class:`~leadgate.handoff.erasure.Erasure`): when, by whom
(``key:<id>``), how many rows of each table, and no email or lead id. The server's held
scores of the person are dropped with it: nothing of them stays in memory either. An email
no lead has is a 404 and records nothing; an erasure is one transaction, so a failure
leaves the person as they were.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from .auth import require
from .idempotency import Idem
from .keys import ADMIN, ApiKey
from .models import ErasureIn, ErasureOut, errors

router = APIRouter(prefix="/v1/erasures", tags=["erasure"])

Admin = Annotated[ApiKey, Depends(require(ADMIN))]


@router.post("", response_model=ErasureOut, responses=errors(400, 404))
async def erase(request: Request, body: ErasureIn, key: Admin, idem: Idem) -> JSONResponse:
    """Remove the person from every table; keep only that an erasure happened."""
    try:
        return await idem.run(lambda project: project.forget(body.email, actor=key.actor))
    finally:
        request.app.state.service.live.forget()  # held states may hold the person's events
