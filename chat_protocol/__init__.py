"""Wire protocol v1: the pydantic models, names and limits both sides share (and nothing else)."""

from chat_protocol.errors import ErrorCode
from chat_protocol.events import ClientEvent, ServerEvent
from chat_protocol.limits import Limits
from chat_protocol.models import (
    AuthResponse,
    Error,
    ErrorBody,
    Group,
    GroupDetail,
    GroupHead,
    Message,
    MessagesPage,
    User,
)

PROTOCOL_VERSION = 1

__all__ = [
    "PROTOCOL_VERSION",
    "AuthResponse",
    "ClientEvent",
    "Error",
    "ErrorBody",
    "ErrorCode",
    "Group",
    "GroupDetail",
    "GroupHead",
    "Limits",
    "Message",
    "MessagesPage",
    "ServerEvent",
    "User",
]
