"""Every error as `{"error": {"code", "message"}}`: ours, FastAPI's 422, Starlette's 404/405, and 500s."""

from __future__ import annotations

import logging

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from chat_protocol.errors import ErrorCode
from chat_server import errors
from chat_server.api.common import json_response

log = logging.getLogger(__name__)

_DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)

_STATUS_CODES = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.UNAVAILABLE,
}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status, headers)


def _rejected(request: Request, reason: str) -> None:
    context = getattr(request.app.state, "ctx", None)
    if context is not None:
        context.metrics.rejected_events.labels(reason).inc()


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.ApiError)
    _rejected(request, str(exc.code))
    return json_response(exc.body(), exc.status, exc.headers)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    _rejected(request, "validation_error")
    return _error(422, ErrorCode.VALIDATION_ERROR, errors.validation_message(list(exc.errors())))


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(
        exc.status_code, ErrorCode.VALIDATION_ERROR if exc.status_code < 500 else ErrorCode.INTERNAL
    )
    if exc.status_code == 404:
        message = "No such resource."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed here."
    else:
        message = str(exc.detail)
    _rejected(request, str(code))
    return _error(exc.status_code, code, message, dict(exc.headers or {}))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    unavailable = errors.database_unavailable(exc)
    if unavailable is not None:
        log.warning(
            "database unavailable: %s", type(exc).__name__, extra={"path": request.url.path}
        )
        _rejected(request, str(unavailable.code))
        return json_response(unavailable.body(), unavailable.status, unavailable.headers)
    log.error(
        "request failed", exc_info=exc, extra={"path": request.url.path, "method": request.method}
    )
    return _error(500, ErrorCode.INTERNAL, "The server failed to handle this request.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    # Database errors get a handler of their own: Starlette re-raises whatever reaches the
    # catch-all `Exception` handler (logged as a crash, keep-alive connection dropped).
    for kind in _DATABASE_ERRORS:
        app.add_exception_handler(kind, on_unexpected)
    app.add_exception_handler(Exception, on_unexpected)
