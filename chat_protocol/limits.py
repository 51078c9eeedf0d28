"""Protocol limits with their default values; the server makes each one configurable."""

from dataclasses import dataclass

USERNAME_PATTERN = r"^[a-z0-9_.\-]{3,32}$"
USERNAME_MIN = 3
USERNAME_MAX = 32
PASSWORD_MIN = 8
PASSWORD_MAX = 256
DISPLAY_NAME_MIN = 1
DISPLAY_NAME_MAX = 64
GROUP_NAME_MIN = 1
GROUP_NAME_MAX = 100
BODY_MIN = 1
BODY_MAX = 4000
REQUEST_BODY_MAX_BYTES = 64 * 1024
SOCKET_PAYLOAD_MAX_BYTES = 64 * 1024
PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 200
USER_SEARCH_MAX = 20
SEND_BURST = 20
SEND_WINDOW_SECONDS = 5.0
LOGIN_FAILURES_PER_MINUTE = 10
TYPING_INTERVAL_SECONDS = 1.0
PING_INTERVAL_SECONDS = 15.0
# Protocol v2
EDIT_WINDOW_SECONDS = 48 * 3600.0
REPLY_EXCERPT_CHARS = 100
EVENTS_PAGE_LIMIT_DEFAULT = 100
EVENTS_PAGE_LIMIT_MAX = 500
# Issue 12: files, search
ATTACHMENTS_MAX = 10
UPLOAD_MAX_BYTES = 25 * 1024 * 1024
UPLOAD_NAME_MAX_BYTES = 255
UPLOADS_PENDING_MAX = 200
UPLOAD_PENDING_SECONDS = 24 * 3600.0
THUMBNAIL_MAX_PX = 320
IMAGE_MAX_PIXELS = 40_000_000
SEARCH_QUERY_MAX = 200
SEARCH_LIMIT_DEFAULT = 20
SEARCH_LIMIT_MAX = 50
# Ids and seqs are stored as 64-bit signed integers.
INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits in force on one server; defaults are protocol v1's."""

    body_max: int = BODY_MAX
    request_body_max_bytes: int = REQUEST_BODY_MAX_BYTES
    socket_payload_max_bytes: int = SOCKET_PAYLOAD_MAX_BYTES
    send_burst: int = SEND_BURST
    send_window_seconds: float = SEND_WINDOW_SECONDS
    login_failures_per_minute: int = LOGIN_FAILURES_PER_MINUTE
    typing_interval_seconds: float = TYPING_INTERVAL_SECONDS
    page_limit_max: int = PAGE_LIMIT_MAX
