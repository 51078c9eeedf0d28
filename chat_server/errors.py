"""The server's error hierarchy: each error knows its protocol code and HTTP status."""

from __future__ import annotations

from typing import Any

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


class UnknownUser(ApiError):
    status = 422
    code = ErrorCode.UNKNOWN_USER


class PayloadTooLarge(ApiError):
    status = 413
    code = ErrorCode.PAYLOAD_TOO_LARGE


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


def validation_message(errors: list[Any]) -> str:
    """One readable line from pydantic / FastAPI validation errors."""
    if not errors:
        return "The request is not valid."
    parts = []
    for err in errors[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",)) or "request"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


# Ids and seqs are stored as 64-bit integers; anything larger cannot name a row.
MAX_INT64 = 2**63 - 1


def check_int64(name: str, value: int) -> int:
    """The value, or ValidationFailed if no database column could hold it."""
    if value > MAX_INT64:
        raise ValidationFailed(f"{name}: too large")
    return value
