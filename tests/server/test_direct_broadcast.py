"""Direct broadcast on and off: every member gets every message once, in order, whatever the path."""

from __future__ import annotations

import asyncio
import socket as net
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader
from websockets.uri import parse_uri

from chat_server.realtime.direct_broadcast import frame
from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import EventClient, connect

HIGH_LIMITS = ["--send-burst", "100000", "--send-window-seconds", "1"]
SENDS_PER_MEMBER = 15
# Multi-byte UTF-8 (2, 3 and 4 bytes) so a body near the 4,000-character limit is a frame of
# ≈ 10 KB: longer than 125 bytes, so its header carries the 16-bit extended length.
WIDE_TEXT = "é€😀a"
LARGE_BODY_CHARS = 3_960


@pytest.fixture(scope="module", params=["on", "off"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    # "off" comes from the environment variable, "on" from the flag (the default is on too).
    if request.param == "on":
        proc = ServerProcess(
            tmp_path_factory.mktemp("direct-on"), args=[*HIGH_LIMITS, "--direct-broadcast"]
        )
    else:
        proc = ServerProcess(
            tmp_path_factory.mktemp("direct-off"),
            args=HIGH_LIMITS,
            env={"CHAT_DIRECT_BROADCAST": "false"},
        )
    proc.param = request.param  # type: ignore[attr-defined]
    proc.start()
    yield proc
    proc.stop()


async def delivery_counts(url: str) -> dict[str, float]:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{url}/metrics")).text
    counts = {"direct": 0.0, "queued": 0.0}
    for line in text.splitlines():
        for path in counts:
            if line.startswith(f'chat_broadcast_deliveries_total{{path="{path}"}}'):
                counts[path] = float(line.split(" ")[1])
    return counts


async def members_with_sockets(
    url: str, count: int, transports: list[list[str] | None]
) -> tuple[list[Api], int, list[EventClient]]:
    """`count` users in one new group, and one socket per entry of `transports`, round robin."""
    users = [await Api.new_user(url) for _ in range(count)]
    group_id = await group_of(users[0], *users[1:])
    sockets = [
        await connect(url, users[i % count].token or "", t) for i, t in enumerate(transports)
    ]
    return users, group_id, sockets


async def burst(users: list[Api], group_id: int, body: str) -> list[dict]:
    """Every user sends SENDS_PER_MEMBER messages at once; the stored messages."""
    responses = await asyncio.gather(
        *(
            user.send(group_id, f"{body} {user.username} {i}")
            for user in users
            for i in range(SENDS_PER_MEMBER)
        )
    )
    assert all(r.status_code == 201 for r in responses)
    return sorted((r.json() for r in responses), key=lambda m: m["seq"])


async def received_all(socket: EventClient, group_id: int, last_seq: int) -> list[dict]:
    await socket.wait_for(
        "message:new", lambda m: m["group_id"] == group_id and m["seq"] == last_seq
    )
    return [m for m in socket.events["message:new"] if m["group_id"] == group_id]


async def close_all(users: list[Api], sockets: list[EventClient]) -> None:
    for socket in sockets:
        if socket.transports == ["polling"]:
            # A graceful close over polling waits out the client library's long poll.
            await socket.sio.eio.disconnect(abort=True)
        else:
            await socket.close()
    for user in users:
        await user.close()


async def test_a_burst_reaches_every_socket_once_and_in_order(server: ServerProcess) -> None:
    """Websocket, polling and upgraded sockets all see the same messages, each once, in seq order."""
    transports: list[list[str] | None] = [
        ["websocket"],
        ["websocket"],
        ["polling"],  # never direct: the fallback path
        ["polling", "websocket"],  # starts on polling, then upgrades
        ["websocket"],
        ["websocket"],
    ]
    users, group_id, sockets = await members_with_sockets(server.url, 4, transports)
    before = await delivery_counts(server.url)  # after each socket's `ready`
    stored = await burst(users, group_id, "burst")
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
    for socket in sockets:
        assert await received_all(socket, group_id, len(stored)) == stored
    after = await delivery_counts(server.url)
    deliveries = len(stored) * len(sockets)
    direct = after["direct"] - before["direct"]
    assert direct + after["queued"] - before["queued"] == deliveries
    if server.param == "on":  # type: ignore[attr-defined]
        assert direct > 0  # the direct path was taken, and the polling socket never is
        assert after["queued"] - before["queued"] >= len(stored)
    else:
        assert direct == 0
    await close_all(users, sockets)


async def test_large_multibyte_messages_arrive_intact(server: ServerProcess) -> None:
    users, group_id, sockets = await members_with_sockets(
        server.url, 3, [["websocket"], ["websocket"], ["polling"], ["websocket"]]
    )
    large = (WIDE_TEXT * LARGE_BODY_CHARS)[:LARGE_BODY_CHARS]
    stored = await burst(users, group_id, large)
    assert all(len(m["body"].encode()) > 125 for m in stored)
    for socket in sockets:
        got = await received_all(socket, group_id, len(stored))
        assert [m["body"] for m in got] == [m["body"] for m in stored]
    await close_all(users, sockets)


async def test_a_socket_leaving_mid_burst_costs_the_others_nothing(server: ServerProcess) -> None:
    users, group_id, sockets = await members_with_sockets(
        server.url, 4, [["websocket"], ["websocket"], ["polling"], ["websocket"], ["websocket"]]
    )
    leaver = sockets[0]
    sending = asyncio.create_task(burst(users, group_id, "busy"))
    await leaver.wait_for("message:new", lambda m: m["group_id"] == group_id)
    await leaver.close()  # while the rest of the burst is still being delivered
    stored = await sending
    for socket in sockets[1:]:
        assert await received_all(socket, group_id, len(stored)) == stored
    got = [m["seq"] for m in leaver.events["message:new"] if m["group_id"] == group_id]
    assert got == list(range(1, len(got) + 1))  # what it did get was a gap-free prefix
    # The server is unharmed: it answers, and the next message reaches everyone left.
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{server.url}/healthz")).status_code == 200
    after = (await users[1].send(group_id, "still here")).json()
    for socket in sockets[1:]:
        assert (await received_all(socket, group_id, after["seq"]))[-1] == after
    await close_all(users, sockets)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 10_000, 65_535, 65_536, 70_000])
