"""Mentions and mute (issue 12) against the real server: `mentions` of members only, on
posting and on edit, everywhere a message travels; the mute setting, its route and the
`group:muted` notice to every socket of the user."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import connect

# Long enough for an event that is not coming to have arrived if it were.
QUIET_SECONDS = 0.5


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    """Run this module on every database backend."""
    return backend_server


async def edit(api: Api, group_id: int, message_id: int, body: str) -> dict[str, Any]:
    payload = {
        "client_event_id": str(uuid.uuid4()),
        "kind": "message.edited",
        "data": {"message_id": message_id, "body": body},
    }
    response = await api.request("POST", f"/api/groups/{group_id}/events", json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def mute(api: Api, group_id: int, muted: Any) -> httpx.Response:
    return await api.request("PUT", f"/api/groups/{group_id}/muted", json={"muted": muted})


async def test_mentions_name_members_only(server: ServerProcess) -> None:
    alice, bob, carol, outsider = [await Api.new_user(server.url) for _ in range(4)]
    group_id = await group_of(alice, bob, carol)
    body = (
        f"@{bob.username} and @{carol.username.upper()}, not @{outsider.username} "
        f"nor @nobody_here; again @{bob.username}."
    )
    message = (await alice.send(group_id, body)).json()
    assert message["mentions"] == [bob.user["id"], carol.user["id"]]
    page = await bob.messages(group_id)
    assert page["messages"][-1]["mentions"] == [bob.user["id"], carol.user["id"]]


async def test_at_inside_a_word_mentions_nobody(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    for body in (
        f"write to {bob.username}@example.com",
        f"x_@{bob.username}",
        f"@{bob.username}x",
        f"@{bob.username}é",
        "plain text without any at sign",
    ):
        message = (await alice.send(group_id, body)).json()
        assert message["mentions"] == [], body
    ok = (await alice.send(group_id, f"({bob.username} @{bob.username})")).json()
    assert ok["mentions"] == [bob.user["id"]]


async def test_mentions_reach_every_view_of_the_message(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    v1 = await connect(server.url, bob.token or "")
    v2 = await connect(server.url, bob.token or "", protocol=2)
    try:
        message = (await alice.send(group_id, f"hi @{bob.username}")).json()
        assert message["mentions"] == [bob.user["id"]]
        assert (await v1.wait_for("message:new"))["mentions"] == [bob.user["id"]]
        event = await v2.wait_for("event", lambda e: e["kind"] == "message.posted")
        assert event["data"]["mentions"] == [bob.user["id"]]
        listed = (await bob.request("GET", "/api/groups")).json()["groups"]
        last = next(g for g in listed if g["id"] == group_id)["last_message"]
        assert last["mentions"] == [bob.user["id"]]
        detail = (await bob.request("GET", f"/api/groups/{group_id}")).json()
        assert detail["last_message"]["mentions"] == [bob.user["id"]]
        log = (await bob.request("GET", f"/api/groups/{group_id}/events")).json()["events"]
        assert log[-1]["data"]["mentions"] == [bob.user["id"]]
    finally:
        await v1.close()
        await v2.close()


async def test_a_reply_with_a_mention(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    original = (await bob.send(group_id, "question")).json()
    payload = {
        "client_msg_id": str(uuid.uuid4()),
        "body": f"@{bob.username} answer",
        "reply_to_message_id": original["id"],
    }
    response = await alice.request("POST", f"/api/groups/{group_id}/messages", json=payload)
    assert response.status_code == 201, response.text
    assert response.json()["mentions"] == [bob.user["id"]]
    assert response.json()["reply_to"]["message_id"] == original["id"]


async def test_a_resend_answers_the_original_with_its_mentions(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    client_msg_id = str(uuid.uuid4())
    first = await alice.send(group_id, f"@{bob.username}", client_msg_id)
    again = await alice.send(group_id, f"@{bob.username}", client_msg_id)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert len((await alice.messages(group_id))["messages"]) == 1


async def test_edit_adds_and_removes_mentions(server: ServerProcess) -> None:
    alice, bob, carol = [await Api.new_user(server.url) for _ in range(3)]
    group_id = await group_of(alice, bob, carol)
    v2 = await connect(server.url, carol.token or "", protocol=2)
    try:
        message = (await alice.send(group_id, "no one yet")).json()
        assert message["mentions"] == []
        event = await edit(alice, group_id, message["id"], f"now @{carol.username}")
        assert event["data"]["mentions"] == [carol.user["id"]]
        pushed = await v2.wait_for("event", lambda e: e["kind"] == "message.edited")
        assert pushed["data"]["mentions"] == [carol.user["id"]]
        event = await edit(alice, group_id, message["id"], f"@{bob.username} instead")
        assert event["data"]["mentions"] == [bob.user["id"]]
        stored = (await alice.messages(group_id))["messages"][-1]
        assert stored["mentions"] == [bob.user["id"]]
        await edit(alice, group_id, message["id"], "nobody")
        assert (await alice.messages(group_id))["messages"][-1]["mentions"] == []
    finally:
        await v2.close()


async def test_a_departed_member_is_no_longer_mentioned(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    before = (await alice.send(group_id, f"@{bob.username}")).json()
    left = await bob.request("DELETE", f"/api/groups/{group_id}/members/me")
    assert left.status_code == 204
    after = (await alice.send(group_id, f"@{bob.username}")).json()
    assert before["mentions"] == [bob.user["id"]] and after["mentions"] == []
    deleted = await alice.request(
        "POST",
        f"/api/groups/{group_id}/events",
        json={
            "client_event_id": str(uuid.uuid4()),
            "kind": "message.deleted",
            "data": {"message_id": before["id"]},
        },
    )
    assert deleted.status_code == 201, deleted.text
    page = (await alice.messages(group_id))["messages"]
    assert page[0]["deleted"] and page[0]["mentions"] == []


async def test_mute_round_trip_reaches_every_socket_of_the_user(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    groups = (await bob.request("GET", "/api/groups")).json()["groups"]
    assert next(g for g in groups if g["id"] == group_id)["muted"] is False
    first = await connect(server.url, bob.token or "", protocol=2)
    second = await connect(server.url, bob.token or "")  # a v1 socket of the same user
    others = await connect(server.url, alice.token or "", protocol=2)
    try:
        response = await mute(bob, group_id, True)
        assert response.status_code == 200, response.text
        assert response.json() == {"group_id": group_id, "muted": True}
        expected = {"group_id": group_id, "muted": True}
        assert await first.wait_for("group:muted") == expected
        assert await second.wait_for("group:muted") == expected
        detail = (await bob.request("GET", f"/api/groups/{group_id}")).json()
        assert detail["muted"] is True
        groups = (await bob.request("GET", "/api/groups")).json()["groups"]
        assert next(g for g in groups if g["id"] == group_id)["muted"] is True
        # Alice's view of the same group is her own setting.
        assert (await alice.request("GET", f"/api/groups/{group_id}")).json()["muted"] is False
        response = await mute(bob, group_id, False)
        assert response.json() == {"group_id": group_id, "muted": False}
        await first.wait_for("group:muted", lambda d: d["muted"] is False)
        assert (await bob.request("GET", f"/api/groups/{group_id}")).json()["muted"] is False
        await asyncio.sleep(QUIET_SECONDS)
        assert others.events["group:muted"] == []
    finally:
        for client in (first, second, others):
            await client.close()


async def test_mute_of_a_group_not_mine_is_404(server: ServerProcess) -> None:
    alice, outsider = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice)
    response = await mute(outsider, group_id, True)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    missing = await mute(outsider, 987_654_321, True)
    assert missing.status_code == 404
    assert (await alice.request("GET", f"/api/groups/{group_id}")).json()["muted"] is False


@pytest.mark.parametrize(
    "body",
    [{"muted": "yes"}, {"muted": 1}, {}, {"muted": True, "extra": 1}, [True], None],
)
async def test_mute_with_a_bad_body_is_422(server: ServerProcess, body: Any) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    response = await alice.request("PUT", f"/api/groups/{group_id}/muted", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert (await alice.request("GET", f"/api/groups/{group_id}")).json()["muted"] is False


async def test_openapi_documents_the_mute_route_exactly(server: ServerProcess) -> None:
    async with httpx.AsyncClient() as http:
        spec = (await http.get(f"{server.url}/openapi.json")).json()
    operation = spec["paths"]["/api/groups/{group_id}/muted"]["put"]
    assert sorted(operation["responses"]) == ["200", "401", "404", "413", "422", "503"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/MuteState"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["muted"]["type"] == "boolean" and body["required"] == ["muted"]
    assert body.get("additionalProperties") is False
    schemas = spec["components"]["schemas"]
    assert schemas["MuteState"]["required"] == ["group_id", "muted"]
    assert "muted" in schemas["Group"]["properties"]
    assert schemas["Message"]["properties"]["mentions"]["type"] == "array"
