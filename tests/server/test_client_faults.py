"""Malformed client input costs one WARNING line per peer and kind in the log, no tracebacks."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import engineio.packet
import httpx
import pytest
import websockets

from chat_server.realtime.client_faults import FaultLog, client_fault
from tests.support.server import ServerProcess, aregister

POLL_PATH = "/socket.io/?EIO=4&transport=polling"
WS_PATH = "/socket.io/?EIO=4&transport=websocket"
GARBAGE_POSTS = 100
GARBAGE_SESSIONS = 10
REPEATS = 3
# Frames a client can send that engine.io or python-socketio cannot read.
BAD_FRAMES: tuple[str | bytes, ...] = (
    "9",
    "42[",
    "42[null]",
    "x",
    "",
    "42[{}]",  # an event name python-socketio cannot look up
    "42" + "[" * 5000,  # nested past the JSON decoders' depth
    "43[]",  # an ack for nothing
    "40[]",
    b"\x00\x01",
)
SETTLE_SECONDS = 0.3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("faults"))
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def log_entries(path: Path) -> list[dict[str, object]]:
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            entries.append({"level": "raw", "msg": line})
    return entries


async def garbage_posts(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for _ in range(GARBAGE_SESSIONS):
            opened = await client.get(POLL_PATH)
            sid = json.loads(opened.text[1:])["sid"]
            for _ in range(GARBAGE_POSTS // GARBAGE_SESSIONS):
                answer = await client.post(f"{POLL_PATH}&sid={sid}", content=b"garbage")
                assert answer.status_code < 500


async def bad_frame(url: str, frame: str | bytes, token: str | None) -> None:
    async with websockets.connect(url.replace("http", "ws") + WS_PATH) as ws:
        await ws.recv()  # engine.io open
        if token is not None:
            await ws.send("40" + json.dumps({"token": token}))
            assert (await ws.recv()).startswith("40")
            await ws.recv()  # ready
        await ws.send(frame)
        try:
            await asyncio.wait_for(ws.recv(), SETTLE_SECONDS)
        except (TimeoutError, websockets.ConnectionClosed):
            pass


async def test_malformed_input_is_one_warning_per_kind_and_no_traceback(
    server: ServerProcess,
) -> None:
    _user, token = await aregister(server.url)
    before = len(log_entries(server.log_path))
    await garbage_posts(server.url)
    for _ in range(REPEATS):
        for frame in BAD_FRAMES:
            await bad_frame(server.url, frame, None)
            await bad_frame(server.url, frame, token)
    await asyncio.sleep(SETTLE_SECONDS)
    entries = log_entries(server.log_path)[before:]
    loud = [e for e in entries if e.get("level") in ("error", "critical", "raw") or "exc" in e]
    assert loud == []
    warnings = [e for e in entries if e.get("level") == "warning"]
    assert warnings, "each kind of fault is still said once"
    kinds = Counter(str(e.get("fault")) for e in warnings)
    assert all(count == 1 for count in kinds.values()), kinds
    assert all(e.get("peer") == "127.0.0.1" for e in warnings), warnings
    assert "unreadable polling payload" in kinds
    # The server still serves after all of it.
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get("/healthz")).status_code == 200


def test_fault_log_says_each_kind_once_per_interval_then_counts_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    faults = FaultLog(interval=60.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="chat_server.client_faults"):
        for _ in range(50):
            faults.report("unreadable polling payload", peer="203.0.113.9")
        faults.report("unreadable polling payload", peer="203.0.113.10")
        now[0] = 61.0
        faults.report("unreadable polling payload", peer="203.0.113.9")
    lines = [r for r in caplog.records if r.name == "chat_server.client_faults"]
    assert [(r.peer, r.suppressed) for r in lines] == [  # type: ignore[attr-defined]
        ("203.0.113.9", 0),
        ("203.0.113.10", 0),
        ("203.0.113.9", 49),
    ]


def test_an_exception_raised_in_our_code_is_not_a_client_fault() -> None:
    def ours() -> None:
        raise ValueError("a bug of ours")

    try:
        ours()
    except ValueError:
        assert not client_fault(sys.exc_info())
    try:
        engineio.packet.Packet(encoded_packet="x")
    except ValueError:
        assert client_fault(sys.exc_info())
