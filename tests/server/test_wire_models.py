"""Every payload the server sends parses with the shared wire models the client uses."""

from __future__ import annotations

import uuid

import httpx

from chat_protocol.models import (
    AuthResponse,
    Error,
    Group,
    GroupDetail,
    GroupLeft,
    GroupsResponse,
    Health,
    MemberResponse,
    Message,
    MessagesPage,
    PingAck,
    ReadNotice,
    Ready,
    SendAck,
    TypingNotice,
    User,
    UsersResponse,
)
from tests.support.api import Api
from tests.support.server import PASSWORD, ServerProcess, unique_name
from tests.support.sockets import connect


async def test_rest_and_socket_payloads_match_the_models(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        auth = await http.post(
            "/api/auth/register", json={"username": unique_name(), "password": PASSWORD}
        )
        AuthResponse.model_validate(auth.json())
        Health.model_validate((await http.get("/healthz")).json())
        Error.model_validate((await http.get("/api/me")).json())
    alice = Api(server.url, auth.json()["token"], auth.json()["user"])
    bob = await Api.new_user(server.url)
    carol = await Api.new_user(server.url)
    User.model_validate((await alice.request("GET", "/api/me")).json())
    UsersResponse.model_validate(
        (await alice.request("GET", "/api/users", params={"q": ""})).json()
    )
    bob_socket = await connect(server.url, bob.token or "")
    carol_socket = await connect(server.url, carol.token or "")
    Ready.model_validate(bob_socket.events["ready"][0])

    group = Group.model_validate(await alice.create_group("Models", [bob.username]))
    Group.model_validate(await bob_socket.wait_for("group:joined"))
    added = await alice.request(
        "POST", f"/api/groups/{group.id}/members", json={"username": carol.username}
    )
    MemberResponse.model_validate(added.json())
    Group.model_validate(await carol_socket.wait_for("group:joined"))

    sent = Message.model_validate((await alice.send(group.id, "hi")).json())
    assert Message.model_validate(await bob_socket.wait_for("message:new")) == sent
    ack = SendAck.model_validate(
        await bob_socket.call(
            "message:send", {"group_id": group.id, "client_msg_id": str(uuid.uuid4()), "body": "yo"}
        )
    )
    assert ack.ok and ack.message is not None
    await bob_socket.call("typing", {"group_id": group.id})
    TypingNotice.model_validate(await carol_socket.wait_for("typing"))
    PingAck.model_validate(await bob_socket.call("ping", {}))

    await bob.request("POST", f"/api/groups/{group.id}/read", json={"seq": 1})
    ReadNotice.model_validate(await bob_socket.wait_for("read"))
    GroupsResponse.model_validate((await bob.request("GET", "/api/groups")).json())
    GroupDetail.model_validate((await bob.request("GET", f"/api/groups/{group.id}")).json())
    MessagesPage.model_validate(await bob.messages(group.id, after_seq=0))
    await carol.request("DELETE", f"/api/groups/{group.id}/members/me")
    GroupLeft.model_validate(await carol_socket.wait_for("group:left"))
    for client in (bob_socket, carol_socket):
        await client.close()
