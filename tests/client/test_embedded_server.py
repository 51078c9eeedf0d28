"""The embedded server (for --demo) runs whatever event-loop policy the app's main thread uses."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import qasync

from chat_server.embedded import EmbeddedServer
from tests.support.server import register


@pytest.fixture
def qt_loop_policy(qapp: Any) -> Iterator[None]:
    """What `qasync.run` does on Python 3.11 for the whole run of the app: every new event
    loop, in any thread, would be a Qt one."""
    before = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(qasync.DefaultQEventLoopPolicy())
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(before)


def test_embedded_server_serves_under_qasyncs_loop_policy(qt_loop_policy: None) -> None:
    assert isinstance(asyncio.get_event_loop_policy(), qasync.DefaultQEventLoopPolicy)
    with EmbeddedServer(demo=True) as server:
        health = httpx.get(f"{server.url}/healthz", timeout=10).json()
        user, token = register(server.url)
        groups = httpx.get(
            f"{server.url}/api/groups", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    assert health["db"] == "ok"
    assert user["username"]
    assert groups.status_code == 200
