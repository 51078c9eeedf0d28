"""A real `python -m chat_server serve` process on a free port, for tests that act as operators do."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.1
# Tests register users by the dozen; argon2's production cost adds nothing to what they check.
TEST_ENV = {
    "CHAT_ARGON2_TIME_COST": "1",
    "CHAT_ARGON2_MEMORY_KIB": "64",
    "CHAT_LOG_LEVEL": "warning",
}


@dataclass(frozen=True)
class RunningServer:
    url: str
    data_dir: Path
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def unused_url() -> str:
    """A URL where nothing listens (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}"


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited at start:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"the server did not become healthy:\n{log.read_text(errors='replace')}")


@contextmanager
def running_server(data_dir: Path) -> Iterator[RunningServer]:
    """Start the server with `data_dir`, wait for /healthz, and stop it afterwards."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    command = [
        sys.executable, "-m", "chat_server", "serve",
        "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir),
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env={**os.environ, **TEST_ENV}, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        _wait_healthy(url, process, log)
        yield RunningServer(url, data_dir, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
