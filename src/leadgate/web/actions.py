"""What a person does from a page: work a queue row (accept, reject with a reason, mark
contacted) and, as an admin, disable a person.

A queue action is the same :class:`~leadgate.project.Project` call the CLI and the API
make (:meth:`Project.move`, :meth:`Project.contacted`), recorded with the actor
``user:NAME``. From htmx (``HX-Request``) the answer is the changed row, swapped in place;
from a plain form post, a redirect back to the queue.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from ..api.keys import ADMIN, WORK
from ..errors import LeadgateError
from ..project import Project
from . import pages
from .guard import page
from .render import html
from .sessions import Session

router = APIRouter(include_in_schema=False)

#: Each queue action: the stage it moves the lead to (None: a touch, no move).
ACTIONS: dict[str, str | None] = {"accept": "sal", "reject": "recycled", "contacted": None}


def act(project: Project, lead_id: str, action: str, actor: str, reason: str | None) -> None:
    """Make the queue action ``action`` on ``lead_id`` as ``actor``."""
    to = ACTIONS[action]
    if to is None:
        project.contacted(lead_id)
    else:
        project.move(lead_id, to, actor=actor, reason=reason if action == "reject" else None)


@router.post("/queue/{lead_id}/{action}")
async def queue_action(
    request: Request,
    lead_id: str,
    action: str,
    reason: str | None = Form(None),  # noqa: B008
    session: Session = Depends(page(WORK)),  # noqa: B008
) -> Response:
    if action not in ACTIONS:
        return html(request, "error.html", 404, message=f"No queue action {action!r}.")
    writer = request.app.state.writer
    actor = session.user.actor

    def run() -> tuple[dict[str, Any], str | None]:
        error = None
        try:
            act(writer.project, lead_id, action, actor, reason or None)
        except LeadgateError as exc:
            error = str(exc)
        return pages.queue_row(writer.project, lead_id), error

    row, error = await writer.run(run)
    if request.headers.get("hx-request") == "true":
        reasons = writer.project.reject_reasons
        return html(request, "_queue_row.html", row=row, error=error, reject_reasons=reasons)
    if error is not None:
        return html(request, "error.html", 409, message=error)
    return RedirectResponse("/queue", status_code=303)


@router.post("/people/{name}/disable")
async def disable_person(
    request: Request,
    name: str,
    session: Session = Depends(page(ADMIN)),  # noqa: B008
) -> Response:
    writer = request.app.state.writer
    await writer.run(writer.project.disable_user, name)
    return RedirectResponse("/people", status_code=303)
