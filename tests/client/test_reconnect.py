"""Stories where the server goes away: reconnect, catch-up, and the outbox across restarts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from desktop_app.models.bridge import SessionBridge
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.session.state import ConnectionStatus, ConnState
from tests.client.peer import Peer
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]


def bodies(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.BODY) for r in range(model.rowCount())]


def states(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.STATE) for r in range(model.rowCount())]


def record_states(bridge: SessionBridge) -> list[ConnectionStatus]:
    seen: list[ConnectionStatus] = []
    bridge.status_changed.connect(seen.append)
    return seen


def compress(states_seen: list[ConnectionStatus]) -> list[ConnState]:
    out: list[ConnState] = []
    for status in states_seen:
        if not out or out[-1] is not status.state:
            out.append(status.state)
    return out


@pytest.mark.parametrize("how", ["kill", "stop"])
def test_server_restart_reconnects_syncs_and_holds_every_message_once(
    how: str,
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Outage", [alice[0]["username"]])
    other = peer.create_group("Elsewhere", [alice[0]["username"]])
    # Small catch-up pages, so the catch-up has to page (has_more) to get everything.
    bridge = make_bridge(server.url, alice, catchup_page=2)
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    bridge.set_active_group(group)
    model, other_model = bridge.message_model(group), bridge.message_model(other)
    peer.send(group, "before 1")
    peer.send(group, "before 2")
    wait_for(lambda: bodies(model) == ["before 1", "before 2"])
    seen = record_states(bridge)

    # kill: the connection just breaks; stop: a graceful shutdown closes it on purpose,
    # after which python-socketio would not reconnect by itself.
    server.kill() if how == "kill" else server.stop()
    wait_for(lambda: bridge.status.state is ConnState.RECONNECTING)
    wait_for(lambda: bridge.status.retry_in is not None)
    # While the client is still away (the test holds the event loop), the server comes back
    # and Bob posts; the client has to find these by catch-up.
    server.start()
    during = [f"during {i}" for i in range(1, 6)]
    for body in during:
        peer.send(group, body)
    peer.send(other, "elsewhere during")

    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    wait_for(lambda: len(bodies(model)) == 7)

    assert bodies(model) == ["before 1", "before 2", *during]
    seqs = [model.data(model.index(r), MessageRoles.SEQ) for r in range(model.rowCount())]
    assert seqs == list(range(1, 8))
    assert bodies(other_model) == ["elsewhere during"]
    assert bridge.groups.unread(other) == 1
    assert bridge.groups.unread(group) == 7, "open but never in view: read only once seen"
    path = compress(seen)
    assert path[0] is ConnState.RECONNECTING
    assert path[-3:] == [ConnState.RECONNECTING, ConnState.SYNCING, ConnState.LIVE]
    assert any(s.attempt >= 1 and s.retry_in is not None for s in seen)
    assert bridge.journal.texts("catchup_done")
    # One outage is one reconnect in the diagnostics, however many attempts it took.
    counters = bridge.journal.counters()
    assert counters.get("reconnected") == 1, counters
    assert counters.get("connection_lost") == 1, counters
    catchup_pages = [
        q
        for m, p, q in bridge.session.rest.history
        if p.endswith(f"/{group}/events") and "after_seq" in q
    ]
    assert len(catchup_pages) >= 3, "5 messages in pages of 2"
    peer.close()


def test_message_typed_offline_survives_client_restart_and_is_delivered_once(
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Offline", [alice[0]["username"]])
    first = make_bridge(server.url, alice, profile="alice")
    wait_for(lambda: first.status.state is ConnState.LIVE)

    server.kill()
    wait_for(lambda: first.status.state is ConnState.RECONNECTING)
    cid = first.send(group, "typed while the server was down")
    model = first.message_model(group)
    assert states(model) == ["pending"]
    assert first.outbox_length == 1
    arun(first.stop())  # the app is closed with the message still unsent

    second = make_bridge(server.url, alice, profile="alice")  # same profile, new session
    model = second.message_model(group)
    assert bodies(model) == ["typed while the server was down"]
    assert states(model) == ["pending"]
    assert second.outbox_length == 1

    server.start()
    wait_for(lambda: second.status.state is ConnState.LIVE)
    wait_for(lambda: states(model) == ["sent"])
    wait_for(lambda: second.outbox_length == 0)

    assert bodies(model) == ["typed while the server was down"]
    assert model.row_for_client_msg_id(cid) == 0
    stored = peer.all_messages(group)
    assert [(m["body"], m["client_msg_id"]) for m in stored] == [
        ("typed while the server was down", cid)
    ]
    assert second.journal.texts("outbox_restored")
    peer.close()


def test_an_unexpected_failure_of_the_catch_up_is_retried_not_left_syncing(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    """A bug in the catch-up (here: one injected failure) must not leave the status bar at
    "syncing" with no ping for the rest of the session: it is logged and tried again."""
    alice = register(server.url)
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    sync = bridge.session.sync
    real_on_ready = sync.on_ready
    failures: list[str] = []

    async def failing_once(ready: Any, held: Any = None) -> tuple[int, int]:
        if not failures:
            failures.append("injected")
            raise RuntimeError("injected failure")
        return await real_on_ready(ready, held)

    sync.on_ready = failing_once  # type: ignore[method-assign]
    arun(bridge.session.realtime.disconnect_now())
    wait_for(lambda: bool(failures))
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    assert any("unexpectedly" in t for t in bridge.journal.texts("error"))
