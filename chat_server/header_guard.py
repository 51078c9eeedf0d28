"""HTTP connections that are slow to send their headers: a deadline, and a cap per address.

uvicorn's httptools protocol has no header timeout: a client that sends half a request line
and then a byte now and then (slowloris) holds a connection, a file descriptor and a parser
for ever. `guarded_protocol()` makes a subclass of that protocol which gives each request
`header_timeout` seconds from its first byte (from the connection's opening, for the first
one) to finish its headers, then answers 408 and closes; and which answers 429 and closes at
once a new connection from an address that already has `per_address` connections that have
been waiting for their headers longer than `CAP_GRACE_SECONDS` (a burst of honest
connections is not slow). Keep-alive idleness stays uvicorn's own (`timeout_keep_alive`).

It overrides four methods of `HttpToolsProtocol` (`connection_made`, `connection_lost`,
`on_message_begin`, `on_headers_complete`), which are uvicorn internals: it is used only on
the uvicorn versions it was written for and with httptools installed; elsewhere the server runs
uvicorn's own protocol, without the guard, and says so in the log.
"""

from __future__ import annotations

import asyncio
import logging
from importlib.metadata import version
from typing import Any

from chat_server.config import CAP_GRACE_SECONDS
from chat_server.libversions import version_tuple
from chat_server.realtime.client_faults import FaultLog

log = logging.getLogger(__name__)

UVICORN_MIN = (0, 35)
UVICORN_BELOW = (1, 0)
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
TOO_MANY = b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
TIMED_OUT_KIND = "request headers too slow"
TOO_MANY_KIND = "too many connections waiting for headers"
UNKNOWN_ADDRESS = "-"


def supported(uvicorn_version: str | None = None) -> bool:
    """True with httptools installed and a uvicorn this was written against."""
    try:
        import httptools  # noqa: F401
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # noqa: F401
    except ImportError:
        return False
    found = version_tuple(uvicorn_version or version("uvicorn"))
    return UVICORN_MIN <= found < UVICORN_BELOW


def guarded_protocol(
    header_timeout: float, per_address: int, faults: FaultLog | None = None
) -> type[asyncio.Protocol] | None:
    """uvicorn's httptools protocol with the header deadline and cap; None where unsupported."""
    if header_timeout <= 0:
        return None
    if not supported():
        log.warning("no HTTP header timeout with this uvicorn/httptools; running without it")
        return None
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    slow: dict[str, int] = {}  # address -> connections waiting for headers past the grace
    grace = min(CAP_GRACE_SECONDS, header_timeout)
    report = faults or FaultLog()

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None
        _counted = False
        _address = UNKNOWN_ADDRESS

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._address = str(self.client[0]) if self.client else UNKNOWN_ADDRESS
            if slow.get(self._address, 0) >= per_address:
                report.report(TOO_MANY_KIND, peer=self._address)
                self.transport.write(TOO_MANY)
                self.transport.close()
                return
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()  # the next request on a kept-alive connection

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(grace, self._slow)

        def _slow(self) -> None:
            """Past the grace: counted against the address, and the rest of the deadline runs."""
            slow[self._address] = slow.get(self._address, 0) + 1
            self._counted = True
            self._deadline = self.loop.call_later(header_timeout - grace, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            if self._counted:
                self._counted = False
                left = slow.get(self._address, 1) - 1
                if left > 0:
                    slow[self._address] = left
                else:
                    slow.pop(self._address, None)

        def _expired(self) -> None:
            self._disarm()
            report.report(TIMED_OUT_KIND, peer=self._address)
            if not self.transport.is_closing():
                self.transport.write(TIMED_OUT)
                self.transport.close()

    return GuardedHttpToolsProtocol
