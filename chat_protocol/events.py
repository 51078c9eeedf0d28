"""Socket.IO event names (protocol v1 and v2) and the kinds of v2 log events."""

from enum import StrEnum


class ServerEvent(StrEnum):
    """Events the server emits to clients."""

    READY = "ready"
    MESSAGE_NEW = "message:new"
    GROUP_JOINED = "group:joined"
    GROUP_LEFT = "group:left"
    TYPING = "typing"
    READ = "read"
    EVENT = "event"  # protocol v2: one group log event
    GROUP_MUTED = "group:muted"  # issue 12: the caller muted or unmuted a group


class ClientEvent(StrEnum):
    """Events a client may emit; each is answered with an ack."""

    MESSAGE_SEND = "message:send"
    TYPING = "typing"
    PING = "ping"


SOCKETIO_PATH = "/socket.io"
ADMIN_NAMESPACE = "/admin"


class EventKind(StrEnum):
    """The kinds of event in a group's log (protocol v2)."""

    MESSAGE_POSTED = "message.posted"
    MESSAGE_EDITED = "message.edited"
    MESSAGE_DELETED = "message.deleted"
    REACTION_ADDED = "reaction.added"
    REACTION_REMOVED = "reaction.removed"
    MEMBER_ADDED = "member.added"
    MEMBER_LEFT = "member.left"
    MEMBER_REMOVED = "member.removed"
    GROUP_RENAMED = "group.renamed"


# `auth = {"token": …, "protocol": PROTOCOL_V2}` asks for v2 socket events.
PROTOCOL_V1 = 1
PROTOCOL_V2 = 2
