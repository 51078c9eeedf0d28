"""Stories around groups appearing and leaving, typing, and the send rate limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_app.models.bridge import SessionBridge
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.session.state import ConnState
from tests.client.peer import Peer
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]


def bodies(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.BODY) for r in range(model.rowCount())]


def live(bridge: SessionBridge) -> bool:
    return bridge.status.state is ConnState.LIVE


def test_added_to_a_group_while_online_then_leaving_it(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    added: list[int] = []
    removed: list[int] = []
    bridge.group_added.connect(added.append)
    bridge.group_removed.connect(removed.append)

    group = peer.create_group("Surprise", [alice[0]["username"]])
    wait_for(lambda: bridge.groups.row_of(group) is not None)
    peer.send(group, "welcome aboard")
    model = bridge.message_model(group)
    wait_for(lambda: bodies(model) == ["welcome aboard"])
    assert added == [group]
    assert bridge.groups.unread(group) == 1

    arun(bridge.leave_group(group))
    wait_for(lambda: bridge.groups.row_of(group) is None)
    assert removed == [group]
    assert bridge.groups.total_unread() == 0
    peer.close()


def test_creating_a_group_lists_it_once(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    found = arun(bridge.search_users(bob[0]["username"][:6]))
    assert bob[0]["username"] in [u.username for u in found]

    group = arun(bridge.create_group("Made here", [bob[0]["username"]]))

    assert bridge.groups.row_of(group.id) == 0
    assert bridge.groups.rowCount() == 1, "the group:joined echo does not add it twice"
    member = arun(bridge.add_member(group.id, register(server.url)[0]["username"]))
    assert member.username
    assert bridge.groups.state(group.id) is not None
    assert bridge.groups.state(group.id).member_count == 3  # type: ignore[union-attr]


def test_typing_reaches_the_other_member(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    group = Peer(server.url, bob).create_group("Chatty", [alice[0]["username"]])
    alice_app = make_bridge(server.url, alice, profile="alice")
    bob_app = make_bridge(server.url, bob, profile="bob")
    wait_for(lambda: live(alice_app) and live(bob_app))
    seen: list[tuple[int, str]] = []
    alice_app.typing.connect(lambda gid, name: seen.append((gid, name)))

    bob_app.notify_typing(group)
    bob_app.notify_typing(group)  # within the interval: not sent again

    wait_for(lambda: len(seen) >= 1)
    assert seen[0] == (group, bob[0]["display_name"])


def test_rate_limited_sends_wait_and_arrive_in_typed_order(
    make_server: Callable[..., ServerProcess],
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    server = make_server(args=["--send-burst", "3", "--send-window-seconds", "1"])
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Burst", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    typed = [f"burst {i}" for i in range(7)]

    for body in typed:
        bridge.send(group, body)
    wait_for(lambda: bridge.outbox_length == 0)
    wait_for(
        lambda: all(model.data(model.index(r), MessageRoles.STATE) == "sent" for r in range(7))
    )

    assert bodies(model) == typed
    assert [m["body"] for m in peer.all_messages(group)] == typed
    assert bridge.journal.texts("rate_limited"), "the server did push back"
    peer.close()


def test_leaving_the_open_group_then_reconnecting_gets_live_again(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    stay = peer.create_group("Stay", [alice[0]["username"]])
    leave = peer.create_group("Leave", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    bridge.set_active_group(leave)  # the group on screen is the one the user leaves

    arun(bridge.leave_group(leave))
    assert bridge.groups.row_of(leave) is None
    assert bridge.active_group is None, "a group that is gone is not on screen any more"
    arun(bridge.session.realtime.disconnect_now())  # a network drop, then catch-up
    wait_for(lambda: bridge.status.state is ConnState.RECONNECTING)
    peer.send(stay, "still here")

    wait_for(lambda: live(bridge))
    wait_for(lambda: bodies(bridge.message_model(stay)) == ["still here"])
    assert bridge.groups.unread(stay) == 1
    peer.close()
