"""Every protocol v2 payload the server sends parses with the shared wire models."""

from __future__ import annotations

import uuid

import pytest

from chat_protocol.events import EventKind
from chat_protocol.models import (
    EVENT_DATA_MODELS,
    Event,
    EventsPage,
    GroupDetail,
    GroupsResponse,
    MemberReadNotice,
    Message,
    MessagesPage,
    PingAck,
    Ready,
    event_data,
)
from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import connect


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    return backend_server


async def test_v2_payloads_match_the_models(server: ServerProcess) -> None:
    assert set(EVENT_DATA_MODELS) == {k.value for k in EventKind}
    alice, bob, carol = [await Api.new_user(server.url) for _ in range(3)]
    group_id = await group_of(alice, bob)
    socket = await connect(server.url, bob.token or "", protocol=2)
    Ready.model_validate(socket.events["ready"][0])
    first = Message.model_validate((await alice.send(group_id, "first")).json())
    reply = await bob.request(
        "POST",
        f"/api/groups/{group_id}/messages",
        json={"client_msg_id": str(uuid.uuid4()), "body": "re", "reply_to_message_id": first.id},
    )
    assert Message.model_validate(reply.json()).reply_to is not None
    await alice.request(
        "POST", f"/api/groups/{group_id}/members", json={"username": carol.username}
    )
    for kind, data in (
        ("message.edited", {"message_id": first.id, "body": "first!"}),
        ("reaction.added", {"message_id": first.id, "emoji": "👍"}),
        ("reaction.removed", {"message_id": first.id, "emoji": "👍"}),
        ("group.renamed", {"name": "New"}),
        ("member.removed", {"user_id": carol.user["id"]}),
        ("message.deleted", {"message_id": first.id}),
    ):
        body = {"client_event_id": str(uuid.uuid4()), "kind": kind, "data": data}
        response = await alice.request("POST", f"/api/groups/{group_id}/events", json=body)
        assert response.status_code == 201, response.text
        Event.model_validate(response.json())
    await bob.request("DELETE", f"/api/groups/{group_id}/members/me")
    page = EventsPage.model_validate(
        (await alice.request("GET", f"/api/groups/{group_id}/events")).json()
    )
    assert {e.kind for e in page.events} == {k.value for k in EventKind}
    for event in page.events:
        event_data(event)
    for payload in socket.events["event"]:
        event_data(Event.model_validate(payload))
    await alice.request("POST", f"/api/groups/{group_id}/read", json={"seq": 1})
    MessagesPage.model_validate(await alice.messages(group_id))
    detail = GroupDetail.model_validate(
        (await alice.request("GET", f"/api/groups/{group_id}")).json()
    )
    assert detail.creator is not None and detail.head_seq == page.events[-1].seq
    GroupsResponse.model_validate((await alice.request("GET", "/api/groups")).json())
    alice_socket = await connect(server.url, alice.token or "", protocol=2)
    PingAck.model_validate(await alice_socket.call("ping", {}))
    await alice.request("POST", f"/api/groups/{group_id}/read", json={"seq": 2})
    MemberReadNotice.model_validate(await alice_socket.wait_for("read"))
    for client in (socket, alice_socket):
        await client.close()
