"""The outbox (admin): list its messages, read one with every delivery try, replay one."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from ..project import Project
from .auth import require
from .idempotency import Idem
from .keys import ADMIN, ApiKey
from .models import MessageDetailOut, MessageOut, OutboxOut, errors

router = APIRouter(prefix="/v1/outbox", tags=["outbox"])

Admin = Annotated[ApiKey, Depends(require(ADMIN))]
MessageId = Annotated[str, Path(max_length=200, description="msg_...")]


@router.get("", response_model=OutboxOut, responses=errors())
async def messages(
    request: Request,
    key: Admin,
    state: Literal["pending", "failed", "delivered", "dead"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """Messages, the newest first, with counts by state."""
    project: Project = request.app.state.project
    found = await request.app.state.writer.run(lambda: project.outbox(state=state, limit=limit))
    return found.as_dict()  # type: ignore[no-any-return]


@router.get("/{message_id}", response_model=MessageDetailOut, responses=errors(404))
async def message(request: Request, message_id: MessageId, key: Admin) -> dict[str, Any]:
    """One message and every try of it on every endpoint."""
    project: Project = request.app.state.project
    found = await request.app.state.writer.run(project.outbox_message, message_id)
    return found.as_dict()  # type: ignore[no-any-return]


@router.post("/{message_id}/replay", response_model=MessageOut, responses=errors(404))
async def replay(message_id: MessageId, key: Admin, idem: Idem) -> JSONResponse:
    """Send the message again, with the same webhook-id, to every endpoint (once per
    ``Idempotency-Key``: a retried request does not queue another round)."""
    return await idem.run(lambda project: project.replay(message_id))
