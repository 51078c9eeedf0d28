"""Server side of the benchmarks: start a throwaway server process and create users and groups."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import aiohttp
from fanout_workers import Account

STARTUP_TIMEOUT_SECONDS = 60.0
SETUP_CONCURRENCY = 10
BENCH_PASSWORD = "bench-password-1"
# The benchmark measures fan-out, not the rate limiter or password hashing: raise the send
# limit far beyond the offered load and make argon2 cheap (these users exist for seconds).
BENCH_ENV = {
    "CHAT_SEND_BURST": "1000000000",
    "CHAT_SEND_WINDOW_SECONDS": "1",
    "CHAT_LOGIN_FAILURES_PER_MINUTE": "1000000",
    "CHAT_ARGON2_TIME_COST": "1",
    "CHAT_ARGON2_MEMORY_KIB": "64",
    "CHAT_LOG_LEVEL": "warning",
    "CHAT_ACCESS_LOG": "false",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """`python -m chat_server serve` on a free port with its own temporary data dir."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="chat-bench-")
        self.data_dir = Path(self._tmp.name)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        env = {**os.environ, **BENCH_ENV}
        command = [
            sys.executable, "-m", "chat_server", "serve",
            "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir),
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._tmp.cleanup()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"the server exited at start:\n{self.log_tail()}")
                try:
                    async with http.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the server did not answer /healthz in time:\n{self.log_tail()}")


@dataclass(frozen=True)
class Population:
    """The benchmark's users, each in exactly one group."""

    accounts: list[Account]
    group_sizes: dict[int, int]
    owner_tokens: dict[int, str]


async def create_population(url: str, clients: int, groups: int, tag: str) -> Population:
    """Register `clients` users and spread them over `groups` groups (round robin)."""
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)
    async with aiohttp.ClientSession(url) as http:
        names = [f"b{tag}_{i}" for i in range(clients)]
        users = await asyncio.gather(*(_register(http, gate, name) for name in names))
        accounts: list[Account] = []
        sizes: dict[int, int] = {}
        owners: dict[int, str] = {}
        for g in range(groups):
            members = list(range(g, clients, groups))
            if not members:
                continue
            _owner_id, owner_token = users[members[0]]
            group_id = await _create_group(
                http, owner_token, f"bench {g}", [names[i] for i in members[1:]]
            )
            sizes[group_id] = len(members)
            owners[group_id] = owner_token
            accounts.extend(Account(users[i][0], users[i][1], group_id) for i in members)
    return Population(accounts, sizes, owners)


async def stored_counts(url: str, population: Population) -> dict[int, int]:
    """How many messages each benchmark group holds (its `last_seq`): what was really stored.

    A post the generator gave up on (timeout) may still have been stored and delivered.
    """
    counts: dict[int, int] = {}
    async with aiohttp.ClientSession(url) as http:
        for group_id, token in population.owner_tokens.items():
            headers = {"Authorization": f"Bearer {token}"}
            async with http.get(f"/api/groups/{group_id}", headers=headers) as response:
                body = await _expect(response, 200)
            counts[group_id] = int(str(body["last_seq"]))
    return counts


async def _register(
    http: aiohttp.ClientSession, gate: asyncio.Semaphore, name: str
) -> tuple[int, str]:
    creds = {"username": name, "password": BENCH_PASSWORD}
    async with gate:
        async with http.post("/api/auth/register", json=creds) as response:
            if response.status == 409:  # already there (an --url server): log in instead
                async with http.post("/api/auth/login", json=creds) as login:
                    body = await _expect(login, 200)
            else:
                body = await _expect(response, 201)
    return body["user"]["id"], body["token"]


async def _create_group(
    http: aiohttp.ClientSession, token: str, name: str, members: list[str]
) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    payload = {"name": name, "members": members}
    async with http.post("/api/groups", json=payload, headers=headers) as response:
        body = await _expect(response, 201)
    group_id: int = body["id"]
    return group_id


async def _expect(response: aiohttp.ClientResponse, status: int) -> dict[str, object]:
    if response.status != status:
        raise RuntimeError(
            f"{response.method} {response.url.path} answered {response.status}: "
            f"{(await response.text())[:300]}"
        )
    body: dict[str, object] = await response.json()
    return body
