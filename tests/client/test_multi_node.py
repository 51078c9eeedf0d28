"""The client against two server nodes sharing PostgreSQL and Redis (skipped without them).

Each test makes its own database (chat_test_<random>, dropped after) and Redis channel."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from desktop_app.models.bridge import SessionBridge
from desktop_app.session.state import ConnState
from tests.client.converge import client_state, server_state
from tests.client.peer import Peer
from tests.support.cluster import postgres_database
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]
DATABASE_URL = os.environ.get("CHAT_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("CHAT_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not (DATABASE_URL and REDIS_URL),
        reason="set CHAT_TEST_DATABASE_URL and CHAT_TEST_REDIS_URL to run two-node tests",
    ),
]


@pytest.fixture
def two_nodes(make_server: Callable[..., ServerProcess]) -> Iterator[list[ServerProcess]]:
    assert REDIS_URL
    with postgres_database() as database:
        shared = ["--database", database, "--redis", REDIS_URL]
        shared += ["--redis-channel", f"chat-test-{uuid.uuid4().hex[:12]}"]
        nodes = [make_server(args=shared), make_server(args=shared)]
        yield nodes
        for node in nodes:
            node.stop()


def live(bridge: SessionBridge) -> bool:
    return bridge.status.state is ConnState.LIVE


def test_own_typing_from_another_node_is_not_shown(
    two_nodes: list[ServerProcess],
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    node_a, node_b = two_nodes
    alice, bob = register(node_a.url), register(node_a.url)
    group = Peer(node_a.url, bob).create_group("Two nodes", [alice[0]["username"]])
    # Alice types in a window on node A; her other window is on node B, Bob's on A.
    typist = make_bridge(node_a.url, alice, profile="alice-a")
    other_window = make_bridge(node_b.url, alice, profile="alice-b")
    watcher = make_bridge(node_a.url, bob, profile="bob")
    wait_for(lambda: live(typist) and live(other_window) and live(watcher))
    own_seen: list[str] = []
    other_window.typing.connect(lambda gid, name: own_seen.append(name))
    bob_seen: list[str] = []
    watcher.typing.connect(lambda gid, name: bob_seen.append(name))
    delivered: list[Any] = []

    def note_typing(event: str, data: Any) -> bool:
        if event == "typing":
            delivered.append(data)
        return True  # every event still goes on to the session

    other_window.session.realtime.inbound_filter = note_typing

    typist.notify_typing(group)

    wait_for(lambda: bob_seen == [alice[0]["display_name"]])
    # Node A skips the typist's own sockets, but only its own: node B delivers the notice.
    wait_for(lambda: len(delivered) == 1)
    assert delivered[0]["user"]["id"] == alice[0]["id"]
    assert own_seen == [], "Alice is never told that she herself is typing"


def test_v2_events_through_node_a_reach_a_client_on_node_b_and_a_removal_stops_it(
    two_nodes: list[ServerProcess],
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    node_a, node_b = two_nodes
    carol, bob = register(node_a.url), register(node_a.url)
    creator = Peer(node_a.url, carol)
    group = creator.create_group("Across nodes", [bob[0]["username"]])
    first = creator.send(group, "first")
    bridge = make_bridge(node_b.url, bob, profile="bob-b")
    wait_for(lambda: live(bridge))
    removed: list[int] = []
    bridge.group_removed.connect(removed.append)

    creator.post_event(group, "message.edited", message_id=first["id"], body="edited on A")
    creator.post_event(group, "reaction.added", message_id=first["id"], emoji="👍")
    creator.post_event(group, "group.renamed", name="Renamed on A")
    wait_for(lambda: client_state(bridge.session, group) == server_state(creator, group))

    creator.post_event(group, "member.removed", user_id=bob[0]["id"])
    wait_for(lambda: removed == [group])
    creator.send(group, "after the removal")
    assert group not in bridge.session.sync.registry
    assert all(r.body != "after the removal" for r in bridge.session.timeline(group).confirmed)
