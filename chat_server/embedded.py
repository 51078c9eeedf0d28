"""An in-process server on a background thread: for `desktop-app --demo`, self-tests and UI tests.

    server = EmbeddedServer(demo=True)
    server.start()              # blocks until it accepts connections
    server.url                  # "http://127.0.0.1:PORT"
    server.stop()

With `data_dir=None` the data lives in a temporary directory removed by `stop()`.
Demo users are `demo_users` ("alice", "bob", "carol"), all with password `DEMO_PASSWORD`.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import uvicorn

from chat_server.config import load_settings
from chat_server.runner import ChatServer, bind_socket, uvicorn_config
from chat_server.services.demo import DEMO_PASSWORD, DEMO_USERS

__all__ = ["DEMO_PASSWORD", "EmbeddedServer", "demo_users"]

demo_users: tuple[str, ...] = tuple(name for name, _ in DEMO_USERS)

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


def _own_loop() -> asyncio.AbstractEventLoop:
    """A standard asyncio loop made by the default policy class (whatever policy is
    installed), set as the calling thread's loop."""
    loop = asyncio.DefaultEventLoopPolicy().new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


class EmbeddedServer:
    """The real server (uvicorn + the chat app) on its own thread and event loop."""

    def __init__(
        self, data_dir: Path | None = None, port: int = 0, demo: bool = False, **settings: Any
    ) -> None:
        self._temp_dir: str | None = None
        if data_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="chat-server-")
            data_dir = Path(self._temp_dir)
        self.data_dir = Path(data_dir)
        self._port = port
        self._settings = settings
        self.demo = demo
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._port}"

    def start(self) -> None:
        """Start serving; returns once the server accepts connections (raises if it failed)."""
        if self._thread is not None:
            raise RuntimeError("already started")
        sock = bind_socket(HOST, self._port)
        self._port = sock.getsockname()[1]
        settings = load_settings(
            environ={},
            host=HOST,
            port=self._port,
            data_dir=self.data_dir,
            demo=self.demo,
            log_json=False,
            **self._settings,
        )
        self._server = ChatServer(uvicorn_config(settings, loop="asyncio"))
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name="chat-server", daemon=True
        )
        self._thread.start()
        self._thread.join(0)
        waited = 0.0
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                sock.close()
                raise RuntimeError(f"the embedded server failed to start: {self._error!r}")
            if waited > START_TIMEOUT_SECONDS:
                raise RuntimeError("the embedded server did not start in time")
            threading.Event().wait(0.02)
            waited += 0.02

    def _run(self, sock: Any) -> None:
        assert self._server is not None
        try:
            # Our own loop, not the policy's: under `qasync.run` (Python 3.11) the process-wide
            # policy makes Qt loops, which cannot run on this thread.
            with asyncio.Runner(loop_factory=_own_loop) as runner:
                runner.run(self._server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to start() or stop()
            self._error = exc
        finally:
            asyncio.set_event_loop(None)
            sock.close()

    def stop(self) -> None:
        """Stop serving and wait for the thread; removes the temporary data dir if one was made."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_SECONDS)
        self._thread = None
        self._server = None
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
