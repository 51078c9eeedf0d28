"""A server that says yes in a form we cannot read (a proxy's login page) does not trap the
outbox in endless retries: the message is retried a few times, then shown failed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from chat_protocol.models import Message
from desktop_app.net.rest import RestClient
from desktop_app.session.journal import Journal
from desktop_app.session.outbox import Outbox, OutboxItem
from desktop_app.session.sender import UNREADABLE_ANSWER_LIMIT, Sender

LOGIN_PAGE = b"<html><body>Please sign in to the hotel Wi-Fi</body></html>"


class _LoginPage(BaseHTTPRequestHandler):
    """Answers every POST with 200 and an HTML page, as a captive portal does."""

    posts: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).posts.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(LOGIN_PAGE)))
        self.end_headers()
        self.wfile.write(LOGIN_PAGE)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[str]:
    _LoginPage.posts = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _LoginPage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _Outcome:
    """What Session does with an outcome, minus the UI: a refused item is marked failed."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.rejected: list[tuple[str, str]] = []
        self.delivered: list[str] = []
        self.settled = asyncio.Event()

    def on_delivered(self, item: OutboxItem, message: Message) -> None:
        self.delivered.append(item.client_msg_id)
        self.settled.set()

    def on_rejected(self, item: OutboxItem, reason: str) -> None:
        self.outbox.mark_failed(item.client_msg_id, reason)
        self.rejected.append((item.client_msg_id, reason))
        self.settled.set()

    def on_auth_failed(self) -> None:
        raise AssertionError("a login page is not a refused token")


def test_success_status_with_an_unreadable_body_fails_the_message_after_a_few_tries(
    portal: str, tmp_path: Path, arun: Callable[..., Any], wait_for: Callable[..., None]
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3", user_id=1)
    outbox.add(OutboxItem("cid-portal", 7, "hello?", datetime.now(UTC)))
    outcome, journal = _Outcome(outbox), Journal()
    rest = RestClient(portal, "token")
    sender = Sender(rest, outbox, outcome, journal, retry_delay_min=0.01, retry_delay_max=0.05)

    async def run_until_settled() -> None:
        task = asyncio.ensure_future(sender.run())
        try:
            await asyncio.wait_for(outcome.settled.wait(), 10)
            await asyncio.sleep(0.2)  # time for a wrong extra attempt to show
        finally:
            sender.stop()
            await task
            await rest.aclose()

    arun(run_until_settled())
    assert outcome.delivered == []
    [(cid, reason)] = outcome.rejected
    assert cid == "cid-portal"
    assert "could not be read" in reason
    assert len(_LoginPage.posts) == UNREADABLE_ANSWER_LIMIT, "retried, then stopped"
    assert len(journal.texts("send_retry")) == UNREADABLE_ANSWER_LIMIT - 1
    item = outbox.get("cid-portal")
    assert item is not None and item.state == "failed", "kept in the outbox, for Retry"
    outbox.close()
