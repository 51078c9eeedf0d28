"""SIGTERM stops the server within its bound whatever the clients do, and loses no answered send."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chat_server.runner import HARD_EXIT_STATUS, SHUTDOWN_BOUND_SECONDS
from tests.support.server import HOST, ServerProcess, auth_headers, free_port, register

POLL_PATH = "/socket.io/?EIO=4&transport=polling"
# Past the bound, a server that still runs is hung (the wait is generous: the machine is shared).
HUNG_AFTER_SECONDS = SHUTDOWN_BOUND_SECONDS + 10.0
SENDER_THREADS = 4
SENDS_BEFORE_SIGTERM = 20
SENDS_PER_THREAD = 40  # all of them fit in one page of history
PAGE = 200
# uvicorn re-raises the signal once it has shut down; the hard exit would end with status 1.
CLEAN_EXIT = -signal.SIGTERM


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    # Sends are limited by the server's shutdown here, not by the rate limit.
    proc = ServerProcess(tmp_path, env={"CHAT_SEND_BURST": "100000"})
    proc.start()
    try:
        yield proc
    finally:
        proc.kill()


def anonymous_polling_session(url: str) -> None:
    """The issue's reproduction: an engine.io handshake that never polls again."""
    assert httpx.get(url + POLL_PATH, timeout=10).status_code == 200


def half_sent_request(port: int) -> socket.socket:
    sock = socket.create_connection((HOST, port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    return sock


def terminate(proc: ServerProcess) -> int:
    assert proc.proc is not None
    proc.proc.send_signal(signal.SIGTERM)
    try:
        return proc.proc.wait(HUNG_AFTER_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server still runs {HUNG_AFTER_SECONDS:.0f} s after SIGTERM")


def test_sigterm_exits_cleanly_with_an_abandoned_polling_session(server: ServerProcess) -> None:
    anonymous_polling_session(server.url)
    slow = half_sent_request(server.port)
    try:
        status = terminate(server)
    finally:
        slow.close()
    assert status == CLEAN_EXIT, server.log_tail()


def test_every_send_answered_before_sigterm_is_stored_once(server: ServerProcess) -> None:
    _user, token = register(server.url)
    headers = auth_headers(token)
    group = httpx.post(
        f"{server.url}/api/groups", json={"name": "Team", "members": []}, headers=headers
    ).json()
    answered: list[str] = []
    started = threading.Semaphore(0)

    def sender() -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
            for _ in range(SENDS_PER_THREAD):
                msg_id = str(uuid.uuid4())
                try:
                    response = client.post(
                        f"/api/groups/{group['id']}/messages",
                        json={"client_msg_id": msg_id, "body": "hello"},
                    )
                except httpx.HTTPError:
                    return
                if response.status_code != 201:
                    return
                answered.append(msg_id)
                started.release()

    threads = [threading.Thread(target=sender) for _ in range(SENDER_THREADS)]
    for thread in threads:
        thread.start()
    for _ in range(SENDS_BEFORE_SIGTERM):
        started.acquire(timeout=10)
    anonymous_polling_session(server.url)
    assert terminate(server) == CLEAN_EXIT
    for thread in threads:
        thread.join()

    server.start()
    page = httpx.get(
        f"{server.url}/api/groups/{group['id']}/messages",
        params={"limit": PAGE},
        headers=headers,
    ).json()
    stored = [m["client_msg_id"] for m in page["messages"]]
    assert set(answered) <= set(stored)
    assert len(stored) == len(set(stored))
    seqs = sorted(m["seq"] for m in page["messages"])
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


# A stand-in for a shutdown that hangs (a database that stopped answering): uvicorn runs our
# ChatServer on an app whose lifespan never finishes shutting down.
STUCK_APP = """
import asyncio, sys, uvicorn
from chat_server.runner import ChatServer

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
                print("started", flush=True)
            else:
                await asyncio.Event().wait()  # never completes its shutdown

ChatServer(uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None)).run()
"""


def test_a_shutdown_that_hangs_ends_in_the_hard_exit(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK_APP, str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(HUNG_AFTER_SECONDS)
    finally:
        proc.kill()
    assert status == HARD_EXIT_STATUS
    assert "shutdown took longer than" in proc.stdout.read()
