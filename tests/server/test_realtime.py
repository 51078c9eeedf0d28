"""The Socket.IO surface: connect, ready, send with ack, typing, ping, unknown events, bad payloads."""

from __future__ import annotations

import asyncio
import uuid

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import EventClient, connect, connect_error


async def test_connect_is_refused_without_a_valid_token(server: ServerProcess) -> None:
    for auth in (None, {}, {"token": "not-a-token"}, {"token": 42}):
        refused = await connect_error(server.url, auth)
        assert refused["code"] == "unauthorized" and refused["message"]


async def test_ready_lists_the_group_heads(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    await alice.send(group_id, "one")
    await alice.send(group_id, "two")
    client = await connect(server.url, bob.token or "")
    ready = client.events["ready"][0]
    assert ready["user"] == bob.user and ready["groups"] == [
        {"id": group_id, "last_seq": 2, "head_seq": 2}
    ]
    assert ready["server_time"].endswith("Z")
    assert len(client.events["ready"]) == 1
    await client.close()


async def test_socket_send_acks_and_reaches_every_member_socket(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    alice_socket = await connect(server.url, alice.token or "")
    bob_socket = await connect(server.url, bob.token or "")
    cmid = str(uuid.uuid4())
    ack = await alice_socket.call(
        "message:send", {"group_id": group_id, "client_msg_id": cmid, "body": "via socket"}
    )
    assert (
        ack["ok"] is True and ack["message"]["seq"] == 1 and ack["message"]["client_msg_id"] == cmid
    )
    for client in (alice_socket, bob_socket):  # the sender's own sockets too
        live = await client.wait_for("message:new", lambda m: m["client_msg_id"] == cmid)
        assert live == ack["message"]
    retry = await alice_socket.call(
        "message:send", {"group_id": group_id, "client_msg_id": cmid, "body": "via socket"}
    )
    assert retry == ack
    rest_retry = await alice.send(group_id, "via socket", cmid)
    assert rest_retry.status_code == 200 and rest_retry.json() == ack["message"]
    assert [m["seq"] for m in (await bob.messages(group_id))["messages"]] == [1]
    await alice_socket.close()
    await bob_socket.close()


async def test_typing_reaches_others_once_per_interval_and_not_the_typist(
    server: ServerProcess,
) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    alice_socket = await connect(server.url, alice.token or "")
    bob_socket = await connect(server.url, bob.token or "")
    assert (await alice_socket.call("typing", {"group_id": group_id})) == {"ok": True}
    assert (await alice_socket.call("typing", {"group_id": group_id})) == {
        "ok": True
    }  # dropped silently
    await alice.send(group_id, "marker")
    await bob_socket.wait_for("message:new")
    await alice_socket.wait_for("message:new")
    assert bob_socket.events["typing"] == [{"group_id": group_id, "user": alice.user}]
    assert alice_socket.events["typing"] == []
    await alice_socket.close()
    await bob_socket.close()


async def test_ping_returns_server_time_and_heads(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    client = await connect(server.url, alice.token or "")
    await alice.send(group_id, "x")
    ack = await client.call("ping", {})
    assert ack["ok"] is True and ack["server_time"].endswith("Z")
    assert ack["groups"] == [{"id": group_id, "last_seq": 1, "head_seq": 1}]
    assert (await client.call("ping"))["ok"] is True
    await client.close()


async def test_unknown_events_and_bad_payloads_get_error_acks(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    client = await connect(server.url, alice.token or "")
    unknown = await client.call("join", {"room": "group:1"})
    assert unknown["ok"] is False and unknown["error"]["code"] == "unknown_event"
    cmid = str(uuid.uuid4())
    bad_payloads = [
        None,
        "text",
        [1, 2],
        {},
        {"group_id": str(group_id), "client_msg_id": cmid, "body": "x"},
        {"group_id": True, "client_msg_id": cmid, "body": "x"},
        {"group_id": group_id, "client_msg_id": "nope", "body": "x"},
        {"group_id": group_id, "client_msg_id": cmid, "body": "   "},
        {"group_id": group_id, "client_msg_id": cmid, "body": "x" * 4001},
        {"group_id": group_id, "client_msg_id": cmid, "body": "x", "sender_id": 1},
        {"group_id": 2**70, "client_msg_id": cmid, "body": "x"},
    ]
    for payload in bad_payloads:
        ack = await client.call("message:send", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error", payload
    bad_typing = await client.call("typing", {"group_id": "1"})
    assert bad_typing["error"]["code"] == "validation_error"
    assert (await client.call("ping", {"extra": 1}))["ok"] is False
    # Nothing was stored and the socket still works.
    assert (await alice.messages(group_id))["messages"] == []
    assert (await client.call("ping", {}))["ok"] is True
    await client.close()


async def test_polling_transport_works_too(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    client = EventClient(transports=["polling"])
    await client.connect(server.url, {"token": alice.token})
    await client.wait_for("ready")
    ack = await client.call(
        "message:send", {"group_id": group_id, "client_msg_id": str(uuid.uuid4()), "body": "poll"}
    )
    assert ack["ok"] is True
    await client.wait_for("message:new", lambda m: m["body"] == "poll")
    # A graceful close over polling waits out the client library's long poll; drop it instead.
    await client.sio.eio.disconnect(abort=True)


async def test_oversized_socket_payload_closes_only_that_socket(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    client = await connect(server.url, alice.token or "")
    bystander = await connect(server.url, alice.token or "")
    payload = {"group_id": group_id, "client_msg_id": str(uuid.uuid4()), "body": "x" * 70_000}
    await client.sio.emit("message:send", payload)
    async with asyncio.timeout(10):
        await client.disconnected.wait()
    assert (await bystander.call("ping", {}))["ok"] is True
    assert (await alice.messages(group_id))["messages"] == []
    await bystander.close()
