"""A `redis-server` of a test's own on a free port, so a test can stop and restart Redis.

`RedisProcess(data_dir)`: `start()` (waits for PONG), `stop()` (SIGKILL: no goodbye, as an
outage would be), `start()` again on the same port; `url` is `redis://127.0.0.1:P/0`.
`REDIS_SERVER` is the binary's path or None when Debian's `redis-server` is not installed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support.server import HOST, free_port

REDIS_SERVER = shutil.which("redis-server")
START_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.02


class RedisProcess:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> RedisProcess:
        assert REDIS_SERVER, "redis-server is not installed"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", HOST]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.data_dir)]
        with open(self.data_dir / "redis.log", "ab") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._pong():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not start")
            time.sleep(POLL_SECONDS)
        return self

    def _pong(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
