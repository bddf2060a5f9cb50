"""The analysis pages' routes: overview, definition (versions, diff, activation), compare,
calibration, each with its JSON twin under ``/v1/dashboard``.

These read every lead, so none is computed on every load: the overview is computed when
the server starts and again in the background every :data:`REFRESH_SECONDS`, on a reader,
and a request reads the latest figures (:mod:`.refresh`; the page says how old they are);
the definition page is kept for :data:`KEEP_SECONDS`; a comparison or a calibration runs only when
someone presses *Run* (a POST with the CSRF token, by a role that may define), and its last
result is kept (:mod:`.kept`). Activating a version needs its comparison with the active
one kept (:class:`.versions.CompareFirst`): marketing activates after seeing it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import RedirectResponse

from ..api.errors import status_of
from ..api.keys import DEFINE, READ
from ..api.models import errors
from ..api.readers import read_app
from ..errors import LeadgateError
from ..project import Project
from .calibration import OUTCOMES, CalibrationPage, calibration_page
from .guard import Refused, page, twin
from .kept import Kept
from .overview import OverviewPage, overview_page
from .refresh import Refreshed
from .render import html
from .routes import done, gather, shown
from .sessions import Session
from .versions import (
    ComparePage,
    DefinitionPage,
    check_compared,
    compare_versions,
    default_pair,
    definition_page,
    diff_page,
    versions_and_pair,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/v1/dashboard", tags=["dashboard"], responses=errors(400, 404))

READER = Depends(page(READ))
DEFINER = Depends(page(DEFINE))
TWIN_READ = Depends(twin(READ))

#: How long the definition page's figures are kept (seconds).
KEEP_SECONDS = 60.0
#: How often the overview is computed again in the background (seconds; :mod:`.refresh`).
REFRESH_SECONDS = 60.0
#: Where the last comparison and calibration are kept.
LAST_COMPARE, LAST_CALIBRATION = "compare", "calibration"
STEPS = ("week", "day")


def kept(request: Request) -> Kept:
    return request.app.state.web_kept  # type: ignore[no-any-return]


def kept_overview(app: FastAPI) -> Refreshed[OverviewPage]:
    """The overview, computed on a reader when the server starts and every
    :data:`REFRESH_SECONDS` after (:mod:`.refresh`): no request waits for it but the first."""
    return Refreshed(lambda: read_app(app, overview_page), REFRESH_SECONDS)


async def overview_data(request: Request, html_page: bool) -> tuple[OverviewPage, float]:
    """The latest overview and its age in seconds."""
    refreshed: Refreshed[OverviewPage] = request.app.state.web_overview
    try:
        return await refreshed.get()
    except LeadgateError as exc:
        if html_page:
            raise Refused(status_of(exc), str(exc)) from exc
        raise


async def definition_data(request: Request, html_page: bool) -> DefinitionPage:
    fetch = shown if html_page else gather
    return await kept(request).fresh(
        "definition", KEEP_SECONDS, lambda: fetch(request, definition_page)
    )


# -- overview ---------------------------------------------------------------------------------
@router.get("/")
async def overview(request: Request, session: Session = READER) -> Response:
    data, age = await overview_data(request, True)
    return html(request, "overview.html", data=data, age=age, every=REFRESH_SECONDS)


@api.get("/overview")
async def overview_json(request: Request, _: Any = TWIN_READ) -> Response:
    data, age = await overview_data(request, False)
    tail = {"age_seconds": round(age, 1), "refreshed_every": REFRESH_SECONDS}
    body = overview_bytes(request.app, data)
    more = _json(tail)[1:]  # '"age_seconds":...}'
    return Response(body[:-1] + (b"," if body != b"{}" else b"") + more, media_type=JSON)


JSON = "application/json"


def overview_bytes(app: FastAPI, data: OverviewPage) -> bytes:
    """The overview's JSON, made once per computation (:mod:`.refresh`) rather than per
    request: its funnel, volumes and diagnostics are the same until the next one."""
    made: tuple[OverviewPage, bytes] | None = getattr(app.state, "web_overview_json", None)
    if made is None or made[0] is not data:
        made = (data, _json(jsonable_encoder(data.as_dict())))
        app.state.web_overview_json = made
    return made[1]


def _json(content: Any) -> bytes:
    """As FastAPI's JSON response writes it."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


