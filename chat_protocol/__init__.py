"""Wire protocol v1: the pydantic models, names and limits both sides share (and nothing else)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Each name is loaded from its module on first use (PEP 562): `from chat_protocol import
# limits` must not import pydantic, which costs the desktop app's first window ~0.1 s.
_HOMES = {
    "ErrorCode": "errors",
    "ClientEvent": "events",
    "ServerEvent": "events",
    "Limits": "limits",
    "AuthResponse": "models",
    "Error": "models",
    "ErrorBody": "models",
    "Group": "models",
    "GroupDetail": "models",
    "GroupHead": "models",
    "Message": "models",
    "MessagesPage": "models",
    "User": "models",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chat_protocol' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"chat_protocol.{home}"), name)
    globals()[name] = value
    return value


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
