"""Anonymous engine.io sessions: a deadline to authenticate, and a cap per client address.

An engine.io session (polling or websocket) costs the server a socket, a queue and a writer
task before the client has proven anything; one that answers engine.io's pings but never sends
an authenticated Socket.IO CONNECT used to live forever. Every new session gets
`auth_timeout_seconds` to be connected to a namespace (only an authenticated CONNECT is
accepted: `/` checks the token, `/admin` the admin key), else it is closed; and no client
address may hold more than `unauthenticated_per_address` such sessions older than
`CAP_GRACE_SECONDS` at once (the next one is refused with engine.io's 401).

Closing a session goes past engine.io's public `disconnect()`, which waits until the client has
fetched its CLOSE packet (forever, for a polling client that stopped polling): it closes the
socket without waiting and ends its websocket writer, which closes the websocket. That reaches
into engine.io's `AsyncSocket`, so it is used only on the major version it was written for;
elsewhere `disconnect()` is called with a bound.
"""

from __future__ import annotations

import asyncio
import logging
from importlib.metadata import version
from typing import Any

from chat_server.config import (
    AUTH_TIMEOUT_SECONDS,
    CAP_GRACE_SECONDS,
    UNAUTHENTICATED_PER_ADDRESS,
)
from chat_server.realtime.client_faults import FaultLog

log = logging.getLogger(__name__)

# engine.io: `server.sockets`, `AsyncSocket.close(wait, abort, reason)`, `.queue`, `.upgraded`.
SUPPORTED_ENGINEIO_MAJOR = "4."
# The public `disconnect()` of the fallback path may wait for a client; never longer than this.
FALLBACK_DISCONNECT_SECONDS = 2.0
TOO_MANY_KIND = "too many unauthenticated connections"
UNKNOWN_ADDRESS = "-"


def engineio_supported() -> bool:
    return version("python-engineio").startswith(SUPPORTED_ENGINEIO_MAJOR)


class SessionGuard:
    """Tracks each engine.io session from its handshake until it is connected to a namespace."""

    def __init__(
        self,
        sio: Any,
        faults: FaultLog,
        timeout: float = AUTH_TIMEOUT_SECONDS,
        per_address: int = UNAUTHENTICATED_PER_ADDRESS,
        direct_close: bool | None = None,
    ) -> None:
        self.sio = sio
        self.faults = faults
        self.timeout = timeout
        self.per_address = per_address
        self.direct_close = engineio_supported() if direct_close is None else direct_close
        self._by_address: dict[str, set[str]] = {}
        self._address: dict[str, str] = {}
        self._since: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def install(self) -> None:
        """Put the guard in front of python-socketio's engine.io connect handler."""
        original = self.sio.eio.handlers["connect"]

        async def on_connect(eio_sid: str, environ: dict[str, Any]) -> Any:
            if not self.admit(eio_sid, _address(environ)):
                return False
            return await original(eio_sid, environ)

        self.sio.eio.on("connect", on_connect)

    def admit(self, eio_sid: str, address: str) -> bool:
        """Count a new session against its address; False (refuse it) when the address is full."""
        pending = self._by_address.setdefault(address, set())
        if len(pending) >= self.per_address:
            self._prune(pending)
            waiting = self._past_grace(pending)
            if waiting >= self.per_address:
                self.faults.report(TOO_MANY_KIND, f"{waiting} waiting", peer=address)
                return False
        pending.add(eio_sid)
        self._address[eio_sid] = address
        self._since[eio_sid] = asyncio.get_running_loop().time()
        asyncio.get_running_loop().call_later(self.timeout, self._expire_soon, eio_sid)
        return True

    def authenticated(self, eio_sid: str) -> bool:
        manager = self.sio.manager
        return any(manager.sid_from_eio_sid(eio_sid, ns) for ns in manager.get_namespaces())

    def _prune(self, pending: set[str]) -> None:
        """Forget the sessions that authenticated or ended since they were counted."""
        for eio_sid in list(pending):
            if eio_sid not in self.sio.eio.sockets or self.authenticated(eio_sid):
                self._forget(eio_sid)

    def _past_grace(self, pending: set[str]) -> int:
        """How many of `pending` have waited longer than a honest handshake takes."""
        since = asyncio.get_running_loop().time() - CAP_GRACE_SECONDS
        return sum(self._since.get(eio_sid, 0.0) < since for eio_sid in pending)

    def _forget(self, eio_sid: str) -> None:
        self._since.pop(eio_sid, None)
        address = self._address.pop(eio_sid, None)
        if address is None:
            return
        pending = self._by_address.get(address)
        if pending is not None:
            pending.discard(eio_sid)
            if not pending:
                del self._by_address[address]

    def _expire_soon(self, eio_sid: str) -> None:
        if eio_sid not in self.sio.eio.sockets or self.authenticated(eio_sid):
            self._forget(eio_sid)  # the usual case: no task needed
            return
        task = asyncio.ensure_future(self._expire(eio_sid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _expire(self, eio_sid: str) -> None:
        self._forget(eio_sid)
        socket = self.sio.eio.sockets.get(eio_sid)
        if socket is None or self.authenticated(eio_sid):
            return
        log.info("closing a session that did not authenticate in time", extra={"sid": eio_sid})
        try:
            if self.direct_close:
                await self._close(socket, eio_sid)
            else:
                await asyncio.wait_for(
                    self.sio.eio.disconnect(eio_sid), FALLBACK_DISCONNECT_SECONDS
                )
        except Exception:
            log.warning("closing an unauthenticated session failed", exc_info=True)

    async def _close(self, socket: Any, eio_sid: str) -> None:
        # A CLOSE packet for a client that still reads, without waiting for it to be fetched.
        await socket.close(wait=False, abort=False, reason=self.sio.eio.reason.SERVER_DISCONNECT)
        if socket.upgraded:
            socket.queue.put_nowait(None)  # the websocket writer ends and closes the websocket
        self.sio.eio.sockets.pop(eio_sid, None)


def _address(environ: dict[str, Any]) -> str:
    """The client's address as the ASGI server saw it (after trusted proxy headers)."""
    client = environ.get("asgi.scope", {}).get("client")
    return str(client[0]) if client else UNKNOWN_ADDRESS
