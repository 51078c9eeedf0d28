"""The server's error hierarchy: each error knows its protocol code and HTTP status."""

from __future__ import annotations

import re
from typing import Any

from chat_protocol import limits
from chat_protocol.errors import ErrorCode


class ApiError(Exception):
    """A client-visible failure, rendered as `{"error": {"code", "message"}}` or an error ack."""

    status = 400
    code = ErrorCode.VALIDATION_ERROR

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": str(self.code), "message": self.message}}


class Unauthorized(ApiError):
    status = 401
    code = ErrorCode.UNAUTHORIZED

    def __init__(self, message: str = "A valid bearer token is required.") -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class InvalidCredentials(ApiError):
    status = 401
    code = ErrorCode.INVALID_CREDENTIALS


class RegistrationClosed(ApiError):
    status = 403
    code = ErrorCode.REGISTRATION_CLOSED


class NotFound(ApiError):
    status = 404
    code = ErrorCode.NOT_FOUND


class UsernameTaken(ApiError):
    status = 409
    code = ErrorCode.USERNAME_TAKEN


class AlreadyMember(ApiError):
    status = 409
    code = ErrorCode.ALREADY_MEMBER


class ValidationFailed(ApiError):
    status = 422
    code = ErrorCode.VALIDATION_ERROR


class WeakPassword(ApiError):
    """A new password that is common, a simple pattern, or the user's own name."""

    status = 422
    code = ErrorCode.WEAK_PASSWORD


class UnknownUser(ApiError):
    status = 422
    code = ErrorCode.UNKNOWN_USER


class MethodNotAllowed(ApiError):
    status = 405
    code = ErrorCode.METHOD_NOT_ALLOWED


class PayloadTooLarge(ApiError):
    status = 413
    code = ErrorCode.PAYLOAD_TOO_LARGE


class FileTooLarge(ApiError):
    """An upload over --max-upload-bytes (issue 12); the connection is closed after the
    answer, so the rest of the body is never read."""

    status = 413
    code = ErrorCode.FILE_TOO_LARGE

    def __init__(self, limit: int) -> None:
        super().__init__(f"A file can be at most {limit} bytes.", headers={"Connection": "close"})


class UploadStalled(ApiError):
    """An upload whose body stopped arriving for --upload-idle-seconds (issue 12).
    Closed after the answer."""

    status = 408
    code = ErrorCode.VALIDATION_ERROR

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"No bytes of the upload arrived for {seconds:g} s; start it again.",
            headers={"Connection": "close"},
        )


class RateLimited(ApiError):
    status = 429
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(message)
        self.headers = {"Retry-After": str(self.retry_after)}

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["error"]["retry_after"] = self.retry_after
        return body


class GroupNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such group.")


class MessageNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such message in this group.")


class NotAuthor(ApiError):
    status = 403
    code = ErrorCode.NOT_AUTHOR

    def __init__(self) -> None:
        super().__init__("Only the message's author may do this.")


class NotCreator(ApiError):
    status = 403
    code = ErrorCode.NOT_CREATOR

    def __init__(self) -> None:
        super().__init__("Only the group's creator may do this.")


class MessageDeleted(ApiError):
    status = 409
    code = ErrorCode.MESSAGE_DELETED

    def __init__(self) -> None:
        super().__init__("This message was deleted.")


class EditWindowClosed(ApiError):
    status = 409
    code = ErrorCode.EDIT_WINDOW_CLOSED


class Unavailable(ApiError):
    """The database could not be reached: try again shortly (clients retry 5xx anyway)."""

    status = 503
    code = ErrorCode.UNAVAILABLE
    retry_after = 1

    def __init__(
        self, message: str = "The server's database is not reachable right now; try again."
    ) -> None:
        super().__init__(message, headers={"Retry-After": str(self.retry_after)})


# SQLSTATE classes that mean "cannot use the database now", not "this request is wrong":
# connection exception, insufficient resources (too many connections), operator
# intervention (shutdown, cannot connect now), no such database, not accepting connections.
_UNAVAILABLE_SQLSTATES = ("08", "53", "57", "3D000", "55000")


def database_unavailable(exc: BaseException) -> Unavailable | None:
    """An Unavailable for errors that mean "the database is down or unreachable"; None for
    anything else (a bug stays a 500). Looks through SQLAlchemy's wrapping to the driver's
    error and its SQLSTATE."""
    from asyncpg.exceptions import InterfaceError as PgInterfaceError
    from asyncpg.exceptions import PostgresConnectionError
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    unreachable = (
        OSError,
        PoolTimeout,
        OperationalError,
        PostgresConnectionError,
        PgInterfaceError,
    )
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, unreachable):
            return Unavailable()
        if isinstance(current, DBAPIError):
            if current.connection_invalidated:
                return Unavailable()
            todo.append(current.orig)
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_SQLSTATES):
            return Unavailable()
        todo += [current.__cause__, current.__context__]
    return None


def validation_message(errors: list[Any]) -> str:
    """One readable line from pydantic / FastAPI validation errors."""
    if not errors:
        return "The request is not valid."
    parts = []
    for err in errors[:3]:
        where = list(err.get("loc", ()))
        if len(where) > 1 and where[0] in _PARAM_PLACES:
            where = where[1:]  # FastAPI's ("query", "limit"): the name is what the user needs
        loc = ".".join(str(p) for p in where) or "request"
        text = _plain(err.get("msg", "invalid"))
        # A rule of the whole request that names its field itself ("body: …").
        parts.append(text if not where and _NAMES_FIELD.match(text) else f"{loc}: {text}")
    return "; ".join(parts)


_PARAM_PLACES = ("body", "query", "path", "header")
_NAMES_FIELD = re.compile(r"[a-z_]+: ")


def _plain(message: str) -> str:
    # pydantic prefixes the text of a ValueError raised by a validator.
    return message.removeprefix("Value error, ")


# Ids and seqs are stored as 64-bit integers; anything larger cannot name a row.
MAX_INT64 = limits.INT64_MAX


def check_int64(name: str, value: int) -> int:
    """The value, or ValidationFailed if no database column could hold it."""
    if value > MAX_INT64:
        raise ValidationFailed(f"{name}: too large")
    return value
