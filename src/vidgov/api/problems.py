"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal names its reason in ``detail``; nothing that escapes as a bug leaks a
traceback or a secret to the client (it is logged, and the client gets a plain 500).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from vidgov.errors import VidgovError
from vidgov.services.records import NotFound

log = logging.getLogger("vidgov.api")

MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None


def problem_response(status: int, detail: str | None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail)
    return JSONResponse(body.model_dump(), status_code=status, media_type=MEDIA_TYPE,
                        headers=headers)


#: Declared on every router so the OpenAPI schema says what errors look like.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {MEDIA_TYPE: {}},
             "description": HTTPStatus(status).phrase}
    for status in (400, 401, 403, 404, 422)
}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_problem(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_problem(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in errors[:5])
        return problem_response(422, detail)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem_response(404, str(exc))

    @app.exception_handler(VidgovError)
    async def user_error(_: Request, exc: VidgovError) -> JSONResponse:
        return problem_response(422, str(exc))

    @app.exception_handler(DataError)
    async def refused_by_store(request: Request, exc: DataError) -> JSONResponse:
        # A value no column can hold, e.g. a NUL character (PostgreSQL text refuses it):
        # the caller's input, not a bug; the SQL stays in the log.
        log.info("store refused a value on %s %s: %s", request.method, request.url.path,
                 exc.orig)
        return problem_response(422, "a value contains a character the store cannot keep "
                                     "(such as NUL)")

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal error; the service log has the details")
