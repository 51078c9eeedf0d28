"""Client faults (malformed input, misbehaving connections): one rate-limited WARNING line.

engine.io and python-socketio log a client's broken packet as an ERROR with a traceback
(`post request handler error`, `Unknown receive error`, `message async handler error`) and
some of it escapes to uvicorn as `Exception in ASGI application`; anyone could fill the log.
Both libraries take a logger object (their public `logger=` / `engineio_logger=` option), so
they get `LibraryLogger`: a warning or error caused by the client becomes one WARNING line
naming the peer and the kind of fault, at most once per peer and kind per
`FAULT_LOG_INTERVAL_SECONDS` (the next line says how many were left out). An exception with
our own code on its traceback is still logged in full: that is our bug, not the client's.
The peer comes from a context variable that `PeerScope` sets for each ASGI connection; the
tasks engine.io starts for that connection inherit it. python-socketio's own per-event tasks
are wrapped through its public `start_background_task` (`guard_background_tasks`).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from types import TracebackType
from typing import Any

log = logging.getLogger("chat_server.client_faults")

FAULT_LOG_INTERVAL_SECONDS = 60.0
# Forget every peer's history rather than grow without bound under many addresses.
FAULT_TRACK_MAX = 10_000
# Exceptions a parser raises on bad input; any other type is a bug worth a traceback.
# (RecursionError: a deeply nested JSON payload in the stdlib decoder.)
INPUT_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    RecursionError,
)
OUR_PACKAGE = "chat_server"
LIBRARY_PACKAGES = ("engineio", "socketio")
# Our frames that only parse what the client sent (the JSON adapter python-socketio calls).
PARSER_MODULES = ("chat_server.jsonfast",)
SOCKETIO_PREFIX = "/socket.io"
UNKNOWN_PEER = "-"
MESSAGE_CHARS = 120

# The libraries' messages on a packet they could not read (with the exception of a parser),
# and what the fault was; any other exception is logged with its traceback.
CLIENT_EXCEPTIONS = {
    "post request handler error": "unreadable polling payload",
    "Unknown receive error": "unreadable engine.io packet",
    "message async handler error": "unreadable socket.io packet",
}
# The libraries' warnings about what a client did; any other warning is passed on as it is.
CLIENT_WARNINGS = {
    "%s is not connected to namespace %s": "event before connect",
    "Method %s not supported": "unsupported HTTP method",
    "Application rejected connection": "connection refused",
    "Unknown callback received, ignoring.": "ack nobody asked for",
}
# engine.io's `_log_error_once` (bad session id, request for a closed session, ...).
ONCE_SUFFIX = "(further occurrences of this error will be logged with level INFO)"
ESCAPED_KIND = "unreadable engine.io frame"
BACKGROUND_KIND = "unreadable socket.io event"

PEER: ContextVar[str] = ContextVar("chat_peer", default=UNKNOWN_PEER)
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class FaultLog:
    """One WARNING per (peer, kind) per interval, with a count of the ones left out."""

    def __init__(
        self,
        interval: float = FAULT_LOG_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def report(self, kind: str, detail: str = "", peer: str | None = None) -> None:
        peer = PEER.get() if peer is None else peer
        key = (peer, kind)
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last[0] < self.interval:
            self._last[key] = (last[0], last[1] + 1)
            return
        if len(self._last) >= FAULT_TRACK_MAX:
            self._last.clear()
        self._last[key] = (now, 0)
        suppressed = 0 if last is None else last[1]
        log.warning(
            "client fault from %s: %s%s",
            peer,
            kind,
            f" ({detail[:MESSAGE_CHARS]})" if detail else "",
            extra={"peer": peer, "fault": kind, "suppressed": suppressed},
        )


def client_fault(exc_info: ExcInfo | tuple[None, None, None]) -> bool:
    """True when a parser-type exception arose in engine.io/socket.io code, not in ours.

    Read from the raising frame outwards: the first frame of ours (other than the JSON
    adapter the libraries call to parse) means our bug; the first frame of the libraries
    means they choked on what the client sent."""
    exc_type, _exc, tb = exc_info
    if exc_type is None or not issubclass(exc_type, INPUT_ERRORS):
        return False
    modules: list[str] = []
    while tb is not None:
        modules.append(tb.tb_frame.f_globals.get("__name__", ""))
        tb = tb.tb_next
    for module in reversed(modules):
        package = module.split(".")[0]
        if package == OUR_PACKAGE and module not in PARSER_MODULES:
            return False
        if package in LIBRARY_PACKAGES:
            return True
    return False


class LibraryLogger:
    """The logger engine.io and python-socketio are given: client faults go to `FaultLog`."""

    def __init__(self, name: str, faults: FaultLog) -> None:
        self._log = logging.getLogger(name)
        self._faults = faults
        # The libraries check `.level` and call `setLevel` only on their own default loggers.
        self.level = logging.WARNING

    def setLevel(self, level: int) -> None:
        self.level = level

    def addHandler(self, handler: logging.Handler) -> None:
        pass

    def isEnabledFor(self, level: int) -> bool:
        return self._log.isEnabledFor(level)

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if self._log.isEnabledFor(logging.DEBUG):
            self._log.debug(msg, *args, **kwargs)

    # engine.io logs every packet at INFO; only DEBUG shows them.
    info = debug

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if msg in CLIENT_WARNINGS:
            self._faults.report(CLIENT_WARNINGS[msg], _format(msg, args))
        else:
            self._log.warning(msg, *args, **kwargs)

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        current = sys.exc_info() if exc_info is True else exc_info
        if not current or current[0] is None:
            if str(msg).endswith(ONCE_SUFFIX):  # engine.io refusing a request it cannot place
                self._faults.report(_kind(msg), _format(msg, args))
            else:
                self._log.error(msg, *args, **kwargs)
        elif msg in CLIENT_EXCEPTIONS and client_fault(current):
            self._faults.report(CLIENT_EXCEPTIONS[msg], f"{current[0].__name__}: {current[1]}")
        else:
            self._log.error(msg, *args, **kwargs)

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        kwargs["exc_info"] = True
        self.error(msg, *args, **kwargs)

    critical = error


def _kind(msg: str) -> str:
    """engine.io's once-only message without its variable part (the session id)."""
    return re.sub(r"session \S+", "session", str(msg).split(" (further")[0])