# -- definition -------------------------------------------------------------------------------
@router.get("/definition")
async def definition(request: Request, session: Session = READER) -> Response:
    data = await definition_data(request, True)
    return html(request, "definition.html", data=data, pair=default_pair(data.versions))


@api.get("/definition")
async def definition_json(request: Request, _: Any = TWIN_READ) -> dict[str, Any]:
    return (await definition_data(request, False)).as_dict()


@router.get("/definition/diff")
async def diff(
    request: Request, a: str | None = None, b: str | None = None, session: Session = READER
) -> Response:
    listing, a, b = await shown(request, versions_and_pair, a, b)
    data = await shown(request, diff_page, a, b)
    return html(request, "diff.html", data=data, versions=listing["versions"])


@api.get("/definition/diff")
async def diff_json(
    request: Request, a: str | None = None, b: str | None = None, _: Any = TWIN_READ
) -> dict[str, Any]:
    _, a, b = await gather(request, versions_and_pair, a, b)
    return (await gather(request, diff_page, a, b)).as_dict()


@router.post("/definition/{key}/activate")
async def activate(request: Request, key: str, session: Session = DEFINER) -> Response:
    last: ComparePage | None = kept(request).get(LAST_COMPARE)

    def run(project: Project) -> None:
        project.activate(check_compared(project, last, key), actor=session.user.actor)

    await done(request, run)
    request.app.state.web_overview.soon()  # the figures shown meanwhile say their age
    kept(request).drop("definition")
    return RedirectResponse("/definition", status_code=303)


# -- compare ----------------------------------------------------------------------------------
@router.get("/compare")
async def compare(
    request: Request, a: str | None = None, b: str | None = None, session: Session = READER
) -> Response:
    last: ComparePage | None = kept(request).get(LAST_COMPARE)
    if last is not None and not (a or b):
        a, b = last.a["hash"], last.b["hash"]
    listing, a, b = await shown(request, versions_and_pair, a, b)
    shows = last is not None and (last.a["hash"], last.b["hash"]) == (a, b)
    return html(
        request, "compare.html", versions=listing["versions"], active=listing["active_hash"],
        a=a, b=b, last=last if shows else None, steps=STEPS,
    )  # fmt: skip


@api.get("/compare")
async def compare_json(request: Request, _: Any = TWIN_READ) -> dict[str, Any]:
    last: ComparePage | None = kept(request).get(LAST_COMPARE)
    listing = (await gather(request, Project.definitions)).as_dict()
    return {
        "active_hash": listing["active_hash"],
        "versions": listing["versions"],
        "last": None if last is None else last.as_dict(),
    }


@router.post("/compare/run")
async def compare_run(
    request: Request,
    a: str = Form(...),  # noqa: B008
    b: str = Form(...),  # noqa: B008
    step: str = Form("week"),  # noqa: B008
    session: Session = DEFINER,
) -> Response:
    if step not in STEPS:
        raise Refused(400, f"Step {step!r}: choose one of {', '.join(STEPS)}.")
    found = await done(request, compare_versions, a, b, step=step)
    kept(request).put(LAST_COMPARE, found)
    return RedirectResponse("/compare", status_code=303)


# -- calibration ------------------------------------------------------------------------------
@router.get("/calibration")
async def calibration(request: Request, session: Session = READER) -> Response:
    last: CalibrationPage | None = kept(request).get(LAST_CALIBRATION)
    return html(request, "calibration.html", last=last, outcomes=OUTCOMES)


@api.get("/calibration")
async def calibration_json(request: Request, _: Any = TWIN_READ) -> dict[str, Any]:
    last: CalibrationPage | None = kept(request).get(LAST_CALIBRATION)
    return {"last": None if last is None else last.as_dict()}


@router.post("/calibration/run")
async def calibration_run(
    request: Request,
    outcome: str = Form("won"),  # noqa: B008
    folds: str = Form(""),  # noqa: B008
    session: Session = DEFINER,
) -> Response:
    if folds.strip() and not (folds.strip().isdigit() and 2 <= int(folds) <= 20):
        raise Refused(400, f"Folds {folds!r}: leave it empty, or give a whole number 2 to 20.")
    count = int(folds) if folds.strip() else None
    found = await done(request, calibration_page, outcome, count)
    kept(request).put(LAST_CALIBRATION, found)
    return RedirectResponse("/calibration", status_code=303)


__all__ = ["api", "router"]
