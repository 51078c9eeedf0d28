"""A minimal Socket.IO v5 / Engine.IO v4 websocket receiver for the benchmark's client population.

python-socketio's AsyncClient spends about as much CPU per received event as the server
spends sending it (a task per event, generic packet decoding), so on a 2-core machine the
receivers steal the server's CPU. This receiver speaks only what the benchmark needs —
connect with auth, answer pings, hand `message:new` payloads to a callback — over one
aiohttp websocket, so that more of the machine is left to the server being measured.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

ENGINE_OPEN = "0"
ENGINE_PING = "2"
ENGINE_PONG = "3"
SIO_CONNECT = "40"
SIO_CONNECT_ERROR = "44"
SIO_EVENT = "42"
READY_PREFIX = '42["ready"'
MESSAGE_PREFIX = '42["message:new",'

OnMessage = Callable[[dict[str, Any], int], None]


class LiteReceiver:
    """One socket: `connect()` returns after `ready`; then `message:new` goes to `on_message`."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        base = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        self._url = f"{base}/socket.io/?EIO=4&transport=websocket"
        self._session = session
        self._token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, on_message: OnMessage, timeout: float) -> None:  # noqa: ASYNC109
        ws = await self._session.ws_connect(self._url, autoping=True, max_msg_size=0)
        self._ws = ws
        async with asyncio.timeout(timeout):
            while True:
                text = await ws.receive_str()
                if text.startswith(ENGINE_OPEN):
                    await ws.send_str(SIO_CONNECT + orjson.dumps({"token": self._token}).decode())
                elif text.startswith(SIO_CONNECT_ERROR):
                    raise ConnectionError(f"refused: {text[2:]}")
                elif text == ENGINE_PING:
                    await ws.send_str(ENGINE_PONG)
                elif text.startswith(READY_PREFIX):
                    break
        self._reader = asyncio.create_task(self._read(ws, on_message))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, on_message: OnMessage) -> None:
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            text: str = frame.data
            if text.startswith(MESSAGE_PREFIX):
                now = time.monotonic_ns()
                on_message(orjson.loads(text[2:])[1], now)
            elif text == ENGINE_PING:
                await ws.send_str(ENGINE_PONG)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
