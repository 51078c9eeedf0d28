"""Delivery and unread bugs found in review, each shown against the real server.

Where a timing cannot be produced by the server alone, the client's own RestClient gets an
httpx transport that forwards every request to the real server and only delays or breaks
the one answer the story is about (`TamperingTransport`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from desktop_app.models.bridge import SessionBridge
from desktop_app.net.rest import RestClient
from desktop_app.session.state import ConnState
from tests.client.peer import Peer
from tests.client.reading import read_on_screen
from tests.support.server import PASSWORD, ServerProcess

Auth = tuple[dict[str, Any], str]
Rule = Callable[[httpx.Request], bool]


class TamperingTransport(httpx.AsyncHTTPTransport):
    """Forwards to the real server. `fail(rule, n)`: the next n matching requests fail as a
    dropped connection would. `hold(rule)`: the next matching request goes to the server at
    once, but its answer is kept until `release()`. `garble(rule, n)`: the next n matching
    answers come with a body that does not decode (a broken gzip stream from a proxy)."""

    def __init__(self) -> None:
        super().__init__()
        self._fail: list[tuple[Rule, int]] = []
        self._garble: list[tuple[Rule, int]] = []
        self._hold: Rule | None = None
        self._released = asyncio.Event()
        self.held = 0
        self.failed = 0
        self.garbled = 0

    def fail(self, rule: Rule, n: int = 1) -> None:
        self._fail.append((rule, n))

    def garble(self, rule: Rule, n: int = 1) -> None:
        self._garble.append((rule, n))

    def hold(self, rule: Rule) -> None:
        self._released.clear()
        self._hold = rule

    def release(self) -> None:
        self._released.set()

    @staticmethod
    def _take(rules: list[tuple[Rule, int]], request: httpx.Request) -> bool:
        for i, (rule, n) in enumerate(rules):
            if n > 0 and rule(request):
                rules[i] = (rule, n - 1)
                return True
        return False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._take(self._fail, request):
            self.failed += 1
            raise httpx.ConnectError("connection dropped (test)", request=request)
        response = await super().handle_async_request(request)
        if self._take(self._garble, request):
            await response.aread()
            await response.aclose()
            self.garbled += 1
            headers = {"content-type": "application/json", "content-encoding": "gzip"}
            return httpx.Response(
                response.status_code,
                headers=headers,
                stream=httpx.ByteStream(b"not gzip at all"),
                request=request,
            )
        if self._hold is not None and self._hold(request):
            self._hold = None
            self.held += 1
            await response.aread()
            await self._released.wait()
        return response


def post_to(suffix: str) -> Rule:
    return lambda r: r.method == "POST" and r.url.path.endswith(suffix)


def get_groups(r: httpx.Request) -> bool:
    return r.method == "GET" and r.url.path == "/api/groups"


def live(bridge: SessionBridge) -> bool:
    return bridge.status.state is ConnState.LIVE


def tampering_rest(url: str, auth: Auth) -> tuple[RestClient, TamperingTransport]:
    transport = TamperingTransport()
    return RestClient(url, auth[1], transport=transport), transport


def test_a_read_marker_that_could_not_be_sent_is_sent_later_and_unread_stays_zero(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group_a = peer.create_group("Read here", [alice[0]["username"]])
    group_b = peer.create_group("Elsewhere", [alice[0]["username"]])
    rest, transport = tampering_rest(server.url, alice)
    bridge = make_bridge(server.url, alice, rest=rest)
    wait_for(lambda: live(bridge))
    peer.send(group_a, "one")
    peer.send(group_a, "two")
    wait_for(lambda: bridge.groups.unread(group_a) == 2)

    transport.fail(post_to("/read"))  # the network blinks as the user opens the group
    read_on_screen(bridge, group_a)
    assert bridge.groups.unread(group_a) == 0
    wait_for(lambda: transport.failed == 1)
    bridge.set_active_group(group_b)

    # Any later refresh of the list (a reconnect here) must not bring the unread count back.
    before = bridge.journal.counters().get("catchup_done", 0)
    asyncio.get_event_loop().create_task(bridge.session.realtime.disconnect_now())
    wait_for(lambda: bridge.journal.counters().get("catchup_done", 0) > before and live(bridge))
    assert bridge.groups.unread(group_a) == 0, "the group the user read shows unread again"
    own = httpx.get(
        f"{server.url}/api/groups/{group_a}", headers={"Authorization": f"Bearer {alice[1]}"}
    ).json()
    assert own["last_read_seq"] == 2, "the server never learned of the read"
    peer.close()


def test_a_failed_read_marker_is_sent_by_the_next_ping_while_the_socket_stays_up(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Read while blinking", [alice[0]["username"]])
    rest, transport = tampering_rest(server.url, alice)
    bridge = make_bridge(server.url, alice, rest=rest)  # pings every second in tests
    wait_for(lambda: live(bridge))
    peer.send(group, "one")
    wait_for(lambda: bridge.groups.unread(group) == 1)
    transport.fail(post_to("/read"))
    read_on_screen(bridge, group)
    wait_for(lambda: transport.failed == 1)
    headers = {"Authorization": f"Bearer {alice[1]}"}

    def server_marker() -> int:
        detail = httpx.get(f"{server.url}/api/groups/{group}", headers=headers).json()
        return int(detail["last_read_seq"])

    wait_for(lambda: server_marker() == 1)  # no reconnect needed
    assert live(bridge)
    peer.close()


def test_a_group_joined_while_the_group_list_is_loading_stays_in_the_list(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    peer.create_group("Old", [alice[0]["username"]])
    rest, transport = tampering_rest(server.url, alice)
    bridge = make_bridge(server.url, alice, rest=rest)
    wait_for(lambda: live(bridge))
    undeliverable: list[Any] = []
    bridge.undeliverable.connect(undeliverable.append)

    # A reconnect fetches the list; its answer is slow to arrive (the server made it already).
    transport.hold(get_groups)
    asyncio.get_event_loop().create_task(bridge.session.realtime.disconnect_now())
    wait_for(lambda: transport.held == 1)
    new = peer.create_group("New", [alice[0]["username"]])  # group:joined arrives now
    wait_for(lambda: bridge.groups.row_of(new) is not None)
    bridge.send(new, "typed at once")
    transport.release()
    wait_for(lambda: live(bridge))

    assert bridge.groups.row_of(new) is not None, "the new group vanished from the list"
    assert undeliverable == []
    wait_for(lambda: [m["body"] for m in peer.all_messages(new)] == ["typed at once"])
    peer.close()


def test_an_answer_that_does_not_decode_does_not_stop_sending(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Proxy", [alice[0]["username"]])
    rest, transport = tampering_rest(server.url, alice)
    bridge = make_bridge(server.url, alice, rest=rest)
    wait_for(lambda: live(bridge))

    transport.garble(post_to("/messages"))  # stored, but the answer is a broken gzip stream
    bridge.send(group, "first")
    wait_for(lambda: transport.garbled == 1)
    bridge.send(group, "second")

    wait_for(lambda: [m["body"] for m in peer.all_messages(group)] == ["first", "second"])
    wait_for(lambda: bridge.outbox_length == 0)
    model = bridge.message_model(group)
    assert [model.row_at(i).body for i in range(model.rowCount())] == ["first", "second"]
    peer.close()


def test_unsent_message_to_a_group_left_while_signed_out_is_handed_back(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Left on the phone", [alice[0]["username"]])
    rest, transport = tampering_rest(server.url, alice)
    transport.fail(post_to("/messages"), 1000)  # sends do not get through this evening
    first = make_bridge(server.url, alice, profile="alice", rest=rest)
    wait_for(lambda: live(first))
    first.send(group, "never delivered")
    wait_for(lambda: transport.failed >= 1)
    arun(first.sign_out())  # the cache goes; the outbox keeps the message
    # Alice leaves the group on her phone, then signs in on this computer again.
    token = httpx.post(
        f"{server.url}/api/auth/login",
        json={"username": alice[0]["username"], "password": PASSWORD},
    ).json()["token"]
    phone = {"Authorization": f"Bearer {token}"}
    httpx.delete(f"{server.url}/api/groups/{group}/members/me", headers=phone).raise_for_status()

    second = make_bridge(server.url, (alice[0], token), profile="alice")
    handed_back: list[Any] = []
    second.undeliverable.connect(handed_back.append)
    wait_for(lambda: live(second))

    wait_for(lambda: second.outbox_length == 0)
    # Heard live, or kept for the first window when it came before anyone listened.
    notices = handed_back or second.take_undelivered()
    assert [n.bodies for n in notices] == [["never delivered"]], "the text is given back"
    peer.close()


def test_reading_a_group_after_being_added_back_reaches_the_server(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    """Re-added members start from the server's marker 0: a read of the same messages as
    before must be sent again, or the group shows unread after the next refresh."""
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Back again", [alice[0]["username"]])
    for body in ("one", "two", "three"):
        peer.send(group, body)
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge) and bridge.groups.unread(group) == 3)
    read_on_screen(bridge, group)
    headers = {"Authorization": f"Bearer {alice[1]}"}

    def server_marker() -> int:
        detail = httpx.get(f"{server.url}/api/groups/{group}", headers=headers).json()
        return int(detail.get("last_read_seq", -1))

    wait_for(lambda: server_marker() == 3)
    bridge.set_active_group(None)
    arun(bridge.session.leave_group(group))
    peer.add_member(group, alice[0]["username"])
    wait_for(lambda: bridge.groups.row_of(group) is not None)
    wait_for(lambda: bridge.groups.unread(group) == 3)  # a new membership starts unread
    read_on_screen(bridge, group)
    wait_for(lambda: server_marker() == 3)
    peer.close()