def _format(msg: str, args: tuple[Any, ...]) -> str:
    try:
        return str(msg) % args if args else str(msg)
    except (TypeError, ValueError):
        return str(msg)


def guard_background_tasks(server: Any, faults: FaultLog) -> None:
    """python-socketio runs each event in a task of its own (`start_background_task`, its
    public hook); a packet it cannot dispatch (an event name that is an object, say) failed
    there, and asyncio logged "Task exception was never retrieved" with a traceback."""
    start = server.start_background_task

    def start_guarded(target: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if getattr(target, "__self__", None) is not server:
            return start(target, *args, **kwargs)  # e.g. the Redis listener: not client input

        async def guarded() -> Any:
            try:
                return await target(*args, **kwargs)
            except INPUT_ERRORS as exc:
                if not client_fault(sys.exc_info()):
                    raise
                faults.report(BACKGROUND_KIND, f"{type(exc).__name__}: {exc}")
                return None

        return start(guarded)

    server.start_background_task = start_guarded


class PeerScope:
    """ASGI wrapper: records the client address for the libraries' log lines; on the
    Socket.IO path, an exception the libraries let out on bad input is a fault, not a crash."""

    def __init__(self, app: Any, faults: FaultLog) -> None:
        self.app = app
        self.faults = faults
        self.state_context: Any = None  # the AppContext, set by `create_app` for embedders

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        client = scope.get("client")
        if client:
            PEER.set(str(client[0]))  # the address, not the port: one peer, many connections
        if scope["type"] == "lifespan" or not scope.get("path", "").startswith(SOCKETIO_PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except INPUT_ERRORS as exc:
            if not client_fault(sys.exc_info()):
                raise
            self.faults.report(ESCAPED_KIND, f"{type(exc).__name__}: {exc}")
