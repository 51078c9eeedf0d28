"""Running the app under uvicorn with the fast parts (uvloop, httptools) and our logging."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from types import FrameType
from typing import Any

import uvicorn

from chat_server import header_guard
from chat_server.app import create_app
from chat_server.config import Settings
from chat_server.logs import redact_request_targets

# Room for Socket.IO/engine.io framing around the largest allowed payload.
WS_FRAME_OVERHEAD = 4096
WS_PING_INTERVAL = None  # engine.io runs its own heartbeat

# SIGTERM to exit, whatever the clients do (docs/operations.md "Stopping"): closing the
# Socket.IO clients, then in-flight HTTP requests, then the app's own shutdown (the SQLite
# writer finishes its queue, database pools close), then a hard exit if anything still hangs.
SHUTDOWN_BOUND_SECONDS = 10.0
# engine.io's close waits until each client has fetched its CLOSE packet: a polling client that
# never polls again (an anonymous handshake, a lost network) would hold it forever.
CLIENT_CLOSE_SECONDS = 2.0
GRACEFUL_SHUTDOWN_SECONDS = 5  # uvicorn's wait for in-flight requests, then it cancels them
# Past this the process exits at once. Nothing is half-written by that: each SQLite or
# PostgreSQL transaction commits whole or not at all, and an unanswered send is retried by
# its client with the same client_msg_id.
HARD_EXIT_SECONDS = SHUTDOWN_BOUND_SECONDS - 1.0
HARD_EXIT_STATUS = 1

log = logging.getLogger(__name__)


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


class ChatServer(uvicorn.Server):
    """uvicorn's server with a bounded shutdown: Socket.IO clients are closed first (so it does
    not wait on long polls), within `CLIENT_CLOSE_SECONDS`; a signal arms a hard exit."""

    _watchdog: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._watchdog is None:
            self._watchdog = threading.Timer(HARD_EXIT_SECONDS, _hard_exit)
            self._watchdog.daemon = True
            self._watchdog.start()
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        context = getattr(self.config.app, "state_context", None)
        if context is not None:
            try:
                await asyncio.wait_for(context.realtime.disconnect_all(), CLIENT_CLOSE_SECONDS)
            except TimeoutError:
                log.warning(
                    "some clients did not take their close in %.0f s; shutting down anyway",
                    CLIENT_CLOSE_SECONDS,
                )
        await super().shutdown(sockets)


def _hard_exit() -> None:
    """The last resort of a shutdown that outlived its bound (a stuck database, say)."""
    log.error("shutdown took longer than %.0f s; exiting now", HARD_EXIT_SECONDS)
    os._exit(HARD_EXIT_STATUS)


def uvicorn_config(settings: Settings, **overrides: Any) -> uvicorn.Config:
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop" if _has("uvloop") else "asyncio",
        "http": header_guard.guarded_protocol(
            settings.header_timeout_seconds, settings.unauthenticated_per_address
        )
        or ("httptools" if _has("httptools") else "h11"),
        "ws": "websockets-sansio" if _has("websockets") else "auto",
        "lifespan": "on",
        "access_log": settings.access_log,
        "log_config": None,
        "ws_max_size": settings.socket_payload_max_bytes + WS_FRAME_OVERHEAD,
        "ws_ping_interval": WS_PING_INTERVAL,
        # Off by default, as in Socket.IO's own servers: compressing costs CPU per recipient
        # and rules out the direct broadcast (docs/benchmarks.md, "Deflate-offering clients").
        "ws_per_message_deflate": settings.websocket_deflate,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "server_header": False,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }
    options.update(overrides)
    redact_request_targets()  # also when embedded, where our logging setup is not used
    return uvicorn.Config(create_app(settings), **options)


def serve(settings: Settings) -> None:
    """Serve until interrupted (SIGINT/SIGTERM)."""
    ChatServer(uvicorn_config(settings)).run()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket bound now, so port 0 resolves to a real port before the server starts."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
