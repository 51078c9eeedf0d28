"""Socket.IO event names of protocol v1."""

from enum import StrEnum


class ServerEvent(StrEnum):
    """Events the server emits to clients."""

    READY = "ready"
    MESSAGE_NEW = "message:new"
    GROUP_JOINED = "group:joined"
    GROUP_LEFT = "group:left"
    TYPING = "typing"
    READ = "read"


class ClientEvent(StrEnum):
    """Events a client may emit; each is answered with an ack."""

    MESSAGE_SEND = "message:send"
    TYPING = "typing"
    PING = "ping"


SOCKETIO_PATH = "/socket.io"
ADMIN_NAMESPACE = "/admin"
