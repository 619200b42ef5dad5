"""Refusals: each domain exception maps to one status, and every refused request is audited.

Handlers are async (Starlette calls them on the event loop), so the audit write runs in the thread
pool, on a connection of its own (the request's transaction has been rolled back). There is no
catch-all ``ValueError`` handler: an unexpected error is a bug and must show as one.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from services.compensation import repository
from services.compensation.access import Forbidden, StateConflict
from services.compensation.api.deps import actor_of
from services.compensation.document import UnreadableDocument
from services.compensation.periods import PeriodError
from services.compensation.repository import NotFound, NoVersionInForce
from services.compensation.statements import Implausible
from services.compensation.uploads import UploadRefused

DETAIL_LIMIT = 2000  # characters of a refusal kept in the audit log

STATUS_OF: dict[type[Exception], int] = {
    NotFound: 404,
    Forbidden: 403,
    StateConflict: 409,
    NoVersionInForce: 409,
    UnreadableDocument: 409,  # a stored statement in no schema this version reads: recalculate it
    PeriodError: 422,
    Implausible: 422,
    UploadRefused: 422,
}


class BadRequest(Exception):
    """A request that is well-formed but contradicts itself (e.g. a body for another agreement): 422."""


STATUS_OF[BadRequest] = 422


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """Control characters as \\xNN escapes (PostgreSQL text cannot hold NUL), cut to the audit's limit."""
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)[:DETAIL_LIMIT]


def audit_refusal(engine: Engine, request: Request, status: int, detail: Any) -> None:
    text = detail if isinstance(detail, str) else repr(detail)
    with engine.begin() as connection:
        repository.record_audit(
            connection,
            actor_of(request),
            "request.rejected",
            printable(request.url.path),
            {"status": status, "detail": printable(text), "method": request.method},
        )


def _validation_detail(error: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in error.errors()]


def add_error_handlers(app: FastAPI, engine: Engine) -> None:
    def domain(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handler(request: Request, error: Exception) -> Response:
            await run_in_threadpool(audit_refusal, engine, request, status, str(error))
            return JSONResponse({"detail": str(error)}, status_code=status)

        return handler

    for exception, status in STATUS_OF.items():
        app.add_exception_handler(exception, domain(status))

    async def invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        await run_in_threadpool(audit_refusal, engine, request, 422, error.errors())
        return await request_validation_exception_handler(request, error)

    async def invalid_model(request: Request, error: Exception) -> Response:
        # a model validated inside a handler (an uploaded agreement or file): answered like a body error
        assert isinstance(error, ValidationError)
        detail = _validation_detail(error)
        await run_in_threadpool(audit_refusal, engine, request, 422, detail)
        return JSONResponse({"detail": detail}, status_code=422)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if 400 <= error.status_code < 500:
            await run_in_threadpool(audit_refusal, engine, request, error.status_code, error.detail)
        return await http_exception_handler(request, error)

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(ValidationError, invalid_model)
    app.add_exception_handler(HTTPException, http_error)
