"""Read one lead, work it (sales actions), and see where it would be routed.

The reads run on the server's readers (:mod:`.readers`), the actions on its writer.

``GET /v1/leads/{lead}`` (read): attributes, score and explanation, stage, owner, SLA,
history. ``POST /v1/leads/{lead}/actions`` (work): accept, reject, contacted, sql,
opportunity, won, lost, recorded with the key as actor (``key:<id>``); an illegal move is a
409 whose details name the legal next stages, a rejection without a configured reason a 400
whose details list them; nothing is written either way. ``GET /v1/leads/{lead}/route``
(read): the route test, nothing written. ``{lead}`` is a lead's id, an alias or its email.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from ..handoff.stages import BadReason, IllegalMove, legal_next
from ..project import Project
from .auth import require
from .errors import ApiError
from .idempotency import Idem
from .keys import READ, WORK, ApiKey
from .models import ActionIn, ActionOut, LeadOut, RouteOut, errors
from .readers import read

router = APIRouter(prefix="/v1/leads", tags=["leads"])

Reader = Annotated[ApiKey, Depends(require(READ))]
Worker = Annotated[ApiKey, Depends(require(WORK))]
LeadKey = Annotated[str, Path(description="The lead's id, an alias, or its email")]


@router.get("/{lead}", response_model=LeadOut, responses=errors(404))
async def read_lead(request: Request, lead: LeadKey, key: Reader) -> dict[str, Any]:
    """One lead: attributes, score with its explanation (adding up to the total), stage,
    owner and routing reason, SLA, history."""
    detail = await read(request, lambda project: project.lead(lead))
    return detail.as_dict()


@router.post("/{lead}/actions", response_model=ActionOut, responses=errors(400, 404, 409))
async def act(lead: LeadKey, body: ActionIn, key: Worker, idem: Idem) -> JSONResponse:
    """A sales action, recorded with this key as the actor."""
    return await idem.run(lambda project: _act(project, lead, body, key.actor))


def _act(project: Project, lead: str, body: ActionIn, actor: str) -> dict[str, Any]:
    """The action, on the writer thread; a refusal carries what the client can do instead."""
    try:
        done = project.act(
            lead, body.action, actor=actor, reason=body.reason, amount=body.amount,
            stage=body.stage,
        )  # fmt: skip
    except IllegalMove as exc:
        stage = project.history(lead).stage
        details = {"stage": stage, "legal_next": list(legal_next(stage))}
        raise ApiError(409, exc.code, str(exc), details) from exc
    except BadReason as exc:  # the configured reasons help a rejection, not a lost deal
        reasons = {"reject_reasons": list(project.reject_reasons)}
        raise ApiError(
            400, exc.code, str(exc), reasons if body.action == "reject" else None
        ) from exc
    return done.as_dict()


@router.get("/{lead}/route", response_model=RouteOut, responses=errors(400, 404))
async def route_test(request: Request, lead: LeadKey, key: Reader) -> dict[str, Any]:
    """Where the lead would be routed now, and why (nothing is written)."""
    found = await read(request, lambda project: project.route_test(lead))
    return found.as_dict()
