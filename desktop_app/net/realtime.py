"""The Socket.IO connection: python-socketio's AsyncClient with its own reconnect, observed.

python-socketio is imported on the first connect, not with this module: its package imports
every manager (Redis, Kafka, ...) and aiohttp, about a fifth of a second that the app's
start-up (first window) should not pay. The import is static, inside `_client()`, so
PyInstaller still finds it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from chat_protocol.errors import ErrorCode
from chat_protocol.events import PROTOCOL_V2, SOCKETIO_PATH, ServerEvent
from desktop_app.net.failures import GENERIC_MESSAGES, describe_failure

log = logging.getLogger(__name__)

# python-socketio's defaults (1 s doubling to 5 s, +/- 0.5 s of jitter) suit a desktop app.
RECONNECT_DELAY = 1.0
RECONNECT_DELAY_MAX = 5.0
RECONNECT_JITTER = 0.5
# How long one connection attempt may take from websocket open to namespace accepted;
# the library's default of 1 s is too short for a busy server answering `ready`.
CONNECT_WAIT_TIMEOUT = 5.0
CALL_TIMEOUT = 5.0
ENGINEIO_REQUEST_TIMEOUT = 5.0

# python-socketio does not reconnect after the server closed the connection on purpose (a
# graceful restart, or a revoked token). We start a new connect then: a restart is worth
# reconnecting to, and a revoked token is refused at once, which ends in auth_failed.
SERVER_DISCONNECT = "server disconnect"
CLOSE_SETTLE_TIMEOUT = 2.0
CLOSE_SETTLE_POLL = 0.02

_DELAY_RE = re.compile(r"new attempt in (-?[0-9.]+) seconds")
_GAVE_UP_MARKERS = ("Reconnect task aborted", "Maximum reconnection attempts reached")

SERVER_EVENTS = tuple(e.value for e in ServerEvent)


class NotConnected(Exception):
    """An emit was attempted while the socket is down (python-socketio has no offline buffer)."""


class CallTimeout(Exception):
    """The server did not acknowledge an event in time, or the connection dropped meanwhile."""


@dataclass(frozen=True)
class ConnectRefusal:
    """Why the server refused a connection attempt, in the protocol's terms."""

    code: str
    message: str

    @property
    def unauthorized(self) -> bool:
        return self.code == ErrorCode.UNAUTHORIZED


class RealtimeListener(Protocol):
    """What the session learns from the connection; every method is called on the event loop."""

    def on_connected(self) -> None: ...
    def on_disconnected(self, reason: str) -> None: ...
    def on_connect_failed(self, refusal: ConnectRefusal) -> None: ...
    def on_retry_scheduled(self, attempt: int, delay: float) -> None: ...
    def on_attempt(self, attempt: int) -> None: ...
    def on_gave_up(self) -> None: ...
    def on_event(self, event: str, data: Any) -> None: ...


InboundFilter = Callable[[str, Any], bool]

if TYPE_CHECKING:
    from desktop_app.net.sio_client import ObservedClient


