"""A test-side Socket.IO client that records every server event and can wait for one.

`client = await connect(url, token)` -> EventClient (already got `ready`), then
`await client.wait_for("message:new", lambda m: m["seq"] == 3)`, `await client.call(event, data)`,
`client.events["message:new"]` (all received so far), `await client.close()`.
`connect_error(url, auth)` returns the connect_error data (or raises if it connected).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import socketio

WAIT_SECONDS = 10.0
SERVER_EVENTS = (
    "ready",
    "message:new",
    "group:joined",
    "group:left",
    "typing",
    "read",
    "event",
    "group:muted",
)


class EventClient:
    def __init__(self, transports: list[str] | None = None) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.transports = transports or ["websocket"]
        self.events: dict[str, list[Any]] = defaultdict(list)
        # every server event in arrival order, as (name, data): for order assertions
        self.timeline: list[tuple[str, Any]] = []
        self.disconnected = asyncio.Event()
        self._changed = asyncio.Condition()
        for name in SERVER_EVENTS:
            self.sio.on(name, self._recorder(name))
        self.sio.on("disconnect", self._on_disconnect)

    def _recorder(self, name: str) -> Callable[[Any], Any]:
        async def record(data: Any = None) -> None:
            self.events[name].append(data)
            self.timeline.append((name, data))
            async with self._changed:
                self._changed.notify_all()

        return record

    async def _on_disconnect(self, *_args: Any) -> None:
        self.disconnected.set()
        async with self._changed:
            self._changed.notify_all()

    async def connect(self, url: str, auth: Any) -> None:
        await self.sio.connect(
            url, auth=auth, transports=self.transports, wait_timeout=WAIT_SECONDS
        )

    async def wait_for(
        self,
        event: str,
        match: Callable[[Any], bool] = lambda _d: True,
        seconds: float = WAIT_SECONDS,
    ) -> Any:
        """The first recorded `event` whose data matches (waiting for it if need be)."""

        def found() -> Any:
            return next((d for d in self.events[event] if match(d)), None)

        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        return found()

    async def call(self, event: str, data: Any = None, seconds: float = WAIT_SECONDS) -> Any:
        if data is None:
            return await self.sio.call(event, timeout=seconds)
        return await self.sio.call(event, data, timeout=seconds)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
        await _close_http(self.sio)


async def _close_http(sio: socketio.AsyncClient) -> None:
    """engine.io keeps its aiohttp session after the server dropped the connection or refused
    it; close it, so the run does not end with "Unclosed client session"."""
    http = getattr(sio.eio, "http", None)
    if http is not None and not http.closed:
        await http.close()


async def connect(
    url: str, token: str, transports: list[str] | None = None, protocol: int | None = None
) -> EventClient:
    """A connected client that got `ready`; `protocol=2` asks for v2 events."""
    client = EventClient(transports)
    auth: dict[str, Any] = {"token": token}
    if protocol is not None:
        auth["protocol"] = protocol
    await client.connect(url, auth)
    await client.wait_for("ready")
    return client


async def connect_error(url: str, auth: Any, namespace: str = "/") -> Any:
    """Try to connect; return the connect_error payload the server refused with."""
    sio = socketio.AsyncClient(reconnection=False)
    got: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    @sio.on("connect_error", namespace=namespace)
    async def _refused(data: Any = None) -> None:
        if not got.done():
            got.set_result(data)

    try:
        await sio.connect(
            url,
            auth=auth,
            transports=["websocket"],
            namespaces=[namespace],
            wait_timeout=WAIT_SECONDS,
        )
    except socketio.exceptions.ConnectionError:
        await _close_http(sio)
    else:
        await sio.disconnect()
        raise AssertionError("the server accepted the connection")
    async with asyncio.timeout(WAIT_SECONDS):
        return await got
