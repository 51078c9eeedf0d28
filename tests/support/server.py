"""Run the real chat server as a subprocess, and talk to it quickly from tests.

`ServerProcess(data_dir, port=None, env=None, args=())`
    `start()` runs `python -m chat_server serve --port P --data-dir D` and waits for /healthz;
    `start(require_healthy=False)` returns as soon as /healthz answers at all;
    `stop()` (SIGTERM, then waits), `kill()` (SIGKILL: nothing is flushed) and `start()` again
    reuse the same port and data dir, for kill/restart tests. `url` is `http://127.0.0.1:P`.
    Extra server flags go in `args` (e.g. `["--database", url, "--redis", url]`).

`register(url, name, password=PASSWORD) -> (user: dict, token: str)`  (sync, httpx)
`aregister(url, name, password=PASSWORD)`                              (async twin)
`unique_name(prefix="u") -> str`   a fresh valid username
`auth_headers(token) -> dict`
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "correct-horse-battery"
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.05
# Fast password hashing in tests only; production keeps argon2's defaults.
TEST_ENV = {
    "CHAT_ARGON2_MEMORY_KIB": "1024",
    "CHAT_ARGON2_TIME_COST": "1",
    "CHAT_LOG_LEVEL": "warning",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def unique_name(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(
    url: str, name: str | None = None, password: str = PASSWORD
) -> tuple[dict[str, Any], str]:
    """Register a user (a fresh name unless given) and return (user, token)."""
    response = httpx.post(
        f"{url}/api/auth/register",
        json={"username": name or unique_name(), "password": password},
        timeout=30,
    )
    response.raise_for_status()
    body = response.json()
    return body["user"], body["token"]


async def aregister(
    url: str, name: str | None = None, password: str = PASSWORD
) -> tuple[dict[str, Any], str]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{url}/api/auth/register",
            json={"username": name or unique_name(), "password": password},
        )
    response.raise_for_status()
    body = response.json()
    return body["user"], body["token"]


class ServerProcess:
    """`python -m chat_server serve` on a fixed port and data dir, restartable."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.env = {**os.environ, **TEST_ENV, **(env or {})}
        self.args = list(args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, require_healthy: bool = True) -> ServerProcess:
        """Start and wait until /healthz answers 200 (or answers at all, if not `require_healthy`)."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "chat_server",
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]
        command += ["--data-dir", str(self.data_dir), *self.args]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_healthy(require_healthy)
        return self

    def _wait_healthy(self, require_healthy: bool = True) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status = httpx.get(f"{self.url}/healthz", timeout=1).status_code
                if status == 200 or not require_healthy:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(POLL_SECONDS)
        self.kill()
        raise RuntimeError(f"server did not become healthy:\n{self.log_tail()}")

    def stop(self) -> None:
        """Graceful stop (SIGTERM)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or clean up."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
