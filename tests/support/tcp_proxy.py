"""A TCP proxy in the test's event loop that can cut every connection through it at once.

`proxy = await TcpProxy.start(target_port)`; clients use `proxy.url`; `proxy.cut()` aborts
every open connection (both sides, mid-request or mid-websocket, as a network fault would);
`proxy.blocked = True` refuses new connections (with `cut()`: the target is unreachable)
until set back; `proxy.upload_rate = n` lets at most n bytes a second through towards the
target (a slow uplink; None: full speed); `await proxy.close()`. `proxy.cuts` counts the
connections cut.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from tests.support.server import HOST

CHUNK = 65536
SLOW_CHUNK = 8192  # read size while a rate is set, so the pace is even


class TcpProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.cuts = 0
        self.blocked = False
        self.upload_rate: float | None = None
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    @classmethod
    async def start(cls, target_port: int) -> TcpProxy:
        proxy = cls(target_port)
        proxy._server = await asyncio.start_server(proxy._accept, HOST, 0)
        return proxy

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.blocked:
                raise ConnectionRefusedError
            up_reader, up_writer = await asyncio.open_connection(HOST, self.target_port)
        except OSError:  # the target is down: the client sees its connection refused, in effect
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self._pairs.add(pair)
        try:
            await asyncio.gather(
                _pipe(reader, up_writer, lambda: self.upload_rate), _pipe(up_reader, writer)
            )
        finally:
            self._pairs.discard(pair)
            for w in pair:
                w.transport.abort()

    def cut(self) -> int:
        """Abort every connection now; how many were cut."""
        pairs = list(self._pairs)
        for pair in pairs:
            for w in pair:
                w.transport.abort()
        self.cuts += len(pairs)
        return len(pairs)

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    rate: Callable[[], float | None] = lambda: None,
) -> None:
    try:
        while data := await reader.read(CHUNK if rate() is None else SLOW_CHUNK):
            writer.write(data)
            await writer.drain()
            limit = rate()
            if limit is not None:
                await asyncio.sleep(len(data) / limit)
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.transport.abort()
