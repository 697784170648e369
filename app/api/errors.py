"""Errors as JSON a person can read: {"detail": message}, with the right status.

Engine exceptions that a client's input can cause are mapped here once, so no
router needs try/except for them and none of them becomes a 500.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.core.architectures import UnknownArchitecture
from app.core.store import (
    CorruptModel,
    InvalidModel,
    InvalidName,
    LimitExceeded,
    ModelExists,
    ModelNotFound,
)
from app.core.tasks import TaskInputError

log = logging.getLogger(__name__)

# engine exception -> HTTP status
STATUS_OF = {
    ModelNotFound: 404,
    ModelExists: 409,
    InvalidName: 422,
    InvalidModel: 422,
    UnknownArchitecture: 422,
    TaskInputError: 422,
    LimitExceeded: 413,
    CorruptModel: 422,
}


def printable(message: str) -> str:
    """A message that can be encoded as UTF-8 JSON even when it quotes a client's
    text holding lone surrogates (valid in a JSON string, not in UTF-8)."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", "invalid"))
    return "; ".join(parts) or "the request is not valid"


def install_error_handlers(app: FastAPI) -> None:
    for exc_type, status in STATUS_OF.items():

        async def handler(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": printable(str(exc))}, status_code=status)

        app.add_exception_handler(exc_type, handler)

    async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        errors = [{**e, "msg": printable(e["msg"])} for e in errors]
        return JSONResponse({"detail": printable(_describe_validation(exc)), "errors": errors}, status_code=422)

    app.add_exception_handler(RequestValidationError, validation_handler)
