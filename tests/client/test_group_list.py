"""Stories about the group list: own messages in the preview, exact unread counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from desktop_app.models.bridge import SessionBridge
from desktop_app.models.group_list_model import GroupListModel, GroupRoles
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.session.state import ConnState
from tests.client.peer import Peer
from tests.client.v2 import message_body
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]


def bodies(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.BODY) for r in range(model.rowCount())]


def states(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.STATE) for r in range(model.rowCount())]


def live(bridge: SessionBridge) -> bool:
    return bridge.status.state is ConnState.LIVE


def shown(groups: GroupListModel, group_id: int, role: GroupRoles) -> Any:
    row = groups.row_of(group_id)
    assert row is not None
    return groups.data(groups.index(row), role)


def test_own_message_is_the_senders_preview_at_once_and_once_stored(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    quiet = peer.create_group("Quiet", [alice[0]["username"]])
    busy = peer.create_group("Busy", [alice[0]["username"]])
    peer.send(busy, "bob was here")
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    groups = bridge.groups
    model = bridge.message_model(quiet)
    wait_for(lambda: groups.row_of(busy) == 0)
    # The REST answer confirms the echo before the socket's copy: the path that left the
    # preview stale (the echo is replaced in place, nothing "new" was added).
    bridge.session.realtime.hold()

    bridge.send(quiet, "my own last word")

    assert shown(groups, quiet, GroupRoles.PREVIEW) == "You: my own last word"
    assert groups.row_of(quiet) == 0, "what was just typed moves its group to the top"
    wait_for(lambda: states(model) == ["sent"])
    stored = peer.all_messages(quiet)[-1]
    assert shown(groups, quiet, GroupRoles.PREVIEW) == "You: my own last word"
    assert shown(groups, quiet, GroupRoles.LAST_TIME) == datetime.fromisoformat(
        stored["created_at"].replace("Z", "+00:00")
    ), "the list shows the server's time once the message is stored"
    assert groups.row_of(quiet) == 0
    bridge.session.realtime.release()
    assert bodies(model) == ["my own last word"]
    assert shown(groups, quiet, GroupRoles.PREVIEW) == "You: my own last word"
    assert groups.unread(quiet) == 0, "own messages are never unread"

    # Bob answers in the other group: it goes back to the top with his words.
    peer.send(busy, "bob again")
    wait_for(lambda: groups.row_of(busy) == 0)
    assert shown(groups, busy, GroupRoles.PREVIEW) == f"{bob[0]['display_name']}: bob again"
    peer.close()


def test_discarding_a_failed_message_gives_the_preview_back(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Strict", [alice[0]["username"]])
    peer.send(group, "the last real word")
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    groups = bridge.groups
    model = bridge.message_model(group)
    wait_for(lambda: bodies(model) == ["the last real word"])
    before = shown(groups, group, GroupRoles.PREVIEW)

    cid = bridge.send(group, "x" * 5000)  # over the server's body limit: refused for good
    assert shown(groups, group, GroupRoles.PREVIEW).startswith("You: xxx")
    wait_for(lambda: states(model)[-1] == "failed")
    bridge.discard(cid)

    assert shown(groups, group, GroupRoles.PREVIEW) == before
    peer.close()


def test_a_repaired_gap_counts_each_unread_message_once(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    background = peer.create_group("Background", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(background)

    def drop_two(event: str, data: Any) -> bool:
        return not (message_body(event, data) == "two")

    bridge.session.realtime.inbound_filter = drop_two
    for body in ("one", "two", "three"):
        peer.send(background, body)

    wait_for(lambda: bodies(model) == ["one", "two", "three"])
    assert bridge.journal.texts("gap_repaired"), "#2 came by catch-up, #3 live and again"
    assert bridge.groups.unread(background) == 3
    assert bridge.groups.total_unread() == 3
    peer.close()
