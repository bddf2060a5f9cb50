"""The MQL queue and the reps who work it.

``GET /v1/queue`` (read): leads in stage mql or sal, hot first then by MQL entry, with
filters; a page ends with ``next_cursor``, passed back as ``?cursor=`` for the next one
(keyset pagination: as fast on the last page of a million leads as on the first).
``GET /v1/reps`` (read): every rep, available now or why not, caps and open MQLs.
Both are reads on the server's readers (:mod:`.readers`), not behind its writer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from ..handoff.queue import MAX_LIMIT
from ..project import Project
from .auth import require
from .keys import READ, ApiKey
from .models import QueueOut, RepsOut, errors
from .readers import read

router = APIRouter(prefix="/v1", tags=["queue"])

Reader = Annotated[ApiKey, Depends(require(READ))]
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/queue", response_model=QueueOut, responses=errors(400))
async def queue(
    request: Request,
    key: Reader,
    tier: Text = None,
    owner: Annotated[str | None, Query(max_length=200, description="A rep's name or email")] = None,
    stage: Literal["mql", "sal"] | None = None,
    source: Text = None,
    since: Annotated[dt.datetime | None, Query(description="MQL entry at or after")] = None,
    until: Annotated[dt.datetime | None, Query(description="MQL entry before")] = None,
    q: Annotated[str | None, Query(max_length=200, description="In the email or company")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000, description="next_cursor")] = None,
) -> dict[str, Any]:
    """The MQL queue, hot first then by MQL entry: a page, and the cursor of the next."""

    def page(project: Project) -> dict[str, Any]:
        return project.queue(
            tier=tier, owner=owner, stage=stage, source=source, since=since, until=until,
            q=q, limit=limit, cursor=cursor,
        ).as_dict()  # fmt: skip

    return await read(request, page)


@router.get("/reps", response_model=RepsOut, responses=errors())
async def reps(request: Request, key: Reader) -> dict[str, Any]:
    """Every rep: available now or why not, caps, open MQLs."""
    found = await read(request, Project.reps)
    return found.as_dict()
