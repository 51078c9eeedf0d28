"""Upload limits and housekeeping (issue 12) on servers with small limits: the size limit by
Content-Length (answered before the body is read) and while streaming a chunked body, the
cap on uploads waiting to be sent, the expiry sweep, and bytes deleted from the files dir."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.api import Api, group_of
from tests.support.files import delete_message, png, send_files, upload, uploaded
from tests.support.server import HOST, ServerProcess

LIMIT = 100_000
PENDING_MAX = 3
PENDING_SECONDS = 1.5
SWEEP_SECONDS = 0.3
IDLE_SECONDS = 0.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("files-limits"),
        args=[
            "--max-upload-bytes",
            str(LIMIT),
            "--uploads-pending-max",
            str(PENDING_MAX),
            "--upload-pending-seconds",
            str(PENDING_SECONDS),
            "--file-sweep-seconds",
            str(SWEEP_SECONDS),
            "--upload-idle-seconds",
            str(IDLE_SECONDS),
        ],
    )
    proc.start()
    yield proc
    proc.stop()


def stored_blobs(server: ServerProcess) -> set[str]:
    root = server.data_dir / "files"
    return {p.name for p in root.glob("??/*") if p.is_file()}


def blob_modes(server: ServerProcess, names: set[str]) -> set[int]:
    root = server.data_dir / "files"
    return {next(root.glob(f"??/{name}")).stat().st_mode & 0o777 for name in names}


def put_head(token: str, upload_id: str, framing: str) -> bytes:
    """A PUT /api/uploads request's head; `framing` is its Content-Length or
    Transfer-Encoding line (and any other header lines)."""
    return (
        f"PUT /api/uploads/{upload_id}?name=big.bin HTTP/1.1\r\n"
        f"Host: {HOST}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/octet-stream\r\n{framing}\r\n\r\n"
    ).encode()


def raw_put(server: ServerProcess, token: str, upload_id: str, framing: str, body: bytes) -> bytes:
    """Send a PUT's head and `body`, then nothing more; what the server answers before it
    closes."""
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(put_head(token, upload_id, framing) + body)
        return read_until_closed(sock, b"")


def read_until_closed(sock: socket.socket, answer: bytes) -> bytes:
    while chunk := sock.recv(65536):  # the server closes after its answer
        answer += chunk
    return answer


async def test_a_content_length_over_the_limit_is_refused_before_the_body(
    server: ServerProcess,
) -> None:
    alice = await Api.new_user(server.url)
    answer = await asyncio.to_thread(
        raw_put, server, alice.token or "", str(uuid.uuid4()), f"Content-Length: {LIMIT + 1}", b""
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"file_too_large" in body
    assert b"connection: close" in head.lower()
    at_limit = await uploaded(alice, b"\x01" * LIMIT, "exact.bin")
    assert at_limit["size"] == LIMIT
    await alice.close()


async def test_a_chunked_body_is_cut_off_at_the_limit(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(40):  # 40 × 8 KiB: over the limit by about a third
            sent += 8192
            yield b"\x02" * 8192

    upload_id = str(uuid.uuid4())
    try:
        response = await alice.request(
            "PUT", f"/api/uploads/{upload_id}", params={"name": "big.bin"}, content=body()
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "file_too_large"
    except Exception as exc:  # the server may close before the client finished sending
        assert "Remote" in type(exc).__name__ or "Write" in type(exc).__name__, exc
    assert (await alice.request("GET", f"/api/uploads/{upload_id}")).status_code == 404
    assert not list((server.data_dir / "files" / "tmp").glob("*.part"))  # nothing left behind
    await alice.close()


async def test_an_upload_that_stops_sending_is_dropped(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    upload_id = str(uuid.uuid4())
    # Headers and one chunk of a chunked body, then nothing: the server gives up and says so.
    answer = await asyncio.to_thread(
        raw_put, server, alice.token or "", upload_id, "Transfer-Encoding: chunked", b"3\r\nabc\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"validation_error" in body
    assert (await alice.request("GET", f"/api/uploads/{upload_id}")).status_code == 404
    await alice.close()


async def test_too_many_pending_uploads_is_429(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    for _ in range(PENDING_MAX):
        await uploaded(alice, uuid.uuid4().bytes, "x.bin")
    refused = await upload(alice, b"one more", "y.bin")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    await alice.close()


async def test_unsent_uploads_expire_and_their_bytes_go(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    kept = await uploaded(alice, png(20, 20), "kept.png")
    assert (await send_files(alice, group_id, [kept["id"]])).status_code == 201
    before = stored_blobs(server)
    data = uuid.uuid4().bytes * 10
    upload_id = str(uuid.uuid4())
    assert (await upload(alice, data, "soon-gone.bin", upload_id)).status_code == 201
    added = stored_blobs(server) - before
    assert len(added) == 1
    for _ in range(60):
        await asyncio.sleep(0.1)
        if (await alice.request("GET", f"/api/uploads/{upload_id}")).status_code == 404:
            break
    else:
        raise AssertionError("the upload did not expire")
    await asyncio.sleep(SWEEP_SECONDS * 2)
    assert not (added & stored_blobs(server))
    # A file in a message does not expire.
    await asyncio.sleep(PENDING_SECONDS)
    assert (await bob.request("GET", f"/api/files/{kept['id']}")).status_code == 200
    await alice.close()
    await bob.close()


async def test_deleting_a_message_deletes_its_bytes_from_disk(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    before = stored_blobs(server)
    info = await uploaded(alice, png(64, 48), "photo.png")
    added = stored_blobs(server) - before
    assert len(added) == 2  # the image and its thumbnail
    assert blob_modes(server, added) == {0o600}
    message = (await send_files(alice, group_id, [info["id"]])).json()
    deleted = await delete_message(alice, group_id, message["id"])
    assert deleted.status_code == 201
    assert not (added & stored_blobs(server))
    await alice.close()


def expect_continue(server: ServerProcess, token: str, upload_id: str, body: bytes) -> bytes:
    """PUT with `Expect: 100-continue`: the body goes only after `100 Continue`; all the
    server said, until it closed or answered for good."""
    framing = f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close"
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall(put_head(token, upload_id, framing))
        answer = sock.recv(65536)
        if answer.startswith(b"HTTP/1.1 100"):
            sock.sendall(body)
        return read_until_closed(sock, answer)


async def test_expect_100_continue_learns_of_a_finished_upload_without_sending_it(
    server: ServerProcess,
) -> None:
    alice = await Api.new_user(server.url)
    token, upload_id = alice.token or "", str(uuid.uuid4())
    first = await asyncio.to_thread(expect_continue, server, token, upload_id, b"12345")
    assert first.startswith(b"HTTP/1.1 100") and b"HTTP/1.1 201" in first
    again = await asyncio.to_thread(expect_continue, server, token, upload_id, b"12345")
    assert again.startswith(b"HTTP/1.1 200")  # no 100: the body was never asked for
    await alice.close()
