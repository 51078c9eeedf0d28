"""Client managers that also carry our control actions (join/leave/logout) to every node.

python-socketio's pub/sub protocol already forwards `close_room` to all nodes, so a
control action travels as a close_room of a reserved room name that no socket is ever in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import socketio

CONTROL_ROOM_PREFIX = "\x00chat-control:"

ControlHandler = Callable[[dict[str, Any]], Awaitable[None]]


def control_room(action: dict[str, Any]) -> str:
    return CONTROL_ROOM_PREFIX + orjson.dumps(action).decode()


def _decode(room: Any) -> dict[str, Any] | None:
    if isinstance(room, str) and room.startswith(CONTROL_ROOM_PREFIX):
        action = orjson.loads(room[len(CONTROL_ROOM_PREFIX) :])
        return action if isinstance(action, dict) else None
    return None


class LocalManager(socketio.AsyncManager):  # type: ignore[misc]
    """The single-node manager."""

    control_handler: ControlHandler | None = None

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
