"""Protocol v2 on the socket: `event` for every log change on v2 sockets, v1 sockets unchanged,
membership notices in PROTOCOL.md's order, members' reads."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import EventClient, connect, connect_error

# Long enough for an event that is not coming to have arrived if it were.
QUIET_SECONDS = 0.5


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    """Run this module on every database backend."""
    return backend_server


async def post_event(api: Api, group_id: int, kind: str, data: Any) -> httpx.Response:
    body = {"client_event_id": str(uuid.uuid4()), "kind": kind, "data": data}
    response = await api.request("POST", f"/api/groups/{group_id}/events", json=body)
    assert response.status_code in (200, 201), response.text
    return response


def names(client: EventClient, group_id: int) -> list[str]:
    """The client's events about one group, in arrival order (event kinds for `event`)."""
    found = []
    for name, data in client.timeline:
        if name in ("ready", "typing"):
            continue
        about = data.get("group_id", data.get("id")) if isinstance(data, dict) else None
        if about == group_id:
            found.append(data["kind"] if name == "event" else name)
    return found


async def test_v2_socket_gets_events_and_v1_socket_only_v1_events(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    v1 = await connect(server.url, bob.token or "")
    v2 = await connect(server.url, bob.token or "", protocol=2)
    ready = v2.events["ready"][0]
    assert ready["groups"] == [{"id": group_id, "last_seq": 0, "head_seq": 0}]
    message = (await alice.send(group_id, "hi")).json()
    event = await v2.wait_for("event", lambda e: e["seq"] == 1)
    assert event["kind"] == "message.posted" and event["data"] == message
    assert event["actor"] == alice.user and event["client_event_id"] == message["client_msg_id"]
    assert await v1.wait_for("message:new") == message
    await post_event(
        alice, group_id, "message.edited", {"message_id": message["id"], "body": "hi!"}
    )
    await post_event(bob, group_id, "reaction.added", {"message_id": message["id"], "emoji": "👍"})
    await post_event(alice, group_id, "group.renamed", {"name": "Renamed"})
    await v2.wait_for("event", lambda e: e["seq"] == 4)
    await asyncio.sleep(QUIET_SECONDS)
    assert [e["kind"] for e in v2.events["event"]] == [
        "message.posted",
        "message.edited",
        "reaction.added",
        "group.renamed",
    ]
    assert v2.events["message:new"] == []
    # the v1 socket sees exactly what v1 promised: one message:new, nothing else
    assert names(v1, group_id) == ["message:new"] and v1.events["event"] == []
    ping = await v2.call("ping", {})
    assert ping["groups"] == [{"id": group_id, "last_seq": 1, "head_seq": 4}]
    for client in (v1, v2):
        await client.close()


async def test_reads_v1_own_only_v2_every_member(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    await alice.send(group_id, "one")
    alice_v1 = await connect(server.url, alice.token or "")
    alice_v2 = await connect(server.url, alice.token or "", protocol=2)
    bob_v1 = await connect(server.url, bob.token or "")
    await bob.request("POST", f"/api/groups/{group_id}/read", json={"seq": 1})
    read = await alice_v2.wait_for("read", lambda r: r.get("user_id") == bob.user["id"])
    assert read == {"group_id": group_id, "user_id": bob.user["id"], "seq": 1}
    assert await bob_v1.wait_for("read") == {"group_id": group_id, "seq": 1}
    await alice.request("POST", f"/api/groups/{group_id}/read", json={"seq": 1})
    assert await alice_v1.wait_for("read") == {"group_id": group_id, "seq": 1}
    own = await alice_v2.wait_for("read", lambda r: r.get("user_id") == alice.user["id"])
    assert own == {"group_id": group_id, "user_id": alice.user["id"], "seq": 1}
    await asyncio.sleep(QUIET_SECONDS)
    # v1 sockets never see another member's read, nor the v2 shape
    assert alice_v1.events["read"] == [{"group_id": group_id, "seq": 1}]
    assert bob_v1.events["read"] == [{"group_id": group_id, "seq": 1}]
    for client in (alice_v1, alice_v2, bob_v1):
        await client.close()


async def test_added_member_gets_group_joined_before_the_event(server: ServerProcess) -> None:
    alice, bob, carol = [await Api.new_user(server.url) for _ in range(3)]
    group_id = await group_of(alice, bob)
    bob_v2 = await connect(server.url, bob.token or "", protocol=2)
    carol_v2 = await connect(server.url, carol.token or "", protocol=2)
    carol_v1 = await connect(server.url, carol.token or "")
    response = await alice.request(
        "POST", f"/api/groups/{group_id}/members", json={"username": carol.username}
    )
    assert response.status_code == 201
    added = await carol_v2.wait_for("event", lambda e: e["kind"] == "member.added")
    assert added["data"] == {"user": carol.user} and added["actor"] == alice.user
    assert names(carol_v2, group_id) == ["group:joined", "member.added"]
    joined = carol_v2.events["group:joined"][0]
    assert joined["head_seq"] == 1 and joined["creator"] == alice.user
    await bob_v2.wait_for("event", lambda e: e["kind"] == "member.added")
    await carol_v1.wait_for("group:joined")
    # then carol's sockets get the group's traffic
    await alice.send(group_id, "welcome")
    await carol_v2.wait_for("event", lambda e: e["kind"] == "message.posted")
    await carol_v1.wait_for("message:new")
    assert names(carol_v1, group_id) == ["group:joined", "message:new"]
    for client in (bob_v2, carol_v2, carol_v1):
        await client.close()


async def test_removed_member_gets_the_event_then_group_left_then_nothing(
    server: ServerProcess,
) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    bob_v2 = await connect(server.url, bob.token or "", protocol=2)
    bob_v1 = await connect(server.url, bob.token or "")
    alice_v2 = await connect(server.url, alice.token or "", protocol=2)
    await post_event(alice, group_id, "member.removed", {"user_id": bob.user["id"]})
    await bob_v2.wait_for("group:left")
    assert names(bob_v2, group_id) == ["member.removed", "group:left"]
    await bob_v1.wait_for("group:left")
    await alice_v2.wait_for("event", lambda e: e["kind"] == "member.removed")
    await alice.send(group_id, "after bob")
    await alice_v2.wait_for("event", lambda e: e["kind"] == "message.posted")
    await asyncio.sleep(QUIET_SECONDS)
    assert names(bob_v2, group_id) == ["member.removed", "group:left"]
    assert names(bob_v1, group_id) == ["group:left"]
    for client in (bob_v2, bob_v1, alice_v2):
        await client.close()


async def test_leaving_member_gets_member_left_then_group_left(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    bob_v2 = await connect(server.url, bob.token or "", protocol=2)
    alice_v2 = await connect(server.url, alice.token or "", protocol=2)
    assert (await bob.request("DELETE", f"/api/groups/{group_id}/members/me")).status_code == 204
    await bob_v2.wait_for("group:left")
    assert names(bob_v2, group_id) == ["member.left", "group:left"]
    left = await alice_v2.wait_for("event", lambda e: e["kind"] == "member.left")
    assert left["data"] == {"user": bob.user} and left["actor"] == bob.user
    for client in (bob_v2, alice_v2):
        await client.close()


async def test_group_creation_and_typing_reach_v2_sockets(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    alice_v2 = await connect(server.url, alice.token or "", protocol=2)
    bob_v2 = await connect(server.url, bob.token or "", protocol=2)
    bob_v1 = await connect(server.url, bob.token or "")
    group_id = await group_of(alice, bob)
    for client in (alice_v2, bob_v2, bob_v1):
        await client.wait_for("group:joined", lambda g: g["id"] == group_id)
    assert (await alice_v2.call("typing", {"group_id": group_id}))["ok"] is True
    for client in (bob_v2, bob_v1):
        notice = await client.wait_for("typing")
        assert notice == {"group_id": group_id, "user": alice.user}
    ack = await bob_v2.call(
        "message:send",
        {"group_id": group_id, "client_msg_id": str(uuid.uuid4()), "body": "over the socket"},
    )
    assert ack["ok"] is True and ack["message"]["reactions"] == []
    await alice_v2.wait_for("event", lambda e: e["data"].get("id") == ack["message"]["id"])
    for client in (alice_v2, bob_v2, bob_v1):
        await client.close()


async def test_unknown_protocol_is_refused(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    for protocol in (3, "2", 2.0, None, True):
        refused = await connect_error(server.url, {"token": alice.token, "protocol": protocol})
        assert refused["code"] == "validation_error", protocol
