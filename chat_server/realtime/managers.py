"""Client managers that also carry our control actions (join/leave/logout) to every node.

python-socketio's pub/sub protocol already forwards `close_room` to all nodes, so a
control action travels as a close_room of a reserved room name that no socket is ever in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from chat_server.realtime import direct_broadcast

CONTROL_ROOM_PREFIX = "\x00chat-control:"

ControlHandler = Callable[[dict[str, Any]], Awaitable[None]]
# Told after each fast emit how many deliveries were written directly and how many queued.
DeliveryCounter = Callable[[int, int], None]


def control_room(action: dict[str, Any]) -> str:
    return CONTROL_ROOM_PREFIX + orjson.dumps(action).decode()


def _decode(room: Any) -> dict[str, Any] | None:
    if isinstance(room, str) and room.startswith(CONTROL_ROOM_PREFIX):
        action = orjson.loads(room[len(CONTROL_ROOM_PREFIX) :])
        return action if isinstance(action, dict) else None
    return None


async def fast_emit(
    manager: socketio.AsyncManager, event: str, data: Any, namespace: str, room: Any, skip_sid: Any
) -> bool:
    """Emit to a room's local sockets: one encode, and no task per recipient.

    python-socketio's own emit starts a task per recipient and waits for all of them; putting
    the one pre-encoded packet straight on each socket's queue does the same work for a
    fraction of the cost. With `manager.direct_broadcast` on, an idle plain websocket gets
    the one pre-built frame written to its transport instead (see `direct_broadcast`).
    Returns False (caller falls back) for binary payloads.
    """
    if namespace not in manager.rooms:
        return True
    args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
    encoded = manager.server.packet_class(
        sio_packet.EVENT, namespace=namespace, data=[event, *args]
    ).encode()
    if not isinstance(encoded, str):
        return False
    pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    direct = bool(getattr(manager, "direct_broadcast", False))
    frame: bytes | None = None
    written = queued = 0
    skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
    sockets = manager.server.eio.sockets
    for sid, eio_sid in manager.get_participants(namespace, room):
        if sid in skip:
            continue
        socket = sockets.get(eio_sid)
        if socket is None or socket.closed:
            continue
        protocol = direct_broadcast.writable_protocol(socket) if direct else None
        if protocol is not None:
            if frame is None:
                frame = direct_broadcast.frame(pkt.encode())
            try:
                protocol.transport.write(frame)
            except Exception:  # a transport that died since the check: the queue path decides
                pass
            else:
                written += 1
                continue
        # What AsyncSocket.send does, minus its per-call ping-timeout check and log call;
        # engine.io's heartbeat still closes dead sockets.
        socket.queue.put_nowait(pkt)
        queued += 1
    counter: DeliveryCounter | None = getattr(manager, "count_deliveries", None)
    if counter is not None:
        counter(written, queued)
    return True


class LocalManager(socketio.AsyncManager):  # type: ignore[misc]
    """The single-node manager."""

    control_handler: ControlHandler | None = None
    direct_broadcast = False
    count_deliveries: DeliveryCounter | None = None

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> Any:
        if callback is None and await fast_emit(
            self, event, data, namespace or "/", to or room, skip_sid
        ):
            return None
        return await super().emit(
            event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs
        )

    async def close_room(self, room: Any, namespace: Any) -> Any:
        action = _decode(room)
        if action is None:
            return await super().close_room(room, namespace)
        if self.control_handler is not None:
            await self.control_handler(action)
        return None

    def listener_alive(self) -> bool:
        return True


class RedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """The multi-node manager: every node applies each control action to its own sockets."""

    control_handler: ControlHandler | None = None
    direct_broadcast = False
    count_deliveries: DeliveryCounter | None = None

    async def _handle_emit(self, message: dict[str, Any]) -> Any:
        # The local half of every emit (ours and other nodes'): the fast path when it applies.
        if message.get("callback") is None and not message.get("binary"):
            data = message["data"]
            if isinstance(data, list):
                data = data[0] if len(data) == 1 else tuple(data)
            namespace = message.get("namespace") or "/"
            if await fast_emit(
                self,
                message["event"],
                data,
                namespace,
                message.get("room"),
                message.get("skip_sid"),
            ):
                return None
        return await super()._handle_emit(message)

    async def _handle_close_room(self, message: dict[str, Any]) -> Any:
        action = _decode(message.get("room"))
        if action is None:
            return await super()._handle_close_room(message)
        if self.control_handler is not None:
            await self.control_handler(action)
        return None

    def listener_alive(self) -> bool:
        """False when the pub/sub listener task has died (a known silent failure mode)."""
        task = getattr(self, "thread", None)
        return task is not None and not task.done()

    def restart_listener(self) -> None:
        self.thread = self.server.start_background_task(self._thread)

    async def redis_ping(self) -> bool:
        redis = getattr(self, "redis", None)
        if redis is None:
            return False
        try:
            return bool(await redis.ping())
        except Exception:
            return False
