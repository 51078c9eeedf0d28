"""Running the app under uvicorn with the fast parts (uvloop, httptools) and our logging."""

from __future__ import annotations

import socket
from typing import Any

import uvicorn

from chat_server.app import create_app
from chat_server.config import Settings

# Room for Socket.IO/engine.io framing around the largest allowed payload.
WS_FRAME_OVERHEAD = 4096
WS_PING_INTERVAL = None  # engine.io runs its own heartbeat
GRACEFUL_SHUTDOWN_SECONDS = 5


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


class ChatServer(uvicorn.Server):
    """uvicorn's server, closing Socket.IO clients first so shutdown does not wait on long polls."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        context = getattr(self.config.app, "state_context", None)
        if context is not None:
            await context.realtime.disconnect_all()
        await super().shutdown(sockets)


def uvicorn_config(settings: Settings, **overrides: Any) -> uvicorn.Config:
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop" if _has("uvloop") else "asyncio",
        "http": "httptools" if _has("httptools") else "h11",
        "ws": "websockets-sansio" if _has("websockets") else "auto",
        "lifespan": "on",
        "access_log": settings.access_log,
        "log_config": None,
        "ws_max_size": settings.socket_payload_max_bytes + WS_FRAME_OVERHEAD,
        "ws_ping_interval": WS_PING_INTERVAL,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "server_header": False,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }
    options.update(overrides)
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
