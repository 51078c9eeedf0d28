"""Liveness benchmark: how long a hung server (SIGSTOP) still looks live to the client.

Starts a throwaway server (bench_server.ServerProcess), signs a Qt-free `Session` in with the
app's own ping settings, and per round: waits until the session is live, SIGSTOPs the server
at a random point of the ping period, measures the time until the status leaves "live" (it
must become "not_responding"), SIGCONTs it and waits until the session is live again (the
time to recover is reported too). Writes bench/results/liveness.json and prints one line.

    python bench/liveness.py [--rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from bench_server import BENCH_PASSWORD, ServerProcess  # noqa: E402

from chat_protocol.models import AuthResponse  # noqa: E402
from desktop_app.session.connection import PING_INTERVAL, PING_TIMEOUT  # noqa: E402
from desktop_app.session.session import Session  # noqa: E402
from desktop_app.session.state import ConnectionStatus, ConnState  # noqa: E402

RESULT_PATH = Path(__file__).parent / "results" / "liveness.json"
TARGET_SECONDS = 10.0  # the bound: "Not responding…" within 10 s of going silent
LIVE_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.01


class Listener:
    """A SessionListener that only remembers each status change and when it came."""

    def __init__(self) -> None:
        self.changes: list[tuple[float, ConnectionStatus]] = []

    def on_status(self, status: ConnectionStatus) -> None:
        self.changes.append((time.monotonic(), status))

    def __getattr__(self, name: str) -> Any:
        return lambda *_args, **_kwargs: None  # every other notice is ignored


async def register(url: str) -> AuthResponse:
    body = {"username": f"live_{os.getpid()}", "password": BENCH_PASSWORD}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/auth/register", json=body) as response:
            return AuthResponse.model_validate(await response.json())


async def until(predicate: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the session did not get there in time")
        await asyncio.sleep(POLL_SECONDS)


async def run(rounds: int) -> dict[str, Any]:
    with ServerProcess() as server, tempfile.TemporaryDirectory() as home:
        await server.wait_healthy()
        auth = await register(server.url)
        listener = Listener()
        session = Session(
            server.url, auth.token, auth.user, Path(home) / "outbox.sqlite3", listener
        )
        await session.start()
        noticed, recovered = [], []
        try:
            for _ in range(rounds):
                await until(lambda: session.status.state is ConnState.LIVE, LIVE_WAIT_SECONDS)
                await asyncio.sleep(random.uniform(0, PING_INTERVAL))
                seen = len(listener.changes)
                os.kill(server.pid, signal.SIGSTOP)
                stopped = time.monotonic()
                try:
                    await until(
                        lambda: session.status.state is not ConnState.LIVE, LIVE_WAIT_SECONDS
                    )
                finally:
                    os.kill(server.pid, signal.SIGCONT)
                at, status = next(
                    c for c in listener.changes[seen:] if c[1].state is not ConnState.LIVE
                )
                assert status.state is ConnState.NOT_RESPONDING, status
                noticed.append(at - stopped)
                resumed = time.monotonic()
                await until(lambda: session.status.state is ConnState.LIVE, LIVE_WAIT_SECONDS)
                recovered.append(time.monotonic() - resumed)
        finally:
            await session.stop()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "rounds": rounds,
        "ping_interval_s": PING_INTERVAL,
        "ping_timeout_s": PING_TIMEOUT,
        "target_s": TARGET_SECONDS,
        "not_responding_after_s": summary(noticed),
        "live_again_after_sigcont_s": summary(recovered),
        "within_target": all(n <= TARGET_SECONDS for n in noticed),
    }


def summary(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 2),
        "median": round(statistics.median(values), 2),
        "max": round(max(values), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    result = asyncio.run(run(args.rounds))
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(result, indent=2) + "\n")
    n, r = result["not_responding_after_s"], result["live_again_after_sigcont_s"]
    print(
        f"liveness: not responding after {n['median']} s median ({n['min']}–{n['max']} s, "
        f"target {TARGET_SECONDS:g} s) over {args.rounds} rounds; live again "
        f"{r['median']} s after SIGCONT (max {r['max']} s)"
    )


if __name__ == "__main__":
    main()
