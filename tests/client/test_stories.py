"""User stories of the client core against the real server (issue 3)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from desktop_app.models.bridge import SessionBridge
from desktop_app.models.group_list_model import GroupRoles
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.net.rest import RestClient
from desktop_app.session.state import ConnState
from tests.client.gateway import FlakyGateway
from tests.client.peer import Peer
from tests.client.reading import read_on_screen
from tests.client.seed import seed_history
from tests.client.v2 import message_body
from tests.support.server import PASSWORD, ServerProcess

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
    notified: list[tuple[int, str]] = []
    bridge.message_received.connect(lambda gid, message: notified.append((gid, message.body)))

    peer.send(group_b, "hello from Beta")

    wait_for(lambda: model_b.rowCount() == 1)
    groups = bridge.groups
    row_b = groups.row_of(group_b)
    assert row_b == 0, "the group with the newest message is listed first"
    assert groups.data(groups.index(row_b), GroupRoles.UNREAD) == 1
    assert "hello from Beta" in groups.data(groups.index(row_b), GroupRoles.PREVIEW)
    assert groups.total_unread() == 1
    assert notified == [(group_b, "hello from Beta")], "the UI can notify about it"
    fetched_before = message_fetches(bridge, group_b)

    read_on_screen(bridge, group_b)

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
    counters = bridge.journal.counters()
    duplicates = counters.get("duplicate_suppressed", 0)
    matched = counters.get("own_echo_matched", 0)
    realtime.release()

    # The late echo is recognised as ours, not counted as a duplicate someone should worry about.
    wait_for(lambda: bridge.journal.counters().get("own_echo_matched", 0) == matched + 1)
    assert bridge.journal.counters().get("duplicate_suppressed", 0) == duplicates
    assert bodies(model) == ["mine, once"]
    assert model.row_for_client_msg_id(cid) == 0
    assert model.data(model.index(0), MessageRoles.IS_OWN) is True
    assert bridge.outbox_length == 0
    assert [m["body"] for m in peer.all_messages(group)] == ["mine, once"]
    peer.close()


def test_own_message_once_when_socket_echo_comes_first(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    qloop: Any,
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Socket first", [alice[0]["username"]])
    gate = asyncio.Event()

    async def hold_send_answer(response: httpx.Response) -> None:
        # The server has stored the message; its REST answer waits until the test opens the gate.
        if response.request.method == "POST" and response.request.url.path.endswith("/messages"):
            await gate.wait()

    rest = RestClient(server.url, alice[1], event_hooks={"response": [hold_send_answer]})
    bridge = make_bridge(server.url, alice, rest=rest)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)

    cid = bridge.send(group, "echo first")
    wait_for(lambda: states(model) == ["sent"])  # only the socket can have confirmed it
    assert bridge.session.sender.in_flight == cid, "the REST answer is still outstanding"
    assert any("came back on the socket" in t for t in bridge.journal.texts("own_echo_matched"))
    gate.set()
    wait_for(lambda: bool(bridge.journal.texts("server_confirmed")))

    assert bodies(model) == ["echo first"]
    assert model.row_for_client_msg_id(cid) == 0
    confirmed = bridge.journal.texts("server_confirmed")
    assert any("already been matched on the socket" in t for t in confirmed)
    assert [m["body"] for m in peer.all_messages(group)] == ["echo first"]
    peer.close()


def test_gap_in_live_stream_is_repaired(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Gappy", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    dropped: list[int] = []

    def drop_two(event: str, data: Any) -> bool:
        if message_body(event, data) == "two":
            dropped.append(data["seq"])
            return False
        return True

    bridge.session.realtime.inbound_filter = drop_two
    for body in ("one", "two", "three"):
        peer.send(group, body)

    wait_for(lambda: bodies(model) == ["one", "two", "three"])
    assert dropped == [2], "the announcement of #2 really was lost"
    seqs = [model.data(model.index(r), MessageRoles.SEQ) for r in range(3)]
    assert seqs == [1, 2, 3]
    assert any("skips #2" in t for t in bridge.journal.texts("gap_detected"))
    assert bridge.journal.texts("gap_repaired")
    peer.close()


def test_messages_arriving_out_of_order_fill_the_gap_without_a_fetch(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    """With several server nodes #2 can arrive just after #3: the client waits a moment
    for it instead of asking REST, and the group is complete and in order either way."""
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Racy", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    peer.send(group, "one")
    wait_for(lambda: bodies(model) == ["one"])
    held: list[Any] = []
    connection = bridge.session.connection

    def two_after_three(event: str, data: Any) -> bool:
        if message_body(event, data) == "two":
            held.append(data)
            return False
        if message_body(event, data) == "three":
            asyncio.get_running_loop().call_later(0.05, connection.on_event, event, held[0])
        return True

    bridge.session.realtime.inbound_filter = two_after_three
    fetches_before = sum(1 for m, p, q in bridge.session.rest.history if "after_seq" in q)
    peer.send(group, "two")
    peer.send(group, "three")

    wait_for(lambda: bodies(model) == ["one", "two", "three"])
    wait_for(lambda: bool(bridge.journal.texts("gap_filled_live")))
    fetches_after = sum(1 for m, p, q in bridge.session.rest.history if "after_seq" in q)
    assert fetches_after == fetches_before, "no REST fetch for a message that came live"
    assert [model.data(model.index(r), MessageRoles.SEQ) for r in range(3)] == [1, 2, 3]
    peer.close()


def test_lost_last_message_is_fetched_by_the_ping_safety_net(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Quiet", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    bridge.session.realtime.inbound_filter = lambda event, data: message_body(event, data) is None

    peer.send(group, "nobody announced me")

    wait_for(lambda: bodies(model) == ["nobody announced me"])
    assert any("The ping shows" in t for t in bridge.journal.texts("gap_detected"))
    assert bridge.status.rtt_ms is not None
    peer.close()


def test_large_group_opens_with_one_page_and_scrolls_back_in_order(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Archive", [alice[0]["username"]])
    seed_history(server, group, bob[0]["id"], 10_000)
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    read_on_screen(bridge, group)
    model = bridge.message_model(group)
    page = bridge.session.sync.history_page

    assert model.rowCount() == page, "opening loads one page"
    assert message_fetches(bridge, group) == 1
    assert bodies(model)[-1] == "history 10000"
    assert model.has_older()
    inserted: list[int] = []
    model.older_inserted.connect(inserted.append)

    model.request_older()
    model.request_older()  # a second request while loading is ignored
    wait_for(lambda: not model.is_loading_older())
    assert inserted == [page]
    assert message_fetches(bridge, group) == 2
    model.request_older()
    wait_for(lambda: not model.is_loading_older())

    assert model.rowCount() == 3 * page
    seqs = [model.data(model.index(r), MessageRoles.SEQ) for r in range(model.rowCount())]
    assert seqs == list(range(10_000 - 3 * page + 1, 10_001))
    assert bodies(model)[0] == f"history {10_000 - 3 * page + 1}"
    assert bridge.groups.unread(group) == 0
    peer.close()


def test_rejected_message_is_marked_failed_with_the_reason_and_retry_works(
    make_server: Callable[..., ServerProcess],
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    server = make_server(args=["--body-max", "20"])
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Limits", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    long_body = "this message is longer than twenty characters"

    cid = bridge.send(group, long_body)
    wait_for(lambda: states(model) == ["failed"])
    reason = model.data(model.index(0), MessageRoles.ERROR)
    assert reason and "20" in reason, reason
    assert bridge.outbox_length == 1, "a failed message is kept for retry or discard"
    assert any("refused" in t for t in bridge.journal.texts("send_failed"))

    # The operator raises the limit (a restart); once back online the user presses retry.
    seen: list[ConnState] = []
    bridge.status_changed.connect(lambda status: seen.append(status.state))
    server.stop()
    server.args = []
    server.start()
    wait_for(lambda: ConnState.RECONNECTING in seen and live(bridge))
    bridge.retry(cid)
    wait_for(lambda: states(model) == ["sent"])

    assert bodies(model) == [long_body]
    assert bridge.outbox_length == 0
    assert [m["client_msg_id"] for m in peer.all_messages(group)] == [cid]
    peer.close()


def test_discarded_failed_message_disappears(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Blank", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)

    cid = bridge.send(group, "   ")
    wait_for(lambda: states(model) == ["failed"])
    bridge.discard(cid)

    assert model.rowCount() == 0
    assert bridge.outbox_length == 0
    assert peer.all_messages(group) == []
    peer.close()


def test_reading_in_one_session_clears_unread_in_the_other(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Two windows", [alice[0]["username"]])
    second_token = Peer(server.url, alice).login_again(server.url, PASSWORD)
    window1 = make_bridge(server.url, alice, profile="desk")
    window2 = make_bridge(server.url, (alice[0], second_token), profile="laptop")
    wait_for(lambda: live(window1) and live(window2))

    for i in range(3):
        peer.send(group, f"unread {i}")
    wait_for(lambda: window1.groups.unread(group) == 3 and window2.groups.unread(group) == 3)

    read_on_screen(window1, group)

    assert window1.groups.unread(group) == 0
    wait_for(lambda: window2.groups.unread(group) == 0)
    assert window2.groups.total_unread() == 0
    assert any("Another window read" in t for t in window2.journal.texts("read"))
    peer.close()


def test_a_bad_gateway_on_send_is_retried_and_delivered_once(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Behind a proxy", [alice[0]["username"]])
    gateway = FlakyGateway(server.url, failures=2)
    bridge = make_bridge(server.url, alice, rest=RestClient(gateway.url, alice[1]))
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)

    bridge.send(group, "through a restarting proxy")

    wait_for(lambda: states(model) == ["sent"])
    assert gateway.answered_502 == 2, "the first two tries met the 502 page"
    assert bridge.outbox_length == 0
    assert len(bridge.journal.texts("send_retry")) == 2
    assert [m["body"] for m in peer.all_messages(group)] == ["through a restarting proxy"]
    gateway.close()
    peer.close()
