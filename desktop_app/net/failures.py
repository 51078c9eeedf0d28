"""What failed when a connection could not be made, in words: refused, timed out, name, TLS, HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator

# python-socketio and engine.io say only "Connection error"; the cause is the exception
# they were handling (aiohttp's), kept as its __context__.
GENERIC_MESSAGES = frozenset({"Connection error", "connection failed"})
CHAIN_LIMIT = 8


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen = 0
    while exc is not None and seen < CHAIN_LIMIT:
        yield exc
        exc = exc.__cause__ or exc.__context__
        seen += 1


def _one(exc: BaseException, host: str) -> str | None:
    """The words for one exception of the chain, or None when it says nothing useful."""
    name = type(exc).__name__
    status = getattr(exc, "status", None)
    if name == "WSServerHandshakeError" and isinstance(status, int):
        return f"the server answered HTTP {status} instead of opening the socket"
    # By name, not isinstance: this module must not import ssl before the first window.
    if any(c.__name__ == "SSLError" for c in type(exc).__mro__) or "Certificate" in name:
        return f"TLS handshake failed: {getattr(exc, 'reason', None) or exc}"
    if isinstance(exc, socket.gaierror) or name == "ClientConnectorDNSError":
        return f"the server name {host or '(none)'} could not be resolved"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing is listening at that address)"
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return "timed out waiting for the server"
    if isinstance(exc, OSError) and exc.strerror:
        return f"network error: {exc.strerror}"
    return None


def describe_failure(exc: BaseException | None, fallback: str) -> str:
    """Say what went wrong, from the most specific cause in `exc`'s chain; `fallback` when
    nothing in it is more telling."""
    for item in _chain(exc):
        # An aiohttp connector error wraps the OSError that says what really happened,
        # and knows the address it tried.
        host, port = getattr(item, "host", None) or "", getattr(item, "port", None)
        os_error = getattr(item, "os_error", None)
        for candidate in (os_error, item) if isinstance(os_error, BaseException) else (item,):
            words = _one(candidate, host)
            if words:
                return f"{words} ({host}:{port})" if host and host not in words else words
    return fallback
