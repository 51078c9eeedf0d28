"""Error codes carried in the protocol's `{"error": {"code", "message"}}` shape."""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every `error.code` a server may send; clients branch on these, never on messages."""

    UNAUTHORIZED = "unauthorized"
    INVALID_CREDENTIALS = "invalid_credentials"
    USERNAME_TAKEN = "username_taken"
    WEAK_PASSWORD = "weak_password"
    REGISTRATION_CLOSED = "registration_closed"
    NOT_FOUND = "not_found"
    VALIDATION_ERROR = "validation_error"
    UNKNOWN_USER = "unknown_user"
    ALREADY_MEMBER = "already_member"
    NOT_AUTHOR = "not_author"  # v2: edit or delete of someone else's message
    NOT_CREATOR = "not_creator"  # v2: remove a member or rename, not the group's creator
    MESSAGE_DELETED = "message_deleted"  # v2: any event on a deleted message
    EDIT_WINDOW_CLOSED = "edit_window_closed"  # v2: an edit after the edit window
    RATE_LIMITED = "rate_limited"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    FILE_TOO_LARGE = "file_too_large"  # issue 12: an upload over --max-upload-bytes
    UNKNOWN_EVENT = "unknown_event"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL = "internal_error"
    UNAVAILABLE = "unavailable"
