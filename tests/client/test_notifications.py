"""Stories about what the UI is told to notify: live messages and those found by catch-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chat_protocol.models import Message
from desktop_app.models.bridge import SessionBridge
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.session.state import ConnState
from tests.client.peer import Peer
from tests.client.v2 import message_body
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]
SLOW_PING = 600.0  # so only the reconnect's catch-up can find the missed messages


def bodies(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.BODY) for r in range(model.rowCount())]


def live(bridge: SessionBridge) -> bool:
    return bridge.status.state is ConnState.LIVE


def test_messages_missed_while_away_are_announced_once_per_group(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer, alice_elsewhere = Peer(server.url, bob), Peer(server.url, alice)
    shown = peer.create_group("On screen", [alice[0]["username"]])
    away = peer.create_group("Away", [alice[0]["username"]])
    mine = peer.create_group("Mine only", [alice[0]["username"]])
    read_elsewhere = peer.create_group("Read on the phone", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice, ping_interval=SLOW_PING)
    wait_for(lambda: live(bridge))
    bridge.set_active_group(shown)
    received: list[tuple[int, str]] = []
    caught_up: list[tuple[int, str, int]] = []
    bridge.message_received.connect(lambda gid, m: received.append((gid, m.body)))
    bridge.messages_caught_up.connect(
        lambda gid, m, n: caught_up.append((gid, m.body, n)) if isinstance(m, Message) else None
    )
    peer.send(away, "live one")
    wait_for(lambda: received == [(away, "live one")])

    # The socket misses everything from here on, as if the network had gone.
    bridge.session.realtime.inbound_filter = lambda event, data: message_body(event, data) is None
    for body in ("away 1", "away 2", "away 3"):
        peer.send(away, body)
    peer.send(shown, "while you were out")
    alice_elsewhere.send(mine, "from my phone")
    seen = peer.send(read_elsewhere, "already seen on the phone")
    alice_elsewhere.mark_read(read_elsewhere, seen["seq"])
    arun(bridge.session.realtime.disconnect_now())
    wait_for(lambda: bridge.status.state is ConnState.RECONNECTING)
    bridge.session.realtime.inbound_filter = None

    wait_for(lambda: live(bridge))
    away_model = bridge.message_model(away)
    wait_for(lambda: bodies(away_model) == ["live one", "away 1", "away 2", "away 3"])
    wait_for(lambda: bodies(bridge.message_model(mine)) == ["from my phone"])
    wait_for(lambda: len(bridge.message_model(read_elsewhere).timeline) == 1)
    wait_for(lambda: len(received) == 3)

    assert sorted(received[1:]) == sorted([(away, "away 3"), (shown, "while you were out")])
    assert sorted(caught_up) == sorted([(away, "away 3", 3), (shown, "while you were out", 1)])
    assert bridge.groups.unread(away) == 4
    assert bridge.groups.unread(shown) == 1, "on screen but not yet seen: unread until in view"
    peer.close()
    alice_elsewhere.close()


def test_a_repaired_gap_does_not_announce_an_older_message_again(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Gap behind", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    received: list[str] = []
    bridge.message_received.connect(lambda gid, m: received.append(m.body))
    bridge.session.realtime.inbound_filter = lambda event, data: (
        not (message_body(event, data) == "two")
    )

    for body in ("one", "two", "three"):
        peer.send(group, body)

    wait_for(lambda: bodies(bridge.message_model(group)) == ["one", "two", "three"])
    wait_for(lambda: bool(bridge.journal.texts("gap_repaired")))
    assert received == ["one", "three"], "#2 came after #3 was announced: no second notice"
    peer.close()


def test_a_muted_group_announces_the_mention_a_catch_up_brought(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    muted = peer.create_group("Muted", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice, ping_interval=SLOW_PING)
    wait_for(lambda: live(bridge))
    arun(bridge.set_muted(muted, True))
    received: list[str] = []
    bridge.message_received.connect(lambda gid, m: received.append(m.body))
    bridge.session.realtime.inbound_filter = lambda event, data: message_body(event, data) is None
    peer.send(muted, f"@{alice[0]['username']} are you there?")
    peer.send(muted, "never mind")
    arun(bridge.session.realtime.disconnect_now())
    wait_for(lambda: bridge.status.state is ConnState.RECONNECTING)
    bridge.session.realtime.inbound_filter = None
    wait_for(lambda: live(bridge))
    wait_for(lambda: len(bridge.message_model(muted).timeline) == 2)
    wait_for(lambda: len(received) == 1)
    assert received == [f"@{alice[0]['username']} are you there?"], "the mention, not the newest"
    peer.close()
