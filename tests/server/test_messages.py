"""Sending and paging messages over REST: idempotency, seq, pages, body rules."""

from __future__ import annotations

import uuid

import pytest

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    """Run this module on every database backend."""
    return backend_server


async def test_send_returns_the_stored_message(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    cmid = str(uuid.uuid4())
    response = await alice.send(group_id, "Hello", cmid)
    assert response.status_code == 201
    message = response.json()
    assert message["group_id"] == group_id and message["seq"] == 1 and message["body"] == "Hello"
    assert message["client_msg_id"] == cmid and message["sender"] == alice.user
    assert message["created_at"].endswith("Z") and isinstance(message["id"], int)


async def test_retry_returns_the_original_with_200(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    cmid = str(uuid.uuid4())
    first = await alice.send(group_id, "once", cmid)
    again = await alice.send(group_id, "once", cmid.upper())  # any spelling of the same UUID
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert [m["seq"] for m in (await alice.messages(group_id))["messages"]] == [1]


async def test_reusing_a_client_msg_id_in_another_group_is_refused(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    first, second = await group_of(alice), await group_of(alice, name="Second")
    cmid = str(uuid.uuid4())
    assert (await alice.send(first, "x", cmid)).status_code == 201
    response = await alice.send(second, "x", cmid)
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
    assert (await alice.messages(second))["messages"] == []


async def test_a_non_member_send_or_replay_is_404_and_leaves_no_gap(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    cmid = str(uuid.uuid4())
    assert (await bob.send(group_id, "before leaving", cmid)).status_code == 201
    assert (await bob.request("DELETE", f"/api/groups/{group_id}/members/me")).status_code == 204
    # Neither a new message nor a replay of a stored one: the group is gone for bob.
    for response in (
        await bob.send(group_id, "after leaving"),
        await bob.send(group_id, "x", cmid),
    ):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    # Nothing was counted for the refused sends: the next message is #3 (#2 is the log's
    # member.left event of bob).
    assert (await alice.send(group_id, "next")).json()["seq"] == 3
    assert [m["seq"] for m in (await alice.messages(group_id))["messages"]] == [1, 3]
    log = (await alice.request("GET", f"/api/groups/{group_id}/events")).json()["events"]
    assert [e["seq"] for e in log] == [1, 2, 3]


async def test_pages_after_before_and_newest(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    for i in range(1, 8):
        sender = alice if i % 2 else bob
        assert (await sender.send(group_id, f"m{i}")).status_code == 201
    newest = await bob.messages(group_id, limit=3)
    assert [m["seq"] for m in newest["messages"]] == [5, 6, 7] and newest["has_more"] is True
    older = await bob.messages(group_id, before_seq=5, limit=3)
    assert [m["seq"] for m in older["messages"]] == [2, 3, 4] and older["has_more"] is True
    oldest = await bob.messages(group_id, before_seq=2, limit=3)
    assert [m["seq"] for m in oldest["messages"]] == [1] and oldest["has_more"] is False
    after = await bob.messages(group_id, after_seq=2, limit=3)
    assert [m["seq"] for m in after["messages"]] == [3, 4, 5] and after["has_more"] is True
    tail = await bob.messages(group_id, after_seq=5)
    assert [m["seq"] for m in tail["messages"]] == [6, 7] and tail["has_more"] is False
    assert [m["body"] for m in (await bob.messages(group_id))["messages"]] == [
        f"m{i}" for i in range(1, 8)
    ]


async def test_page_parameters_are_validated(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    for params in (
        {"after_seq": "abc"},
        {"before_seq": "-1"},
        {"limit": 0},
        {"limit": 201},
        {"after_seq": 1, "before_seq": 5},
        {"limit": "1.5"},
    ):
        response = await alice.request("GET", f"/api/groups/{group_id}/messages", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "validation_error"


async def test_body_rules(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    for body in ("", "   \n\t", "x" * 4001):
        response = await alice.send(group_id, body)
        assert (
            response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
        )
    assert (await alice.send(group_id, "x" * 4000)).status_code == 201
    assert (await alice.send(group_id, "héllo 👋 مرحبا")).json()["body"] == "héllo 👋 مرحبا"
