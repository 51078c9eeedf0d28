"""Anonymous connections are dropped: slow headers, sessions that never authenticate, and too
many from one address; meanwhile a real user signs in and chats as usual."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from chat_server import header_guard
from chat_server.config import CAP_GRACE_SECONDS
from chat_server.embedded import EmbeddedServer
from tests.support.api import Api, group_of
from tests.support.server import HOST, ServerProcess
from tests.support.sockets import connect

# The hostile clients come from another loopback address than the real user, as they would
# from another host: the cap is per address.
HOSTILE_ADDRESS = "127.0.0.2"
HEADER_TIMEOUT = 3.0
AUTH_TIMEOUT = 5.0  # long enough for the cap to be reached step by step
CAP = 30
SLOW_HEADERS = CAP + 10
SILENT_WEBSOCKETS = 20
POLLING_SESSIONS = CAP - SILENT_WEBSOCKETS + 5
RESET = b"(reset)"
# Connections count against the cap once they have waited this long (a burst is not slow).
PAST_GRACE = CAP_GRACE_SECONDS + 0.5
ENGINEIO_CLOSE = "1"
POLL_PATH = "/socket.io/?EIO=4&transport=polling"
WS_PATH = "/socket.io/?EIO=4&transport=websocket"
# How long the test waits for the server to drop them all (the deadlines plus a loaded machine).
DROPPED_WITHIN_SECONDS = 15.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("hygiene"),
        env={
            "CHAT_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
            "CHAT_AUTH_TIMEOUT_SECONDS": str(AUTH_TIMEOUT),
            "CHAT_UNAUTHENTICATED_PER_ADDRESS": str(CAP),
        },
    )
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def slow_request(port: int) -> socket.socket:
    """Half a request, the way slowloris holds a connection."""
    sock = socket.create_connection((HOST, port), source_address=(HOSTILE_ADDRESS, 0))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ")
    sock.setblocking(False)
    return sock


async def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sent until it closed the connection.

    A connection refused at once is closed before the server read the half request, so the
    kernel may reset it and drop the 429 on the way: RESET stands for that."""
    loop = asyncio.get_running_loop()
    received = b""
    try:
        while chunk := await loop.sock_recv(sock, 4096):
            received += chunk
    except ConnectionResetError:
        return received or RESET
    return received


async def silent_websocket(
    url: str, stop: asyncio.Event, told: asyncio.Event | None = None
) -> bool:
    """Answers engine.io's pings, never sends a Socket.IO CONNECT, ignores engine.io's CLOSE
    packet (setting `told`); True if the server closed the websocket."""
    async with websockets.connect(
        url.replace("http", "ws") + WS_PATH, local_addr=(HOSTILE_ADDRESS, 0)
    ) as ws:
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed:
                return True
            if frame == "2":
                await ws.send("3")
            elif frame == ENGINEIO_CLOSE and told is not None:
                told.set()
    return False


async def polling_handshake(client: httpx.AsyncClient) -> str | None:
    """An engine.io session over polling; its sid, or None if the server refused it."""
    response = await client.get(POLL_PATH)
    if response.status_code != 200:
        return None
    return str(json.loads(response.text[1:])["sid"])


async def a_user_signs_in_and_chats(url: str) -> None:
    alice, bob = await Api.new_user(url), await Api.new_user(url)
    group = await group_of(alice, bob)
    async with httpx.AsyncClient(base_url=url) as anonymous:
        login = await anonymous.post(
            "/api/auth/login", json={"username": bob.username, "password": "correct-horse-battery"}
        )
        assert login.status_code == 200
    listener = await connect(url, login.json()["token"])
    try:
        assert (await alice.send(group, "still here")).status_code == 201
        message = await listener.wait_for("message:new")
        assert message["body"] == "still here"
    finally:
        await listener.close()
        await alice.close()
        await bob.close()


