"""python-socketio's AsyncClient, observed: imported only when the app first connects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio
from socketio.exceptions import BadNamespaceError
from socketio.exceptions import ConnectionError as SocketConnectionError

__all__ = ["BadNamespaceError", "ObservedClient", "SocketConnectionError"]


class ObservedClient(socketio.AsyncClient):  # type: ignore[misc]
    """AsyncClient whose connect() reports each attempt; the reconnect logic stays the library's."""

    def __init__(self, on_attempt: Callable[[], None], wait_timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_attempt = on_attempt
        self._wait_timeout = wait_timeout

    async def connect(self, *args: Any, **kwargs: Any) -> None:
        # The library's reconnect loop calls self.connect() for every attempt, without
        # wait_timeout; give each attempt ours.
        kwargs.setdefault("wait_timeout", self._wait_timeout)
        self._on_attempt()
        await super().connect(*args, **kwargs)
