"""The connection state machine: what the status bar shows, driven by the socket's life."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chat_protocol.events import ClientEvent, ServerEvent
from chat_protocol.models import PingAck, Ready
from desktop_app.net.errors import ApiError, AuthError
from desktop_app.net.realtime import CallTimeout, ConnectRefusal, NotConnected, Realtime
from desktop_app.session.journal import Journal
from desktop_app.session.state import ConnectionStatus, ConnState
from desktop_app.session.sync import SyncEngine, SyncFailed
from desktop_app.tasks import spawn

log = logging.getLogger(__name__)

PING_INTERVAL = 5.0  # "every few seconds": the round trip shown and the safety net's period
# A ping unanswered this long means the server is not responding (hung, stopped, a dead
# link the OS has not noticed): the status says so and the socket is dropped and reconnected.
# PING_INTERVAL + PING_TIMEOUT bounds how long a silent server can still look live (8.5 s);
# a loaded server answers a ping in milliseconds, so 3.5 s does not cry wolf.
PING_TIMEOUT = 3.5
SYNC_RETRY_MIN = 0.5
SYNC_RETRY_MAX = 10.0


class Connection:
    """Owns the status. offline → connecting → syncing (socket up, catching up) → live;
    a ping left unanswered goes to not_responding and drops the socket; a drop goes to
    reconnecting (attempt n, next try in s) and back through syncing; a refused token goes
    to auth_failed, where reconnecting stops."""

    def __init__(
        self,
        sync: SyncEngine,
        journal: Journal,
        on_status: Callable[[ConnectionStatus], None],
        on_auth_failed: Callable[[], None],
        on_connected: Callable[[], None],
        *,
        ping_interval: float = PING_INTERVAL,
        ping_timeout: float = PING_TIMEOUT,
        check_server: Callable[[Ready], str | None] = lambda _ready: None,
        on_dropped: Callable[[], None] = lambda: None,
    ) -> None:
        self.sync = sync
        self.journal = journal
        self._on_status = on_status
        self._on_auth_failed = on_auth_failed
        self._on_connected = on_connected
        self._check_server = check_server
        self._on_dropped = on_dropped
        # What each group held when the socket connected: `ready`'s heads cannot be lower
        # unless the server lost history (messages arriving after the connect don't count).
        self._held_at_connect: dict[int, int] = {}
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.status = ConnectionStatus(ConnState.OFFLINE)
        self.realtime: Realtime | None = None
        self._epoch = 0
        self._ping_task: asyncio.Task[None] | None = None
        self._resend_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._dropped_at: float | None = None  # monotonic time of the drop being recovered
        self._attempts_since_drop = 0
        self._handlers: dict[str, Callable[[Any], None]] = {
            ServerEvent.READY: self._on_ready,
            ServerEvent.MESSAGE_NEW: sync.on_message_new,
            ServerEvent.GROUP_JOINED: sync.on_group_joined,
            ServerEvent.GROUP_LEFT: sync.on_group_left,
            ServerEvent.TYPING: sync.on_typing,
            ServerEvent.READ: sync.on_read,
            ServerEvent.EVENT: sync.on_event,
            ServerEvent.GROUP_MUTED: sync.on_group_muted,
        }

    # --- status ----------------------------------------------------------------------

    def _set(self, state: ConnState, **changes: Any) -> None:
        old = self.status
        if state is not ConnState.LIVE:
            changes.setdefault("rtt_ms", None)
        if state is not ConnState.RECONNECTING:
            changes.setdefault("attempt", 0)
            changes.setdefault("retry_in", None)
        if changes.get("last_error") and changes["last_error"] != old.last_error:
            changes["error_at"] = datetime.now(UTC)  # diagnostics say when, not only what
        new = replace(old, state=state, **changes)
        if new == old:
            return
        self.status = new
        if new.state != old.state:
            # Attempts and delays within "reconnecting" are told by the reconnect entries.
            self.journal.record("state", f"Connection {old.state.value} → {new.describe()}.")
        self._on_status(new)

    # --- lifecycle -------------------------------------------------------------------

    def start(self, realtime: Realtime) -> None:
        self.realtime = realtime
        self._stopping = False
        self._set(ConnState.CONNECTING, last_error=None)
        realtime.start()

    async def stop(self) -> None:
        self._stopping = True
        self._epoch += 1
        self._stop_ping()
        if self.realtime is not None:
            await self.realtime.stop()
        if self.status.state is not ConnState.AUTH_FAILED:
            self._set(ConnState.OFFLINE)

    def auth_failed(self, message: str, explanation: str | None = None) -> None:
        """The token was refused (socket or REST), or the server is not this session's:
        stop reconnecting; the UI asks to sign in."""
        if self.status.state is ConnState.AUTH_FAILED:
            return
        self._epoch += 1
        self._stop_ping()
        self._on_dropped()
        self._set(ConnState.AUTH_FAILED, last_error=message)
        self.journal.record(
            "error",
            explanation or f"The server refused the sign-in token ({message}); sign in again.",
        )
        self._on_auth_failed()
        if self.realtime is not None:
            spawn(self.realtime.stop(), name="realtime-stop")

    # --- RealtimeListener ------------------------------------------------------------

    def on_connected(self) -> None:
        self._epoch += 1
        self._held_at_connect = self.sync.held()
        if self._dropped_at is not None:
            # One reconnect per recovered drop, however many attempts it took: the counter a
            # person compares with how often the network really failed.
            down = time.monotonic() - self._dropped_at
            self.journal.record(
                "reconnected",
                f"Reconnected after {down:.1f} s offline "
                f"({max(self._attempts_since_drop, 1)} attempt(s)).",
            )
            self._dropped_at = None
            self._attempts_since_drop = 0
        self._set(ConnState.SYNCING, last_error=None)
        self._on_connected()

    def on_disconnected(self, reason: str) -> None:
        self._epoch += 1
        self._stop_ping()
        self._on_dropped()
        if self._stopping or self.status.state is ConnState.AUTH_FAILED:
            return
        if self._dropped_at is None:
            self._dropped_at = time.monotonic()
            self._attempts_since_drop = 0
        self.journal.record(
            "connection_lost", f"The connection dropped ({reason or 'no reason given'})."
        )
        if self.status.state is ConnState.NOT_RESPONDING:
            reason = self.status.last_error or reason  # we dropped it: say why
        self._set(ConnState.RECONNECTING, attempt=1, retry_in=None, last_error=reason or None)

    def on_connect_failed(self, refusal: ConnectRefusal) -> None:
        if refusal.unauthorized:
            self.auth_failed(refusal.message or refusal.code)
            return
        if self.status.state is ConnState.AUTH_FAILED:
            return
        attempt = max(self.status.attempt, 1)
        self._set(
            ConnState.RECONNECTING,
            attempt=attempt,
            retry_in=self.status.retry_in,
            last_error=refusal.message,
        )

    def on_retry_scheduled(self, attempt: int, delay: float) -> None:
        if self.status.state is ConnState.AUTH_FAILED:
            return
        self.journal.record(
            "reconnect_scheduled",  # not an attempt: those are counted when they start
            f"Reconnect attempt {attempt} scheduled in {delay:.2f} s (library backoff).",
        )
        self._set(ConnState.RECONNECTING, attempt=attempt, retry_in=delay)

    def on_attempt(self, attempt: int) -> None:
        if self.status.state is ConnState.RECONNECTING:
            self._attempts_since_drop = max(self._attempts_since_drop, attempt)
            self.journal.record("reconnect_attempt", f"Reconnect attempt {attempt}: trying now.")
            self._set(ConnState.RECONNECTING, attempt=attempt, retry_in=None)

    def on_gave_up(self) -> None:
        if self.status.state is not ConnState.AUTH_FAILED:
            self._set(ConnState.OFFLINE)

    def on_event(self, event: str, data: Any) -> None:
        handler = self._handlers.get(event)
        if handler is not None:
            handler(data)

    # --- sync after ready ------------------------------------------------------------

    def _on_ready(self, data: Any) -> None:
        try:
            ready = Ready.model_validate(data)
        except ValidationError as exc:
            self.journal.record("error", f"Ignored a malformed ready event: {exc}")
            return
        other = self._check_server(ready)
        if other is not None:
            self.auth_failed(
                other,
                f"Not this session's server: {other}. Nothing was sent to it; sign in again "
                "to start afresh there (unsent messages are handed back, not sent).",
            )
            return
        if self.status.state is not ConnState.SYNCING:
            self._set(ConnState.SYNCING)
        spawn(self._sync(ready, self._epoch), name="sync-after-ready")

    async def _sync(self, ready: Ready, epoch: int) -> None:
        delay = SYNC_RETRY_MIN
        started = time.monotonic()
        while epoch == self._epoch:
            try:
                fetched, groups = await self.sync.on_ready(ready, self._held_at_connect)
            except AuthError as exc:
                self.auth_failed(exc.message)
                return
            except (SyncFailed, ApiError) as exc:  # REST down while the socket is up: retry
                if epoch != self._epoch:
                    return
                self.journal.record("error", f"Catch-up after connecting failed ({exc}); retrying.")
                await asyncio.sleep(delay)
                delay = min(delay * 2, SYNC_RETRY_MAX)
                continue
            except Exception as exc:  # a bug must not leave the status at "syncing" for good
                if epoch != self._epoch:
                    return
                log.exception("catch-up after connecting failed")
                self.journal.record(
                    "error",
                    f"Catch-up after connecting failed unexpectedly ({type(exc).__name__}: "
                    f"{exc}); retrying.",
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, SYNC_RETRY_MAX)
                continue
            if epoch != self._epoch:
                return
            ms = (time.monotonic() - started) * 1000
            self.journal.record(
                "catchup_done",
                f"Catch-up done: {fetched} message(s) fetched for {groups} group(s) in {ms:.0f} ms; "
                f"{len(self.sync.registry.ids())} group(s) in sync.",
            )
            self._set(ConnState.LIVE)
            self._start_ping(epoch)
            return

    # --- ping ------------------------------------------------------------------------

    def _start_ping(self, epoch: int) -> None:
        self._stop_ping()
        self._ping_task = spawn(self._ping_loop(epoch), name="ping")

    def _stop_ping(self) -> None:
        if self._ping_task is not None:
            self._ping_task.cancel()
            self._ping_task = None

    async def _ping_loop(self, epoch: int) -> None:
        while epoch == self._epoch and self.realtime is not None:
            await self.ping_once()
            await asyncio.sleep(self.ping_interval)

    async def ping_once(self) -> float | None:
        """Ping the server: update the round trip, and fetch any group whose head is ahead."""
        if self.realtime is None:
            return None
        started = time.monotonic()
        epoch = self._epoch
        held = self.sync.held()  # before asking: the heads answered cannot be lower
        try:
            raw = await self.realtime.call(ClientEvent.PING, {}, timeout=self.ping_timeout)
        except (CallTimeout, NotConnected) as exc:
            log.info("ping failed: %s", exc)
            if epoch == self._epoch and self.realtime.connected:
                self._not_responding()  # no drop meanwhile: the server itself is silent
            return None
        rtt = (time.monotonic() - started) * 1000
        try:
            ack = PingAck.model_validate(raw)
        except ValidationError:
            log.warning("malformed ping ack: %r", raw)
            return rtt
        if self.status.state is ConnState.LIVE:
            self._set(ConnState.LIVE, rtt_ms=rtt)
        if ack.ok:
            self.sync.check_heads(ack.groups, held)
            # A read marker whose request failed while the socket stayed up goes out now,
            # not only at the next reconnect.
            if self._resend_task is None or self._resend_task.done():
                self._resend_task = spawn(self.sync.reads.resend(), name="resend-reads")
        return rtt

    def _not_responding(self) -> None:
        """The socket is up but the server did not answer: say so now, not when the
        transport's own timeout (about 45 s) notices, and reconnect. Unsent messages stay
        queued; the sender sends them once a new connection is confirmed."""
        why = f"the server did not answer a ping within {self.ping_timeout:g} s"
        self.journal.record(
            "error", f"Not responding: {why}; dropping the connection to reconnect."
        )
        self._epoch += 1  # answers of the silent connection no longer count
        self._stop_ping()
        self._set(ConnState.NOT_RESPONDING, last_error=why)
        if self.realtime is not None:
            spawn(self.realtime.disconnect_now(), name="drop-silent-socket")
