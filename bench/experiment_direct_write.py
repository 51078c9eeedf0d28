"""Experiment (not for production): the server with broadcast frames written straight to sockets.

Evidence for a suggested change to `chat_server/realtime/managers.py: fast_emit`. With
DIRECT_WRITE=1 this launcher replaces `fast_emit` by a version that builds the websocket text
frame once per message and writes it to each recipient's transport when that socket has
nothing queued (else it queues as usual), skipping engine.io's per-socket queue, writer task,
`poll`, the ASGI `send` and websocket framing. It reaches into uvicorn's protocol object
(`asgi_send.__self__`), so it is tied to uvicorn's websockets-sansio implementation.

    DIRECT_WRITE=1 CHAT_SEND_BURST=1000000000 python bench/experiment_direct_write.py \\
        serve --port 8001 --data-dir /tmp/x &
    python bench/fanout.py --url http://127.0.0.1:8001 --pid $! --rate 500
"""

from __future__ import annotations

import os
import struct
import sys
from typing import Any

from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from socketio import packet as sio_packet

from chat_server.realtime import managers

TEXT_FRAME = 0x81  # FIN + text opcode; server frames are never masked
LEN_16 = 126
LEN_64 = 127

_original_handler = AsyncSocket._websocket_handler


async def _remember_ws(self: Any, ws: Any) -> Any:
    self._direct_ws = ws
    return await _original_handler(self, ws)


def _frame(text: str) -> bytes:
    data = text.encode()
    size = len(data)
    if size < LEN_16:
        head = bytes((TEXT_FRAME, size))
    elif size < 1 << 16:
        head = struct.pack("!BBH", TEXT_FRAME, LEN_16, size)
    else:
        head = struct.pack("!BBQ", TEXT_FRAME, LEN_64, size)
    return head + data


def _writable_protocol(socket: Any) -> Any:
    """uvicorn's protocol of a websocket with nothing queued and nothing held back, or None."""
    ws = getattr(socket, "_direct_ws", None)
    protocol = getattr(getattr(ws, "asgi_send", None), "__self__", None)
    if protocol is None or not socket.upgraded or socket.upgrading or not socket.queue.empty():
        return None
    if not protocol.writable.is_set() or protocol.close_sent or protocol.transport.is_closing():
        return None
    return protocol


async def direct_emit(
    manager: Any, event: str, data: Any, namespace: str, room: Any, skip_sid: Any
) -> bool:
    """Same contract as managers.fast_emit, with one shared frame written per recipient."""
    if namespace not in manager.rooms:
        return True
    args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
    encoded = manager.server.packet_class(
        sio_packet.EVENT, namespace=namespace, data=[event, *args]
    ).encode()
    if not isinstance(encoded, str):
        return False
    pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    frame: bytes | None = None
    skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
    sockets = manager.server.eio.sockets
    for sid, eio_sid in manager.get_participants(namespace, room):
        socket = sockets.get(eio_sid)
        if sid in skip or socket is None or socket.closed:
            continue
        protocol = _writable_protocol(socket)
        if protocol is None:
            await socket.send(pkt)
            continue
        if frame is None:
            frame = _frame(pkt.encode())
        protocol.transport.write(frame)
    return True


if __name__ == "__main__":
    if os.environ.get("DIRECT_WRITE") == "1":
        AsyncSocket._websocket_handler = _remember_ws
        managers.fast_emit = direct_emit
    from chat_server.cli import main

    sys.exit(main(sys.argv[1:]))
