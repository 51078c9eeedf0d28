"""Issue 9's hostile clients, timed: slow headers, silent websockets, and SIGTERM after them.

Starts `python -m chat_server serve` (bench/bench_server.py, default connection settings),
then from `--addresses` loopback addresses (127.0.0.2, ...; the caps are per address) opens
`--slow` connections that send half a request and `--silent` websockets that answer engine.io's
pings but never send a Socket.IO CONNECT. Meanwhile a real user does a full round (register,
log in, create a group, connect a socket, send, receive its own message) `--rounds` times.
Reports how many hostile connections were still open `--check-after` seconds after they
opened, the user's round times before and during, and, after one anonymous polling
handshake, how long SIGTERM took to end the server. JSON in bench/results/hostile-clients.json.

    .venv/bin/python bench/hostile_clients.py                 # 500 slow, 200 silent, 10 addresses
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from bench_server import ServerProcess

from tests.support.sockets import connect

RESULTS = Path(__file__).parent / "results" / "hostile-clients.json"
PASSWORD = "correct-horse-battery"
WS_PATH = "/socket.io/?EIO=4&transport=websocket"
POLL_PATH = "/socket.io/?EIO=4&transport=polling"
SIGTERM_WAIT_SECONDS = 60.0
SETTLE_SECONDS = 1.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slow", type=int, default=500, help="slow-header connections")
    parser.add_argument("--silent", type=int, default=200, help="websockets that never CONNECT")
    parser.add_argument("--addresses", type=int, default=10, help="loopback source addresses")
    parser.add_argument("--rounds", type=int, default=5, help="user rounds while they are open")
    parser.add_argument("--check-after", type=float, default=12.0, help="seconds, then count")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args()


async def user_round(url: str) -> float:
    """Seconds for a new user's whole round, from registering to receiving its own message."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        name = f"u_{uuid.uuid4().hex[:10]}"
        await http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
        login = await http.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        group = (await http.post("/api/groups", json={"name": "G"}, headers=headers)).json()
        client = await connect(url, login.json()["token"])
        body = {"client_msg_id": str(uuid.uuid4()), "body": "hi"}
        sent = await http.post(f"/api/groups/{group['id']}/messages", json=body, headers=headers)
        assert sent.status_code == 201, sent.text
        await client.wait_for("message:new")
        await client.close()
    return time.monotonic() - started


async def silent_websocket(
    url: str, address: str, closed: list[float], refused: list[float]
) -> None:
    try:
        async with websockets.connect(
            url.replace("http", "ws") + WS_PATH, local_addr=(address, 0)
        ) as ws:
            async for frame in ws:
                if frame == "2":
                    await ws.send("3")
    except websockets.InvalidStatus:  # the address's cap: refused at the handshake
        refused.append(time.monotonic())
        return
    except websockets.ConnectionClosed:
        pass
    closed.append(time.monotonic())


def slow_request(port: int, address: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), source_address=(address, 0))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ")
    sock.setblocking(False)
    return sock


def still_open(sock: socket.socket) -> bool:
    """False once the server answered (408) or closed; True while it waits on us."""
    try:
        sock.recv(4096)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False


async def hostile_round(args: argparse.Namespace, server: ServerProcess) -> dict[str, Any]:
    addresses = [f"127.0.0.{2 + i}" for i in range(args.addresses)]
    before = [await user_round(server.url) for _ in range(2)]
    closed: list[float] = []
    refused: list[float] = []
    opened = time.monotonic()
    silent = [
        asyncio.create_task(
            silent_websocket(server.url, addresses[i % len(addresses)], closed, refused)
        )
        for i in range(args.silent)
    ]
    await asyncio.sleep(SETTLE_SECONDS)  # the websockets are open before the slow requests
    slow = [slow_request(server.port, addresses[i % len(addresses)]) for i in range(args.slow)]
    during = [await user_round(server.url) for _ in range(args.rounds)]
    await asyncio.sleep(max(0.0, args.check_after - (time.monotonic() - opened)))
    result = {
        "slow_open_after": sum(still_open(s) for s in slow),
        "silent_open_after": args.silent - len(closed) - len(refused),
        "silent_refused": len(refused),
        "silent_closed_within_s": round(max(closed) - opened, 2) if closed else None,
        "user_round_ms_before": [round(t * 1000) for t in before],
        "user_round_ms_during": [round(t * 1000) for t in during],
    }
    for sock in slow:
        sock.close()
    for task in silent:
        task.cancel()
    return result


def sigterm_seconds(server: ServerProcess) -> float:
    """After one anonymous polling handshake (the issue's reproduction), SIGTERM to exit."""
    assert server.process is not None
    httpx.get(server.url + POLL_PATH, timeout=10)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(SIGTERM_WAIT_SECONDS)
    return round(time.monotonic() - started, 2)


async def main() -> None:
    args = parse_args()
    with ServerProcess() as server:
        await server.wait_healthy()
        loadavg = [round(x, 2) for x in os.getloadavg()]
        measured = await hostile_round(args, server)
        measured["sigterm_exit_seconds"] = sigterm_seconds(server)
    result = {
        "benchmark": "hostile-clients",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_before": loadavg,
        },
        "params": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        **measured,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
