"""The `/admin` namespace: only the admin key may connect; it sees every socket event of this node."""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio

from chat_server.metrics import Metrics
from chat_server.security import same_secret

log = logging.getLogger(__name__)

MONITOR_ROOM = "monitors"
MONITOR_EVENT = "event"


class AdminMirror:
    """Mirrors events in and out to connected monitors; costs nothing while none is connected."""

    def __init__(self, sio: socketio.AsyncServer, admin_key: str, metrics: Metrics) -> None:
        self.sio = sio
        self._key = admin_key
        self.metrics = metrics
        self.namespace = "/admin"
        self.monitors = 0

    def register(self, namespace: str) -> None:
        self.namespace = namespace
        self.sio.on("connect", self._on_connect, namespace=namespace)
        self.sio.on("disconnect", self._on_disconnect, namespace=namespace)
        self.sio.on("*", self._on_any, namespace=namespace)

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        given = None
        if isinstance(auth, dict):
            given = auth.get("key", auth.get("admin_key", auth.get("token")))
        if not isinstance(given, str) or not same_secret(given, self._key):
            self.metrics.rejected_events.labels("admin_unauthorized").inc()
            log.warning("admin connection refused", extra={"address": environ.get("REMOTE_ADDR")})
            refused = socketio.exceptions.ConnectionRefusedError()
            message = "The admin namespace needs the server's admin key."
            refused.error_args = {
                "code": "unauthorized",
                "message": message,
                "data": {"code": "unauthorized", "message": message},
            }
            raise refused
        await self.sio.enter_room(sid, MONITOR_ROOM, namespace=self.namespace)
        self.monitors += 1
        log.info("monitor connected", extra={"sid": sid})

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.monitors = max(0, self.monitors - 1)

    async def _on_any(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        return {"ok": False, "error": {"code": "unknown_event", "message": "Monitors only listen."}}

    def mirror(
        self,
        direction: str,
        event: str,
        data: Any,
        ack: Any,
        *,
        sid: str | None = None,
        to: str | None = None,
        user: str | None = None,
    ) -> None:
        """Queue one record for the monitors (fire and forget; never slows the event itself)."""
        if self.monitors <= 0:
            return
        record = {"ts": time.time(), "direction": direction, "event": event, "data": data}
        if sid is not None:
            record["sid"] = sid
        if to is not None:
            record["to"] = to
        if user is not None:
            record["user"] = user
        if ack is not None:
            record["ack"] = ack
        # Local only: each node mirrors its own sockets' traffic.
        self.sio.start_background_task(
            self.sio.emit,
            MONITOR_EVENT,
            record,
            to=MONITOR_ROOM,
            namespace=self.namespace,
            ignore_queue=True,
        )