async def test_anonymous_connections_are_dropped_and_users_still_served(
    server: ServerProcess,
) -> None:
    stop = asyncio.Event()
    silent = [
        asyncio.create_task(silent_websocket(server.url, stop)) for _ in range(SILENT_WEBSOCKETS)
    ]
    transport = httpx.AsyncHTTPTransport(local_address=HOSTILE_ADDRESS)
    async with httpx.AsyncClient(base_url=server.url, transport=transport) as hostile:
        await asyncio.sleep(PAST_GRACE)  # the websockets' sessions count against the cap
        sids = [await polling_handshake(hostile) for _ in range(CAP - SILENT_WEBSOCKETS)]
        await asyncio.sleep(PAST_GRACE)
        sids += [await polling_handshake(hostile) for _ in range(POLLING_SESSIONS - len(sids))]
        # Last: while these wait for their headers, the address can open no other connection.
        slow = [slow_request(server.port) for _ in range(CAP)]
        await asyncio.sleep(PAST_GRACE)
        slow += [slow_request(server.port) for _ in range(SLOW_HEADERS - CAP)]
        try:
            await a_user_signs_in_and_chats(server.url)
            async with asyncio.timeout(DROPPED_WITHIN_SECONDS):
                answers = await asyncio.gather(*(closed_by_server(s) for s in slow))
                closed = await asyncio.gather(*silent)
        finally:
            stop.set()
            for sock in slow:
                sock.close()
        # Past the cap, a connection is refused at once; the others time out with a 408.
        refused = [a for a in answers if a.startswith(b"HTTP/1.1 429") or a == RESET]
        assert len(refused) == SLOW_HEADERS - CAP
        assert sum(a.startswith(b"HTTP/1.1 408") for a in answers) == CAP
        assert all(closed)
        accepted = [sid for sid in sids if sid is not None]
        assert len(accepted) == CAP - SILENT_WEBSOCKETS
        for sid in accepted:
            # Closed: refused, or (a poll that came before the deadline) its CLOSE packet.
            answer = await hostile.get(f"{POLL_PATH}&sid={sid}")
            assert answer.status_code == 400 or answer.text == ENGINEIO_CLOSE
        # Once they are gone, the address may open sessions again.
        assert await polling_handshake(hostile) is not None


def test_no_header_timeout_is_uvicorns_own_protocol(tmp_path: Path) -> None:
    """The fallback path (no guard: unsupported versions, or the timeout set to 0) serves."""
    with ServerProcess(tmp_path, env={"CHAT_HEADER_TIMEOUT_SECONDS": "0"}) as proc:
        assert httpx.get(f"{proc.url}/healthz").status_code == 200


def test_the_header_guard_is_used_only_on_the_uvicorn_it_was_written_for() -> None:
    assert header_guard.supported("0.55.0")
    assert not header_guard.supported("1.0.0")
    assert not header_guard.supported("0.34.9")


async def test_the_session_guard_falls_back_to_engineio_public_disconnect(tmp_path: Path) -> None:
    """On another engine.io major the guard closes through `disconnect()`, bounded; tested here
    by switching the running server's guard to that path (an in-process server for the reach).
    That path can only send engine.io's CLOSE packet: a client that ignores it keeps its
    websocket until engine.io's own read timeout (docs/operations.md)."""
    server = EmbeddedServer(data_dir=tmp_path, auth_timeout_seconds=AUTH_TIMEOUT)
    server.start()
    stop, told = asyncio.Event(), asyncio.Event()
    try:
        server._server.config.app.state_context.realtime.guard.direct_close = False  # type: ignore[union-attr]
        silent = asyncio.create_task(silent_websocket(server.url, stop, told))
        async with httpx.AsyncClient(base_url=server.url) as client:
            sid = await polling_handshake(client)
            async with asyncio.timeout(DROPPED_WITHIN_SECONDS):
                await told.wait()
            await asyncio.sleep(AUTH_TIMEOUT)  # the polling session's deadline has passed too
            # Closed: refused, or (if the close is still on its way) its CLOSE packet at once.
            answer = await client.get(f"{POLL_PATH}&sid={sid}")
            assert answer.status_code == 400 or answer.text == ENGINEIO_CLOSE
    finally:
        stop.set()
        await silent
        server.stop()
