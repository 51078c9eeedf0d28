"""Direct broadcast: one websocket frame per message, written straight to each idle recipient.

Without it every delivery is a queue put, a wake-up of that socket's engine.io writer task,
`poll`, the ASGI `send` and websockets' framing, then the `transport.write`. Server-to-client
frames are unmasked, so the text frame of a broadcast can be built once and written to every
recipient's transport, provided nothing can overtake it or be overtaken by it:

- the socket is an upgraded websocket (not polling, not mid-upgrade), served by uvicorn's
  websockets-sansio protocol with no extension negotiated (a permessage-deflate client keeps
  getting compressed frames through the queue);
- its engine.io writer is idle: waiting in `poll` (see `engineio_tuning`) on an empty queue,
  so it holds no packet taken off the queue and not yet written;
- the transport is writable (not paused by flow control), not closing, and no close was sent.

Anything else goes through the queue as before, which keeps each socket's order. This
reaches into engine.io's `AsyncSocket` and uvicorn's protocol object, so it is applied only
to the versions it was written against.
"""

from __future__ import annotations

import logging
import struct
from importlib.metadata import version
from typing import Any

from engineio.async_socket import AsyncSocket

from chat_server.libversions import version_tuple
from chat_server.realtime import engineio_tuning

log = logging.getLogger(__name__)

# engine.io: `AsyncSocket._websocket_handler(ws)`, `.queue`, `.upgraded`, `.upgrading`, `.closed`.
SUPPORTED_ENGINEIO_MAJOR = "4."
# uvicorn: `WebSocketsSansIOProtocol` (added in 0.35) with `transport`, `writable`,
# `close_sent`, `disconnected`, `conn.extensions`; engine.io's ASGI driver hands the
# protocol's bound `send` to the app as `asgi_send`.
UVICORN_MIN = (0, 35)
UVICORN_BELOW = (1, 0)

TEXT_FRAME = 0x81  # FIN + text opcode; server-to-client frames are never masked (RFC 6455 5.1)
LEN_7_MAX = 125  # payload lengths up to this fit in the first length byte
LEN_16 = 126  # marker: a 16-bit length follows
LEN_16_MAX = 0xFFFF
LEN_64 = 127  # marker: a 64-bit length follows

# Attribute this module sets on each AsyncSocket served by a websocket it can write to.
PROTOCOL_ATTR = "_direct_protocol"

_applied = False
_protocol_class: type | None = None


def frame(text: str) -> bytes:
    """One unmasked websocket text frame carrying `text` (RFC 6455 5.2 length encoding)."""
    data = text.encode()
    size = len(data)
    if size <= LEN_7_MAX:
        head = bytes((TEXT_FRAME, size))
    elif size <= LEN_16_MAX:
        head = struct.pack("!BBH", TEXT_FRAME, LEN_16, size)
    else:
        head = struct.pack("!BBQ", TEXT_FRAME, LEN_64, size)
    return head + data


def supported() -> bool:
    """True when the installed engine.io and uvicorn are the ones this was written against."""
    try:
        engineio_version = version("python-engineio")
        uvicorn_version = version_tuple(version("uvicorn"))
        from uvicorn.protocols.websockets.websockets_sansio_impl import (  # noqa: F401
            WebSocketsSansIOProtocol,
        )
    except Exception:
        return False
    return (
        engineio_version.startswith(SUPPORTED_ENGINEIO_MAJOR)
        and UVICORN_MIN <= uvicorn_version < UVICORN_BELOW
    )


def _plain_protocol(ws: Any) -> Any:
    """uvicorn's protocol behind engine.io's ASGI websocket, if it is one we can write to."""
    protocol = getattr(getattr(ws, "asgi_send", None), "__self__", None)
    if _protocol_class is None or not isinstance(protocol, _protocol_class):
        return None
    conn = getattr(protocol, "conn", None)
    if conn is None or getattr(conn, "extensions", None):
        return None  # e.g. permessage-deflate: leave framing (and compression) to websockets
    return protocol


def _wrap_handler(original: Any) -> Any:
    async def _websocket_handler(self: Any, ws: Any) -> Any:
        setattr(self, PROTOCOL_ATTR, _plain_protocol(ws))
        try:
            return await original(self, ws)
        finally:
            setattr(self, PROTOCOL_ATTR, None)

    return _websocket_handler


def apply() -> bool:
    """Install the hook that remembers each websocket's protocol; False if not supported here."""
    global _applied, _protocol_class
    if _applied:
        return True
    if not supported() or not engineio_tuning.apply():
        log.warning("direct broadcast not available with these engine.io/uvicorn versions")
        return False
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    _protocol_class = WebSocketsSansIOProtocol
    AsyncSocket._websocket_handler = _wrap_handler(AsyncSocket._websocket_handler)
    _applied = True
    return True


def writable_protocol(socket: Any) -> Any:
    """The protocol to write a broadcast frame to now without reordering anything, or None."""
    protocol = getattr(socket, PROTOCOL_ATTR, None)
    if (
        protocol is None
        or socket.closed
        or not socket.upgraded
        or socket.upgrading
        or not engineio_tuning.writer_idle(socket)
        or not socket.queue.empty()
    ):
        return None
    if (
        protocol.close_sent
        or protocol.disconnected
        or not protocol.writable.is_set()
        or protocol.transport is None
        or protocol.transport.is_closing()
    ):
        return None
    return protocol
