"""python-socketio's AsyncClient, observed: imported only when the app first connects."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import engineio
import socketio
from socketio.exceptions import BadNamespaceError
from socketio.exceptions import ConnectionError as SocketConnectionError

__all__ = ["BadNamespaceError", "ObservedClient", "SocketConnectionError"]


# How long opening the transport may take. engine.io waits for a server that accepts the
# connection and then says nothing (hung, or stopped with SIGSTOP) for ever, and the
# library's reconnect loop with it.
OPEN_TIMEOUT = 10.0
TIMED_OUT = "timed out waiting for the server (no answer within {:g} s)"


class _BoundedEngineIO(engineio.AsyncClient):  # type: ignore[misc]
    """engine.io's client whose connect gives up after OPEN_TIMEOUT, as a connection error
    (so python-socketio reports it as connect_error and its reconnect loop goes on)."""

    open_timeout = OPEN_TIMEOUT

    async def connect(self, *args: Any, **kwargs: Any) -> Any:
        try:
            # A deadline in this task (no second task as wait_for makes): stopping the
            # session cancels the attempt directly.
            async with asyncio.timeout(self.open_timeout):
                return await super().connect(*args, **kwargs)
        except TimeoutError as exc:
            raise engineio.exceptions.ConnectionError(TIMED_OUT.format(self.open_timeout)) from exc


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

    def _engineio_client_class(self) -> type:
        return _BoundedEngineIO
