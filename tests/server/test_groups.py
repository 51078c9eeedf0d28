"""Groups: list, create, detail, add member, leave, read position, and the socket events they cause."""

from __future__ import annotations

import pytest

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess, unique_name
from tests.support.sockets import connect


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    """Run this module on every database backend."""
    return backend_server


async def test_create_group_lists_it_for_every_member(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group = await alice.create_group("Team", [bob.username])
    assert group["name"] == "Team" and group["member_count"] == 2
    assert group["last_seq"] == 0 and group["unread_count"] == 0 and group["last_message"] is None
    assert group["created_at"].endswith("Z")
    for api in (alice, bob):
        listed = (await api.request("GET", "/api/groups")).json()["groups"]
        assert [g["id"] for g in listed] == [group["id"]]


async def test_unknown_member_is_422_and_creates_nothing(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    response = await alice.request(
        "POST", "/api/groups", json={"name": "X", "members": [unique_name("ghost")]}
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "unknown_user"
    assert (await alice.request("GET", "/api/groups")).json()["groups"] == []


async def test_unread_count_and_last_message(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    for text in ("one", "two", "three"):
        assert (await alice.send(group_id, text)).status_code == 201
    await bob.send(group_id, "bob's own")
    bob_view = (await bob.request("GET", "/api/groups")).json()["groups"][0]
    assert bob_view["last_seq"] == 4 and bob_view["unread_count"] == 3
    assert bob_view["last_message"]["body"] == "bob's own"
    alice_view = (await alice.request("GET", "/api/groups")).json()["groups"][0]
    assert alice_view["unread_count"] == 1


async def test_detail_lists_members(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    detail = (await bob.request("GET", f"/api/groups/{group_id}")).json()
    assert sorted(m["username"] for m in detail["members"]) == sorted(
        [alice.username, bob.username]
    )
    assert detail["id"] == group_id and detail["member_count"] == 2


async def test_added_member_gets_group_joined_and_then_live_messages(server: ServerProcess) -> None:
    alice, carol = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice)
    carol_socket = await connect(server.url, carol.token or "")
    response = await alice.request(
        "POST", f"/api/groups/{group_id}/members", json={"username": carol.username}
    )
    assert response.status_code == 201 and response.json()["member"]["username"] == carol.username
    joined = await carol_socket.wait_for("group:joined", lambda g: g["id"] == group_id)
    assert joined["member_count"] == 2
    await alice.send(group_id, "welcome carol")
    message = await carol_socket.wait_for("message:new", lambda m: m["group_id"] == group_id)
    assert message["body"] == "welcome carol"
    again = await alice.request(
        "POST", f"/api/groups/{group_id}/members", json={"username": carol.username}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_member"
    ghost = await alice.request(
        "POST", f"/api/groups/{group_id}/members", json={"username": unique_name("ghost")}
    )
    assert ghost.status_code == 422 and ghost.json()["error"]["code"] == "unknown_user"
    await carol_socket.close()


async def test_leaving_stops_delivery_and_hides_the_group(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    other_id = await group_of(alice, bob, name="Other")
    bob_socket = await connect(server.url, bob.token or "")
    assert (await bob.request("DELETE", f"/api/groups/{group_id}/members/me")).status_code == 204
    await bob_socket.wait_for("group:left", lambda d: d == {"group_id": group_id})
    await alice.send(group_id, "bob is gone")
    await alice.send(other_id, "marker")
    # Events on one socket arrive in order: once the marker is here, the first would have been too.
    await bob_socket.wait_for("message:new", lambda m: m["group_id"] == other_id)
    assert all(m["group_id"] != group_id for m in bob_socket.events["message:new"])
    assert (await bob.request("GET", f"/api/groups/{group_id}")).status_code == 404
    assert (await bob.request("DELETE", f"/api/groups/{group_id}/members/me")).status_code == 404
    await bob_socket.close()


async def test_read_position_only_rises_and_reaches_other_windows(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    for text in ("a", "b", "c"):
        await alice.send(group_id, text)
    other_window = await connect(server.url, bob.token or "")
    assert (
        await bob.request("POST", f"/api/groups/{group_id}/read", json={"seq": 2})
    ).status_code == 204
    assert await other_window.wait_for("read", lambda d: d == {"group_id": group_id, "seq": 2})
    assert (
        await bob.request("POST", f"/api/groups/{group_id}/read", json={"seq": 1})
    ).status_code == 204
    view = (await bob.request("GET", f"/api/groups/{group_id}")).json()
    assert view["last_read_seq"] == 2 and view["unread_count"] == 1
    # Beyond the newest message is capped at it.
    await bob.request("POST", f"/api/groups/{group_id}/read", json={"seq": 99})
    view = (await bob.request("GET", f"/api/groups/{group_id}")).json()
    assert view["last_read_seq"] == 3 and view["unread_count"] == 0
    await other_window.close()
