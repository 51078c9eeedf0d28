"""A refused token: the session goes to auth_failed, says so once, and stops reconnecting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from chat_protocol.models import User
from desktop_app.models.bridge import SessionBridge
from desktop_app.session.state import ConnState
from desktop_app.settings import Profile
from tests.client.conftest import FAST_SESSION
from tests.client.peer import Peer
from tests.support.server import PASSWORD, ServerProcess

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


def test_signing_in_again_continues_the_same_session(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("After sign-in", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    model = bridge.message_model(group)
    httpx.post(
        f"{server.url}/api/auth/logout", headers={"Authorization": f"Bearer {alice[1]}"}
    ).raise_for_status()
    wait_for(lambda: bridge.status.state is ConnState.AUTH_FAILED)
    bridge.send(group, "typed while signed out")
    peer.send(group, "sent while alice was signed out")

    new_token = Peer(server.url, alice).login_again(server.url, PASSWORD)
    arun(bridge.set_token(new_token))

    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    wait_for(lambda: bridge.outbox_length == 0)
    wait_for(lambda: model.rowCount() == 2)
    assert bridge.profile.token == new_token
    assert sorted(m["body"] for m in peer.all_messages(group)) == [
        "sent while alice was signed out",
        "typed while signed out",
    ]
    peer.close()


def test_a_refused_token_at_start_then_signing_in_again_sends_and_restores(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Expired", [alice[0]["username"]])
    # A message left unsent by the last run of this profile.
    first = make_bridge(server.url, alice, profile="alice")
    wait_for(lambda: first.status.state is ConnState.LIVE)
    first.session.sender.pause()  # as if the network were gone: it stays queued
    first.send(group, "left in the outbox")
    arun(first.stop())

    # The next start has a saved token the server no longer knows.
    bridge = make_bridge(server.url, (alice[0], "expired-token"), profile="alice")
    wait_for(lambda: bridge.status.state is ConnState.AUTH_FAILED)
    new_token = Peer(server.url, alice).login_again(server.url, PASSWORD)
    arun(bridge.set_token(new_token))
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    model = bridge.message_model(group)
    bridge.send(group, "typed after signing in again")

    typed = ["left in the outbox", "typed after signing in again"]
    wait_for(lambda: bridge.outbox_length == 0)
    wait_for(lambda: [model.data(model.index(r), 0) for r in range(model.rowCount())] == typed)
    assert [m["body"] for m in peer.all_messages(group)] == typed
    assert bridge.groups.row_of(group) is not None
    peer.close()


def test_closing_while_the_session_is_still_starting_leaves_nothing_running(
    server: ServerProcess,
    register: Callable[..., Auth],
    app_home: Any,
    qloop: Any,
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice = register(server.url)
    profile = Profile.load("closing")
    bridge = SessionBridge(
        server.url, alice[1], User.model_validate(alice[0]), profile, **FAST_SESSION
    )
    starting = qloop.create_task(bridge.start())  # the window is closed at once

    arun(bridge.stop())
    wait_for(starting.done)

    assert starting.exception() is None
    assert bridge.status.state is ConnState.OFFLINE
    assert not bridge.session.realtime.connected
    assert not bridge.session.realtime.reconnecting
