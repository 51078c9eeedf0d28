"""Every error as `{"error": {"code", "message"}}`: ours, FastAPI's 422, Starlette's 404/405, and 500s.

`error_answer` is the one place an exception becomes an answer; the FastAPI handlers below and
the plain routes (`api/plain.py`) both use it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from chat_protocol.errors import ErrorCode
from chat_server import errors
from chat_server.api.common import json_response
from chat_server.metrics import Metrics

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

Answer = tuple[int, dict[str, Any], dict[str, str]]
# Which methods a path allows, over every kind of route (set by app.py).
AllowedMethods = Callable[[str], list[str]]


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    return status, {"error": {"code": code, "message": message}}, dict(headers or {})


def error_answer(exc: Exception, metrics: Metrics | None, path: str, method: str) -> Answer:
    """(status, body, headers) for any exception a request raised; counts the refusal."""
    answer: Answer
    if isinstance(exc, errors.ApiError):
        answer = exc.status, exc.body(), exc.headers
    else:
        unavailable = errors.database_unavailable(exc)
        if unavailable is not None:
            log.warning("database unavailable: %s", type(exc).__name__, extra={"path": path})
            answer = unavailable.status, unavailable.body(), unavailable.headers
        else:
            log.error("request failed", exc_info=exc, extra={"path": path, "method": method})
            return _error(500, ErrorCode.INTERNAL, "The server failed to handle this request.")
    if metrics is not None:
        metrics.rejected_events.labels(str(answer[1]["error"]["code"])).inc()
    return answer


def _metrics(request: Request) -> Metrics | None:
    context = getattr(request.app.state, "ctx", None)
    return None if context is None else context.metrics


def _respond(answer: Answer) -> Response:
    status, body, headers = answer
    return json_response(body, status, headers)


async def on_error(request: Request, exc: Exception) -> Response:
    return _respond(error_answer(exc, _metrics(request), request.url.path, request.method))


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    failed = errors.ValidationFailed(errors.validation_message(list(exc.errors())))
    return await on_error(request, failed)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(
        exc.status_code, ErrorCode.VALIDATION_ERROR if exc.status_code < 500 else ErrorCode.INTERNAL
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        message = "No such resource."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed here."
        # Starlette names only the methods of the first route matching the path.
        allowed: AllowedMethods | None = getattr(request.app.state, "allowed_methods", None)
        if allowed is not None:
            headers["Allow"] = ", ".join(allowed(request.url.path))
    else:
        message = str(exc.detail)
    metrics = _metrics(request)
    if metrics is not None:
        metrics.rejected_events.labels(str(code)).inc()
    return _respond(_error(exc.status_code, code, message, headers))


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.ApiError, on_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    # Database errors get a handler of their own: Starlette re-raises whatever reaches the
    # catch-all `Exception` handler (logged as a crash, keep-alive connection dropped).
    for kind in _DATABASE_ERRORS:
        app.add_exception_handler(kind, on_error)
    app.add_exception_handler(Exception, on_error)
