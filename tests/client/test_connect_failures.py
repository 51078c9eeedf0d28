"""A connection that cannot be made says what failed: refused, name, TLS, HTTP status, timed out."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from desktop_app.net.realtime import ConnectRefusal, Realtime
from tests.support.server import free_port

WAIT_SECONDS = 20


class Refusals:
    """A RealtimeListener that keeps every refusal."""

    def __init__(self) -> None:
        self.seen: list[ConnectRefusal] = []

    def on_connect_failed(self, refusal: ConnectRefusal) -> None:
        self.seen.append(refusal)

    def on_connected(self) -> None: ...
    def on_disconnected(self, reason: str) -> None: ...
    def on_retry_scheduled(self, attempt: int, delay: float) -> None: ...
    def on_attempt(self, attempt: int) -> None: ...
    def on_gave_up(self) -> None: ...
    def on_event(self, event: str, data: Any) -> None: ...


@pytest.fixture
def http_503() -> Iterator[int]:
    """A plain HTTP server that answers every request 503 (a proxy with nothing behind it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield int(sock.getsockname()[1])
    sock.close()


def first_refusal(url: str, arun: Callable[..., Any]) -> str:
    listener = Refusals()

    async def attempt() -> str:
        realtime = Realtime(url, lambda: "token", listener, reconnect_delay=5, reconnect_jitter=0)
        realtime.start()
        try:
            for _ in range(WAIT_SECONDS * 20):
                if listener.seen:
                    return listener.seen[0].message
                await asyncio.sleep(0.05)
            return "(no refusal)"
        finally:
            await realtime.stop()

    return str(arun(attempt(), timeout=WAIT_SECONDS + 10))


def test_nothing_listening_says_connection_refused(arun: Callable[..., Any]) -> None:
    port = free_port()
    assert first_refusal(f"http://127.0.0.1:{port}", arun) == (
        f"connection refused (nothing is listening at that address) (127.0.0.1:{port})"
    )


def test_an_unknown_host_says_the_name_could_not_be_resolved(arun: Callable[..., Any]) -> None:
    message = first_refusal("http://no-such-host.invalid:8000", arun)
    assert message == "the server name no-such-host.invalid could not be resolved"


def test_an_http_error_page_says_its_status(http_503: int, arun: Callable[..., Any]) -> None:
    message = first_refusal(f"http://127.0.0.1:{http_503}", arun)
    assert message == "the server answered HTTP 503 instead of opening the socket"


def test_https_to_a_plain_server_says_tls_failed(http_503: int, arun: Callable[..., Any]) -> None:
    message = first_refusal(f"https://127.0.0.1:{http_503}", arun)
    assert message.startswith("TLS handshake failed: "), message
    assert message.endswith(f"(127.0.0.1:{http_503})"), message


def test_a_silent_server_says_timed_out(
    silent_port: int, arun: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.net import sio_client

    monkeypatch.setattr(sio_client._BoundedEngineIO, "open_timeout", 1.0)
    message = first_refusal(f"http://127.0.0.1:{silent_port}", arun)
    assert message.startswith("timed out waiting for the server"), message
