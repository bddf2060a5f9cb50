"""Definition versions: list and read them (read), upload and activate one (define).

Activating makes a version the project's definition: its text is written to the
definition file and the activation recorded with the key as actor; a sales or read key is
refused (403). An uploaded text with problems is a 422 listing every one (``details``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from ..errors import DefinitionError
from ..project import Project
from .auth import require
from .errors import ApiError
from .idempotency import Idem
from .keys import DEFINE, READ, ApiKey
from .models import ActivationOut, DefinitionIn, DefinitionListOut, DefinitionOut, errors

router = APIRouter(prefix="/v1/definitions", tags=["definitions"])

Reader = Annotated[ApiKey, Depends(require(READ))]
Definer = Annotated[ApiKey, Depends(require(DEFINE))]
Hash = Annotated[str, Path(description="A version's hash, or its first 6 or more characters")]


@router.get("", response_model=DefinitionListOut, responses=errors())
async def versions(request: Request, key: Reader) -> dict[str, Any]:
    """Every version known, which is active, who activated what and when."""
    project: Project = request.app.state.project
    found = await request.app.state.writer.run(project.definitions)
    return found.as_dict()  # type: ignore[no-any-return]


@router.get("/{hash}", response_model=DefinitionOut, responses=errors(400, 404))
async def version(request: Request, hash: Hash, key: Reader) -> dict[str, Any]:
    """One version: its text and its validation today."""
    project: Project = request.app.state.project
    found = await request.app.state.writer.run(project.definition_version, hash)
    return found.as_dict()  # type: ignore[no-any-return]


@router.post("", response_model=DefinitionOut, status_code=201, responses=errors(400))
async def upload(body: DefinitionIn, key: Definer, idem: Idem) -> JSONResponse:
    """Keep a new version (not active until activated); 422 lists every problem of it."""

    def add(project: Project) -> dict[str, Any]:
        try:
            return project.add_definition(body.source).as_dict()
        except DefinitionError as exc:
            problems = [asdict(p) for p in exc.problems]
            raise ApiError(422, exc.code, str(exc), problems) from exc

    return await idem.run(add, status=201)


@router.post("/{hash}/activate", response_model=ActivationOut, responses=errors(400, 404))
async def activate(hash: Hash, key: Definer, idem: Idem) -> JSONResponse:
    """Make this version the project's definition, recorded with this key."""
    return await idem.run(lambda project: project.activate(hash, actor=key.actor))
