"""Ingest routes: ``POST /v1/events`` and ``POST /v1/leads`` (permission ``ingest``; a lead's
handoff fields, ``stage`` and a CRM's touch dates, also ``work``), and ``GET /metrics``
(permission ``read``).

Each body is read up to ``[api] max_body_bytes`` (413 beyond), parsed (400 when it is not
JSON), checked whole (:mod:`.inputs`: 422 naming every bad row), and only then queued for a
group commit (:mod:`.batcher`). The answer comes once the transaction that holds the
request's rows committed, so a 2xx survives a ``kill -9`` of the server that follows it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from ..handoff.imported import HANDOFF_FIELDS
from .auth import require
from .errors import ApiError
from .event_writer import event_keys
from .group import Pending
from .idempotency import Answer, claim_of
from .inputs import EVENT_FIELDS, MAX_PROBLEMS, check_leads, parse_json, read_events
from .keys import INGEST, READ, ROLES, WORK, ApiKey
from .metrics import outbox_pending
from .models import EventsOut, LeadsOut, errors

router = APIRouter()

_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "ts"],
    "properties": {name: {"type": "string"} for name in EVENT_FIELDS if name != "properties"}
    | {"properties": {"type": "object"}},
}
_LEAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"lead_id": {"type": "string"}, "email": {"type": "string"}},
    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
}


def _body_doc(plural: str, item: dict[str, Any]) -> dict[str, Any]:
    batch = {"type": "object", "required": [plural],
             "properties": {plural: {"type": "array", "items": item, "minItems": 1}}}  # fmt: skip
    schema = {"oneOf": [item, batch]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # read once: the idempotency fingerprint reads it again
    return body


def _too_large(size: int, limit: int) -> ApiError:
    return ApiError(
        413,
        "LG709",
        f"The body is {size:,} bytes or more; at most {limit:,} ([api] max_body_bytes): "
        "send the rows in several requests.",
    )


@router.post(
    "/v1/events",
    tags=["ingest"],
    response_model=EventsOut,
    responses=errors(400, 413),
    openapi_extra=_body_doc("events", _EVENT_SCHEMA),
)
async def post_events(
    request: Request,
    key: ApiKey = Depends(require(INGEST)),  # noqa: B008
) -> JSONResponse:
    """Store one event or a batch, rescore the leads they touch, and hand off those that
    enter a sales tier, all in one committed transaction before the answer."""
    service = request.app.state.service
    settings = service.settings
    body = await read_body(request, settings.max_body_bytes)
    writer = request.app.state.writer
    compiled = service.live.compiled(writer.project)
    now = writer.project.clock.now().replace(tzinfo=None)
    events = read_events(
        body, compiled.event_types, now, settings.max_future_skew, settings.max_events
    )
    answer: Answer = await service.batcher.submit(
        Pending("events", events, await claim_of(request), event_keys(events))
    )
    return answer.response()


@router.post(
    "/v1/leads",
    tags=["ingest"],
    response_model=LeadsOut,
    responses=errors(400, 413),
    openapi_extra=_body_doc("leads", _LEAD_SCHEMA),
)
async def post_leads(
    request: Request,
    key: ApiKey = Depends(require(INGEST)),  # noqa: B008
) -> JSONResponse:
    """Upsert one lead or a batch, as an import of the same rows would."""
    service = request.app.state.service
    body = await read_body(request, service.settings.max_body_bytes)
    leads = check_leads(parse_json(body), service.settings.max_events)
    _may_move(key, leads)
    answer: Answer = await service.batcher.submit(Pending("leads", leads, await claim_of(request)))
    return answer.response()


def _may_move(key: ApiKey, leads: list[dict[str, Any]]) -> None:
    """403 when a lead of the body sets a handoff field (a stage, a CRM's touch date) and
    the key's role may not work leads: ``ingest`` posts facts about leads, it does not
    hand them off (a stage moved by an upsert skips the stage machine, as a CRM import)."""
    if WORK in ROLES.get(key.role, frozenset()):
        return
    found = [
        {"index": index, "field": name,
         "problem": "a handoff field: only a role that may work leads may set it"}
        for index, row in enumerate(leads)
        for name in HANDOFF_FIELDS
        if name in row
    ]  # fmt: skip
    if not found:
        return
    first = found[0]
    allowed = ", ".join(r for r, perms in ROLES.items() if {INGEST, WORK} <= perms)
    raise ApiError(
        403,
        "LG707",
        f"leads[{first['index']}].{first['field']}: key {key.key_id} has role {key.role!r}, "
        f"which may post leads but not move their handoff ({', '.join(HANDOFF_FIELDS)}); "
        f"roles that may: {allowed}. Send the leads without it, or move a lead with "
        "POST /v1/leads/{lead}/actions and a key whose role may work. Nothing was written.",
        found[:MAX_PROBLEMS],
    )


@router.get("/metrics", tags=["service"], response_class=Response)
async def get_metrics(request: Request, key: ApiKey = Depends(require(READ))) -> Response:  # noqa: B008
    """The server's counters, in the Prometheus text format."""
    writer = request.app.state.writer
    pending = await writer.run(lambda: outbox_pending(writer.project.store()))
    text = request.app.state.service.metrics.render(pending)
    return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")
