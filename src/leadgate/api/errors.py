"""One JSON shape for every error the API returns: ``{"error": {code, message, details}}``.

The status says what kind of problem it is, the ``code`` which one (the same ``LGnnn`` codes
the CLI prints), the message what to do. Map: a missing thing (``LookupError``) is 404, an
illegal stage move 409, other bad input (``ValueError``) 400, a body that fails the request
schema 422, no key 401, a key without the permission 403, anything unexpected 500 with
``LG002`` and nothing of the internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import UNEXPECTED_ERROR, LeadgateError

log = logging.getLogger("leadgate.api")


class ApiError(LeadgateError):
    """An error with its HTTP status, raised by the API layer itself (auth, limits)."""

    def __init__(
        self, status: int, code: str, message: str, details: Any = None, headers: Any = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: Any = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: LeadgateError) -> int:
    """The HTTP status of a library error, by what kind of error it is."""
    from ..handoff.stages import IllegalMove

    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, IllegalMove):
        return 409
    if isinstance(exc, LookupError):
        return 404
    if isinstance(exc, ValueError):
        return 400
    return 500


def install(app: FastAPI) -> None:
    """Route every error the app can raise to the one shape."""

    @app.exception_handler(LeadgateError)
    async def leadgate_error(request: Request, exc: LeadgateError) -> JSONResponse:
        if isinstance(exc, ApiError):
            return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
        return error_response(status_of(exc), exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"at": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = details[0] if details else {"at": "", "problem": "invalid"}
        message = f"The request is not valid: {first['at']}: {first['problem']}"
        return error_response(422, "LG701", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "LG702", 405: "LG703"}.get(exc.status_code, "LG704")
        return error_response(exc.status_code, code, str(exc.detail), None, exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, UNEXPECTED_ERROR, "Unexpected server error; see its log.")
