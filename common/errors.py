"""Errors the FastAPI services (backend, desk) answer with, and the handlers that
turn them into JSON.

Every error response is ``{"detail": "<reason>"}``; none echoes the request body.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

logger = logging.getLogger(__name__)


class RequestRejected(Exception):
    """The request cannot be served as asked; the message is the reason given to the client."""

    status_code = 400


class NotFound(RequestRejected):
    """A record the request names does not exist."""

    status_code = 404


class Conflict(RequestRejected):
    """The request clashes with the current state, e.g. a slot already taken."""

    status_code = 409


class Unprocessable(RequestRejected):
    """The request is well-formed but its values cannot be used together."""

    status_code = 422


def error_response(status_code: int, detail: str) -> JSONResponse:
    """The JSON body every error uses. A reason naming what the client sent (a field's
    name) may hold a lone surrogate, which UTF-8 cannot carry: it becomes "?"."""
    readable = detail.encode("utf-8", "replace").decode("utf-8")
    return JSONResponse({"detail": readable}, status_code=status_code)


def _describe(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return f"body is not valid JSON: {error['ctx']['error']} at position {error['loc'][-1]}"
    if tuple(error["loc"]) == ("body",) and error.get("type") == "type_error.dict":
        return "body: expected a JSON object sent as Content-Type: application/json"
    return f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"


async def _rejected(request: Request, error: RequestRejected) -> JSONResponse:
    return error_response(error.status_code, str(error))


async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    return error_response(422, "; ".join(_describe(item) for item in error.errors()))


async def _database_unavailable(request: Request, error: OperationalError) -> JSONResponse:
    logger.error("database error on %s %s: %s", request.method, request.url.path, error)
    return error_response(503, "the database is unavailable, try again shortly")


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure with a JSON reason instead of a traceback or an HTML page."""
    # Starlette's stubs type every handler as taking Exception, though it calls each one
    # only with the class it is registered for.
    app.add_exception_handler(RequestRejected, _rejected)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