class _ReconnectLog:
    """Stands in for python-socketio's logger: forwards every record, and reads the delay
    its reconnect loop announces, which is the only place the jittered delay is exposed."""

    def __init__(
        self,
        target: logging.Logger,
        on_delay: Callable[[float], None],
        on_gave_up: Callable[[], None],
    ) -> None:
        self._target = target
        self._on_delay = on_delay
        self._on_gave_up = on_gave_up

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str):
            match = _DELAY_RE.search(msg)
            if match:
                self._on_delay(max(0.0, float(match.group(1))))
            elif msg.startswith(_GAVE_UP_MARKERS):
                self._on_gave_up()
        self._target.info(msg, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class Realtime:
    """One Socket.IO connection to the server, reconnecting by itself until stopped or refused."""

    def __init__(
        self,
        url: str,
        token: Callable[[], str | None],
        listener: RealtimeListener,
        *,
        reconnect_delay: float = RECONNECT_DELAY,
        reconnect_delay_max: float = RECONNECT_DELAY_MAX,
        reconnect_jitter: float = RECONNECT_JITTER,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._listener = listener
        self._attempts = 0
        self._stopping = False
        self._refused = False
        self._connect_task: asyncio.Task[None] | None = None
        self._emit_lock = asyncio.Lock()
        self._pending_calls: set[asyncio.Future[Any]] = set()
        self._held: list[tuple[str, Any]] | None = None
        self.inbound_filter: InboundFilter | None = None
        """Diagnostics/test hook: called with each server event; False drops the event."""
        self._backoff = (reconnect_delay, reconnect_delay_max, reconnect_jitter)
        self._sio: ObservedClient | None = None

    def _client(self) -> ObservedClient:
        """The library's client, made (and python-socketio imported) on the first connect."""
        if self._sio is not None:
            return self._sio
        from desktop_app.net.sio_client import ObservedClient

        delay, delay_max, jitter = self._backoff
        sio_logger = _ReconnectLog(logging.getLogger("socketio.client"), self._delay, self._gave_up)
        sio = ObservedClient(
            self._attempt,
            CONNECT_WAIT_TIMEOUT,
            reconnection=True,
            reconnection_attempts=0,
            reconnection_delay=delay,
            reconnection_delay_max=delay_max,
            randomization_factor=jitter,
            logger=sio_logger,
            handle_sigint=False,
            request_timeout=ENGINEIO_REQUEST_TIMEOUT,
        )
        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        sio.on("connect_error", self._on_connect_error)
        for event in SERVER_EVENTS:
            sio.on(event, self._handler(event))
        self._sio = sio
        return sio

    @property
    def connected(self) -> bool:
        return self._sio is not None and bool(self._sio.connected)

    @property
    def reconnecting(self) -> bool:
        """True while the library's reconnect loop (or a first connect with retry) is running."""
        task = self._sio._reconnect_task if self._sio is not None else None
        connecting = self._connect_task is not None and not self._connect_task.done()
        return (task is not None and not task.done()) or (connecting and not self.connected)

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Begin connecting in the background; the library retries until connected or stopped."""
        self._stopping = False
        self._refused = False
        self._client().reconnection_attempts = 0
        self._connect_task = asyncio.get_event_loop().create_task(
            self._connect(), name="realtime-connect"
        )
        return self._connect_task

    async def _connect_after_server_close(self) -> None:
        # The library finishes tearing the old connection down (state, then its aiohttp
        # session) after our handler returns, and exposes no event for it: poll briefly.
        # Connecting earlier would hand it a session its teardown then drops unclosed.
        loop = asyncio.get_event_loop()
        deadline = loop.time() + CLOSE_SETTLE_TIMEOUT
        while not self._torn_down() and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(CLOSE_SETTLE_POLL)
        await asyncio.sleep(CLOSE_SETTLE_POLL)
        if not self._stopping and not self._refused and not self.connected:
            await self._connect()

    def _torn_down(self) -> bool:
        eio = self._client().eio
        http = getattr(eio, "http", None)
        return bool(eio.state == "disconnected" and (http is None or http.closed))

    async def _connect(self) -> None:
        from desktop_app.net.sio_client import SocketConnectionError

        try:
            await self._client().connect(
                self.url,
                auth=self._auth,
                transports=["websocket"],
                socketio_path=SOCKETIO_PATH,
                retry=True,
            )
        except SocketConnectionError as exc:
            if not self._stopping and not self._refused:
                log.warning("socket connect gave up: %s", exc)

    async def stop(self) -> None:
        """Disconnect and stop reconnecting; pending acknowledgements fail with CallTimeout."""
        self._stopping = True
        self._fail_pending_calls()
        sio = self._sio
        try:
            if sio is not None:
                await sio.shutdown()
                if sio.connected:  # an attempt in flight during shutdown may still succeed
                    await sio.disconnect()
        except Exception as exc:  # shutdown of a half-open socket must not block sign-out
            log.warning("socket shutdown: %s", exc)
        task = self._connect_task
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        # engine.io keeps the aiohttp session of a failed attempt open; close it so a
        # stopped session leaves nothing behind ("Unclosed client session").
        http = getattr(sio.eio, "http", None) if sio is not None else None
        if http is not None and not http.closed:
            await http.close()

    async def disconnect_now(self) -> None:
        """Drop the current connection as a network failure would (the library reconnects).

        Closing the websocket under engine.io is what a lost network looks like to it;
        `eio.disconnect()` would count as our own goodbye, after which nothing reconnects."""
        ws = getattr(self._sio.eio, "ws", None) if self._sio is not None else None
        if ws is not None and not ws.closed:
            await ws.close()

    def _auth(self) -> dict[str, str | int]:
        # Called by the library on every (re)connection, so a refreshed token is used.
        # Protocol 2: the group logs arrive as `event`, reads of every member as `read`.
        return {"token": self._token() or "", "protocol": PROTOCOL_V2}

    # --- emitting --------------------------------------------------------------------

    async def emit(self, event: str, data: Any) -> None:
        """Send an event without waiting for its ack; NotConnected when the socket is down."""
        if self._sio is None or not self.connected:
            raise NotConnected(event)
        from desktop_app.net.sio_client import BadNamespaceError

        async with self._emit_lock:  # the library's emit must not run concurrently
            try:
                await self._sio.emit(event, data)
            except BadNamespaceError as exc:
                raise NotConnected(event) from exc

    async def call(self, event: str, data: Any, timeout: float = CALL_TIMEOUT) -> Any:  # noqa: ASYNC109
        """Send an event and return its ack; fails early if the connection drops meanwhile."""
        sio = self._sio
        if sio is None or not self.connected:
            raise NotConnected(event)
        from desktop_app.net.sio_client import BadNamespaceError

        loop = asyncio.get_event_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def on_ack(*args: Any) -> None:
            if not future.done():
                future.set_result(args[0] if len(args) == 1 else (list(args) or None))

        self._pending_calls.add(future)
        try:
            async with self._emit_lock:
                try:
                    await sio.emit(event, data, callback=on_ack)
                except BadNamespaceError as exc:
                    raise NotConnected(event) from exc
            try:
                return await asyncio.wait_for(future, timeout)
            except TimeoutError as exc:
                raise CallTimeout(f"{event}: no answer within {timeout:.1f} s") from exc
        finally:
            self._pending_calls.discard(future)

    def _fail_pending_calls(self) -> None:
        # The library drops ack callbacks on disconnect and its call() would wait out its
        # whole timeout; ours fail at once so the caller can move on.
        for future in self._pending_calls:
            if not future.done():
                future.set_exception(CallTimeout("connection lost before the answer"))

    # --- test and diagnostics hooks --------------------------------------------------

    def hold(self) -> None:
        """Queue incoming server events instead of delivering them (until `release`)."""
        if self._held is None:
            self._held = []

    @property
    def held_count(self) -> int:
        return len(self._held or ())

    def release(self) -> None:
        """Deliver the events queued since `hold`, in arrival order."""
        held, self._held = self._held or [], None
        for event, data in held:
            self._deliver(event, data)

    # --- library callbacks (all synchronous: the library runs each in arrival order) ---

    def _attempt(self) -> None:
        self._attempts += 1
        if self._attempts > 1:
            self._listener.on_attempt(self._attempts - 1)

    def _delay(self, delay: float) -> None:
        if not self._stopping and not self._refused:
            self._listener.on_retry_scheduled(self._attempts, delay)

    def _gave_up(self) -> None:
        if not self._stopping:
            self._listener.on_gave_up()

    def _on_connect(self) -> None:
        self._attempts = 0
        self._listener.on_connected()

    def _on_disconnect(self, reason: Any = None) -> None:
        # The lost connection counts as the first try, so the library's next connect()
        # is reconnection attempt 1.
        self._attempts = 1
        self._fail_pending_calls()
        if self._stopping:
            return
        self._listener.on_disconnected(str(reason) if reason is not None else "")
        if reason == SERVER_DISCONNECT and not self._refused:
            self._connect_task = asyncio.get_event_loop().create_task(
                self._connect_after_server_close(), name="realtime-reconnect"
            )

    def _on_connect_error(self, data: Any = None) -> None:
        refusal = refusal_from(data)
        if refusal.message in GENERIC_MESSAGES:
            # Called while the library handles the failure: its cause is the exception in flight.
            refusal = replace(refusal, message=describe_failure(sys.exc_info()[1], refusal.message))
        if refusal.unauthorized:
            # Retrying with a refused token only hammers the server: make the library's
            # loop give up after this attempt (its documented attempts limit).
            self._refused = True
            self._client().reconnection_attempts = 1
        if not self._stopping:
            self._listener.on_connect_failed(refusal)

    def _handler(self, event: str) -> Callable[[Any], None]:
        def handle(data: Any = None) -> None:
            if self._held is not None:
                self._held.append((event, data))
                return
            self._deliver(event, data)

        return handle

    def _deliver(self, event: str, data: Any) -> None:
        if self.inbound_filter is not None and not self.inbound_filter(event, data):
            log.info("inbound filter dropped %s", event)
            return
        self._listener.on_event(event, data)


def refusal_from(data: Any) -> ConnectRefusal:
    """Read the protocol's `{code, message}` out of whatever shape connect_error carries."""
    if isinstance(data, dict):
        for candidate in (data, data.get("data"), data.get("error")):
            if isinstance(candidate, dict) and "code" in candidate:
                return ConnectRefusal(str(candidate["code"]), str(candidate.get("message", "")))
        message = str(data.get("message", data))
        if message == ErrorCode.UNAUTHORIZED:
            return ConnectRefusal(ErrorCode.UNAUTHORIZED, message)
        return ConnectRefusal("refused", message)
    return ConnectRefusal("unreachable", str(data) if data is not None else "connection failed")
