"""User stories of the client core against the real server (issue 3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex

from desktop_app.models.bridge import SessionBridge
from desktop_app.models.group_list_model import GroupRoles
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.session.state import ConnState
from tests.client.peer import Peer
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]


def bodies(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.BODY) for r in range(model.rowCount())]


def states(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.STATE) for r in range(model.rowCount())]


def message_fetches(bridge: SessionBridge, group_id: int) -> int:
    path = f"/api/groups/{group_id}/messages"
    return sum(1 for method, p, _ in bridge.session.rest.history if method == "GET" and p == path)


def live(bridge: SessionBridge) -> bool:
    return bridge.status.state is ConnState.LIVE


def test_background_group_message_raises_unread_and_shows_on_switch(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group_a = peer.create_group("Alpha", [alice[0]["username"]])
    group_b = peer.create_group("Beta", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    bridge.set_active_group(group_a)
    model_b = bridge.message_model(group_b)

    peer.send(group_b, "hello from Beta")

    wait_for(lambda: model_b.rowCount() == 1)
    groups = bridge.groups
    row_b = groups.row_of(group_b)
    assert row_b == 0, "the group with the newest message is listed first"
    assert groups.data(groups.index(row_b), GroupRoles.UNREAD) == 1
    assert "hello from Beta" in groups.data(groups.index(row_b), GroupRoles.PREVIEW)
    assert groups.total_unread() == 1
    fetched_before = message_fetches(bridge, group_b)

    bridge.set_active_group(group_b)

    assert bodies(bridge.message_model(group_b)) == ["hello from Beta"]
    assert message_fetches(bridge, group_b) == fetched_before, "switching must not fetch"
    assert groups.unread(group_b) == 0
    texts = bridge.journal.texts("stored_background")
    assert any("hello" not in t and "Beta" in t for t in texts)
    peer.close()


def test_own_message_once_when_rest_answer_comes_first(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Rest first", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    realtime = bridge.session.realtime
    realtime.hold()  # socket events wait until the REST answer has been applied

    cid = bridge.send(group, "mine, once")
    assert states(model) == ["pending"], "the echo shows at once"
    wait_for(lambda: states(model) == ["sent"])
    wait_for(lambda: realtime.held_count > 0)  # the server's message:new is here, held
    duplicates = bridge.journal.counters().get("duplicate_suppressed", 0)
    realtime.release()

    assert bridge.journal.counters().get("duplicate_suppressed", 0) == duplicates + 1
    assert bodies(model) == ["mine, once"]
    assert model.row_for_client_msg_id(cid) == 0
    assert model.data(model.index(0), MessageRoles.IS_OWN) is True
    assert bridge.outbox_length == 0
    assert [m["body"] for m in peer.all_messages(group)] == ["mine, once"]
    peer.close()
