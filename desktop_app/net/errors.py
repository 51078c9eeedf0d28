"""The client's error hierarchy for server answers, each carrying the protocol's error code."""

from __future__ import annotations

from chat_protocol.errors import ErrorCode

# The client's own code for an answer whose body is not what the protocol promises.
BAD_RESPONSE = "bad_response"


class ApiError(Exception):
    """The server answered with an error (or could not be reached: see ServerUnreachable)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @property
    def permanent(self) -> bool:
        """True when repeating the same request cannot succeed (a 4xx other than 408/429)."""
        return 400 <= self.status < 500 and self.status not in (408, 429)


class AuthError(ApiError):
    """401: the token is missing, unknown, expired or revoked (or the password is wrong)."""


class ForbiddenError(ApiError):
    """403: for example registration is closed on this server."""


class NotFoundError(ApiError):
    """404: the object does not exist, or the caller is not a member of the group."""


class Conflict(ApiError):
    """409: username taken, already a member."""


class ValidationFailed(ApiError):
    """422: the request broke a protocol rule; `message` says which in plain words."""


class RateLimited(ApiError):
    """429: over a limit; try again after `retry_after` seconds."""

    def __init__(self, status: int, code: str, message: str, retry_after: float) -> None:
        super().__init__(status, code, message)
        self.retry_after = retry_after


class ServerUnreachable(ApiError):
    """The server could not be reached or did not answer in time (status 0)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "unreachable", message)


class ServerError(ApiError):
    """5xx: the server failed; the request may be retried."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    409: Conflict,
    422: ValidationFailed,
}


def error_for(status: int, code: str, message: str, retry_after: float | None = None) -> ApiError:
    """Build the most specific ApiError subclass for an HTTP error answer."""
    if status == 429 or code == ErrorCode.RATE_LIMITED:
        return RateLimited(status, code, message, retry_after if retry_after is not None else 1.0)
    if status >= 500:
        return ServerError(status, code, message)
    return _BY_STATUS.get(status, ApiError)(status, code, message)
