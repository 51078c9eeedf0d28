"""A refused token: the session goes to auth_failed, says so once, and stops reconnecting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from desktop_app.models.bridge import SessionBridge
from desktop_app.session.state import ConnState
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]


def test_token_revoked_elsewhere_leads_to_auth_failed_without_retrying(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice = register(server.url)
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    signals: list[bool] = []
    bridge.auth_failed.connect(lambda: signals.append(True))

    # Signing out from elsewhere revokes the token; the server drops its sockets.
    httpx.post(
        f"{server.url}/api/auth/logout", headers={"Authorization": f"Bearer {alice[1]}"}
    ).raise_for_status()

    wait_for(lambda: bridge.status.state is ConnState.AUTH_FAILED)
    wait_for(lambda: not bridge.session.realtime.reconnecting)
    assert signals == [True]
    assert bridge.status.last_error
    assert "sign in again" in bridge.journal.texts("error")[-1]


def test_unknown_token_at_start_is_auth_failed(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice = register(server.url)
    bridge = make_bridge(server.url, (alice[0], "not-a-real-token"))
    wait_for(lambda: bridge.status.state is ConnState.AUTH_FAILED)
    assert not bridge.session.realtime.reconnecting