def test_frame_header_is_what_a_websocket_parser_reads(size: int) -> None:
    text = ("€" * size)[: size // 3] + "a" * (size - 3 * (size // 3))
    assert len(text.encode()) == size
    reader = StreamReader()
    reader.feed_data(frame(text))
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    with pytest.raises(StopIteration) as done:
        next(parser)
    parsed = done.value.value
    assert parsed.opcode is Opcode.TEXT and parsed.fin and not parsed.rsv1
    assert parsed.data.decode() == text
    assert reader.at_eof() or not reader.buffer


def test_serve_help_lists_the_switch() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "chat_server", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--direct-broadcast" in help_text and "--no-direct-broadcast" in help_text
    assert "CHAT_DIRECT_BROADCAST" in help_text


SLOW_READER_MESSAGES = 400  # ≈ 6 MB of frames: more than the socket buffers hold unread
READ_CHUNK = 65_536
CLIENT_RCVBUF_BYTES = 4096


class RawSocket:
    """A websocket Socket.IO client on a plain asyncio stream: when it stops reading, the
    kernel buffers fill and the server's transport is paused by flow control (aiohttp keeps
    reading in the background, so it would never stall)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: Any):
        self.reader, self.writer, self.conn = reader, writer, conn
        self.texts: list[str] = []

    @classmethod
    async def open(cls, url: str) -> RawSocket:
        uri = parse_uri(url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket")
        sock = net.socket(net.AF_INET, net.SOCK_STREAM)
        # A small receive window, so a few stalled frames are enough to fill the path.
        sock.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, CLIENT_RCVBUF_BYTES)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (uri.host, uri.port))
        reader, writer = await asyncio.open_connection(sock=sock)
        conn = ClientProtocol(uri)
        conn.send_request(conn.connect())
        raw = cls(reader, writer, conn)
        raw.flush()
        return raw

    def flush(self) -> None:
        self.writer.write(b"".join(self.conn.data_to_send()))

    def send(self, text: str) -> None:
        self.conn.send_text(text.encode())
        self.flush()

    async def next_text(self) -> str:
        while not self.texts:
            data = await asyncio.wait_for(self.reader.read(READ_CHUNK), timeout=30)
            assert data, "server closed the connection"
            self.conn.receive_data(data)
            for event in self.conn.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    self.texts.append(event.data.decode())
            self.flush()
        text = self.texts.pop(0)
        if text == "2":
            self.send("3")  # engine.io heartbeat
        return text

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def test_a_reader_that_stalls_then_resumes_gets_everything_in_order(
    server: ServerProcess,
) -> None:
    """A client that stops reading makes the server's transport pause; nothing may overtake."""
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    raw = await RawSocket.open(server.url)
    assert (await raw.next_text()).startswith("0")  # engine.io open
    raw.send("40" + orjson.dumps({"token": bob.token}).decode())
    while not (await raw.next_text()).startswith('42["ready"'):
        pass
    before = await delivery_counts(server.url)
    large = "😀" * LARGE_BODY_CHARS
    posts = [alice.send(group_id, f"{large} {i}") for i in range(SLOW_READER_MESSAGES)]
    # Not reading while the first half is posted, then reading while the rest is.
    first = await asyncio.gather(*posts[: SLOW_READER_MESSAGES // 2])
    rest = asyncio.ensure_future(asyncio.gather(*posts[SLOW_READER_MESSAGES // 2 :]))
    seqs: list[int] = []
    while len(seqs) < SLOW_READER_MESSAGES:
        text = await raw.next_text()
        if text.startswith('42["message:new"'):
            message = orjson.loads(text[2:])[1]
            assert message["body"].startswith(large)
            seqs.append(message["seq"])
    responses = [*first, *await rest]
    assert all(r.status_code == 201 for r in responses)
    assert seqs == list(range(1, SLOW_READER_MESSAGES + 1))
    after = await delivery_counts(server.url)
    if server.param == "on":  # type: ignore[attr-defined]
        # Both paths were taken for this one socket: direct while it kept up, queued
        # while its transport was paused, and back.
        assert after["direct"] > before["direct"] and after["queued"] > before["queued"]
    await raw.close()
    await alice.close()
    await bob.close()


async def test_v2_sockets_get_message_events_through_the_same_paths(
    server: ServerProcess,
) -> None:
    """A burst reaches v2 websockets as `event`s, each once and in seq order, written directly
    when direct broadcast is on (the v2 room takes the same fast path as `message:new`)."""
    users = [await Api.new_user(server.url) for _ in range(3)]
    group_id = await group_of(users[0], *users[1:])
    sockets = [await connect(server.url, u.token or "", protocol=2) for u in users]
    before = await delivery_counts(server.url)
    stored = await burst(users, group_id, "v2 burst")
    for socket in sockets:
        await socket.wait_for("event", lambda e: e["seq"] == len(stored))
        events = [e for e in socket.events["event"] if e["group_id"] == group_id]
        assert [e["data"] for e in events] == stored
        assert socket.events["message:new"] == []
    after = await delivery_counts(server.url)
    direct = after["direct"] - before["direct"]
    assert direct + after["queued"] - before["queued"] == len(stored) * len(sockets)
    if server.param == "on":  # type: ignore[attr-defined]
        assert direct > 0
    else:
        assert direct == 0
    await close_all(users, sockets)
