"""A real HTTP hop in front of the server, like nginx while the app behind it restarts.

`FlakyGateway(upstream_url, failures=n)`: forwards every REST request to the server, except
that the first `n` message sends are answered `502 Bad Gateway` (an HTML page, as a proxy
writes it) without reaching the server. `url` is the gateway's base URL; `close()` stops it.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

BAD_GATEWAY_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FlakyGateway:
    """Forwards to `upstream`; the first `failures` POSTs to /messages get a 502."""

    def __init__(self, upstream: str, failures: int) -> None:
        self.upstream = httpx.Client(base_url=upstream, timeout=30)
        self.failures_left = failures
        self.answered_502 = 0
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                gateway.forward(self)

            def do_POST(self) -> None:
                gateway.forward(self)

            def do_DELETE(self) -> None:
                gateway.forward(self)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def forward(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        if request.command == "POST" and request.path.endswith("/messages"):
            with self._lock:
                fail = self.failures_left > 0
                if fail:
                    self.failures_left -= 1
                    self.answered_502 += 1
            if fail:
                self._answer(request, 502, {"Content-Type": "text/html"}, BAD_GATEWAY_PAGE)
                return
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        answer = self.upstream.request(request.command, request.path, headers=headers, content=body)
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
        self._answer(request, answer.status_code, kept, answer.content)

    @staticmethod
    def _answer(
        request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.upstream.close()
