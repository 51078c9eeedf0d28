"""Protocol v2 over REST: every event kind, the rule order, idempotency, scrubbing, catch-up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.support.api import Api, group_of
from tests.support.cluster import DATABASE_URL, postgres_database
from tests.support.dbpeek import fetch
from tests.support.eventlog import apply, bootstrap, events_after
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    """Run this module on every database backend."""
    return backend_server


async def post_event(
    api: Api, group_id: int, kind: str, data: Any, client_event_id: str | None = None
) -> httpx.Response:
    body = {"client_event_id": client_event_id or str(uuid.uuid4()), "kind": kind, "data": data}
    return await api.request("POST", f"/api/groups/{group_id}/events", json=body)


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def posted(api: Api, group_id: int, body: str = "hello", **extra: Any) -> dict[str, Any]:
    payload = {"client_msg_id": str(uuid.uuid4()), "body": body, **extra}
    response = await api.request("POST", f"/api/groups/{group_id}/messages", json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def head(api: Api, group_id: int) -> int:
    return int((await api.request("GET", f"/api/groups/{group_id}")).json()["head_seq"])


async def test_every_kind_takes_the_next_seq_and_is_in_the_log(server: ServerProcess) -> None:
    alice, bob, carol = [await Api.new_user(server.url) for _ in range(3)]
    group_id = await group_of(alice, bob)
    message = await posted(alice, group_id, "first")
    assert message["seq"] == 1 and message["edited_at"] is None and message["deleted"] is False
    assert message["reply_to"] is None and message["reactions"] == []
    added = await alice.request(
        "POST", f"/api/groups/{group_id}/members", json={"username": carol.username}
    )
    assert added.status_code == 201
    steps = [
        (alice, "message.edited", {"message_id": message["id"], "body": "first!"}),
        (bob, "reaction.added", {"message_id": message["id"], "emoji": "👍"}),
        (bob, "reaction.removed", {"message_id": message["id"], "emoji": "👍"}),
        (alice, "group.renamed", {"name": "Renamed"}),
        (alice, "member.removed", {"user_id": carol.user["id"]}),
        (alice, "message.deleted", {"message_id": message["id"]}),
    ]
    for api, kind, data in steps:
        response = await post_event(api, group_id, kind, data)
        assert response.status_code == 201, response.text
        event = response.json()
        assert event["kind"] == kind and event["actor"]["id"] == api.user["id"]
        assert event["at"].endswith("Z") and event["group_id"] == group_id
    assert (await bob.request("DELETE", f"/api/groups/{group_id}/members/me")).status_code == 204
    log = await events_after(alice, group_id, 0)
    assert [e["seq"] for e in log] == list(range(1, 10))
    assert [e["kind"] for e in log] == [
        "message.posted",
        "member.added",
        *(kind for _, kind, _ in steps),
        "member.left",
    ]
    assert (
        log[0]["data"]["id"] == message["id"]
        and log[0]["client_event_id"] == message["client_msg_id"]
    )
    assert log[1]["data"] == {"user": carol.user} and log[1]["client_event_id"] is None
    assert log[2]["data"]["body"] == "" and log[2]["data"]["message_id"] == message["id"]
    assert log[5]["data"] == {"name": "Renamed"}
    assert log[6]["data"] == {"user": carol.user}
    assert log[8]["data"] == {"user": bob.user} and log[8]["actor"]["id"] == bob.user["id"]
    detail = (await alice.request("GET", f"/api/groups/{group_id}")).json()
    assert detail["name"] == "Renamed" and detail["head_seq"] == 9 and detail["last_seq"] == 1
    assert detail["creator"] == alice.user and [m["id"] for m in detail["members"]] == [
        alice.user["id"]
    ]
    # The next message takes the next seq of the log; v1's last_seq names it.
    assert (await posted(alice, group_id))["seq"] == 10


async def test_rules_in_protocol_order(server: ServerProcess) -> None:
    alice, bob, eve = [await Api.new_user(server.url) for _ in range(3)]
    group_id = await group_of(alice, bob)
    other_group = await group_of(eve)
    foreign = await posted(eve, other_group, "elsewhere")
    mine = await posted(alice, group_id, "mine")
    gone = await posted(alice, group_id, "to delete")
    assert (
        await post_event(alice, group_id, "message.deleted", {"message_id": gone["id"]})
    ).status_code == 201
    cases = [
        # wrong shape first, even where the group is not the caller's
        (
            eve,
            group_id,
            "message.edited",
            {"message_id": "1", "body": "x"},
            (422, "validation_error"),
        ),
        (alice, group_id, "message.posted", {"body": "x"}, (422, "validation_error")),
        (alice, group_id, "member.added", {"user_id": 1}, (422, "validation_error")),
        (alice, group_id, "message.edited", {"message_id": 1}, (422, "validation_error")),
        (
            alice,
            group_id,
            "message.edited",
            {"message_id": 1, "body": "x", "more": 1},
            (422, "validation_error"),
        ),
        # 404: not the caller's group, or the message is not in it
        (
            eve,
            group_id,
            "message.edited",
            {"message_id": mine["id"], "body": "x"},
            (404, "not_found"),
        ),
        (
            alice,
            group_id,
            "message.edited",
            {"message_id": foreign["id"], "body": "x"},
            (404, "not_found"),
        ),
        (
            alice,
            group_id,
            "reaction.added",
            {"message_id": 10**12, "emoji": "👍"},
            (404, "not_found"),
        ),
        # 403 not_author comes before 409 and 422
        (
            bob,
            group_id,
            "message.edited",
            {"message_id": mine["id"], "body": "x"},
            (403, "not_author"),
        ),
        (bob, group_id, "message.deleted", {"message_id": mine["id"]}, (403, "not_author")),
        (
            bob,
            group_id,
            "message.edited",
            {"message_id": gone["id"], "body": " "},
            (403, "not_author"),
        ),
        # 403 not_creator before 422 and the non-member 404
        (bob, group_id, "group.renamed", {"name": " "}, (403, "not_creator")),
        (bob, group_id, "member.removed", {"user_id": eve.user["id"]}, (403, "not_creator")),
        # 409 message_deleted before 422
        (
            alice,
            group_id,
            "message.edited",
            {"message_id": gone["id"], "body": " "},
            (409, "message_deleted"),
        ),
        (alice, group_id, "message.deleted", {"message_id": gone["id"]}, (409, "message_deleted")),
        (
            bob,
            group_id,
            "reaction.added",
            {"message_id": gone["id"], "emoji": "nope"},
            (409, "message_deleted"),
        ),
        (
            bob,
            group_id,
            "reaction.removed",
            {"message_id": gone["id"], "emoji": "👍"},
            (409, "message_deleted"),
        ),
        # 422 text rules
        (
            alice,
            group_id,
            "message.edited",
            {"message_id": mine["id"], "body": " \u200b "},
            (422, "validation_error"),
        ),
        (
            alice,
            group_id,
            "message.edited",
            {"message_id": mine["id"], "body": "x" * 4001},
            (422, "validation_error"),
        ),
        (alice, group_id, "group.renamed", {"name": ""}, (422, "validation_error")),
        (alice, group_id, "group.renamed", {"name": "n" * 101}, (422, "validation_error")),
        (
            bob,
            group_id,
            "reaction.added",
            {"message_id": mine["id"], "emoji": "a"},
            (422, "validation_error"),
        ),
        (
            bob,
            group_id,
            "reaction.added",
            {"message_id": mine["id"], "emoji": "👍👍"},
            (422, "validation_error"),
        ),
        (
            alice,
            group_id,
            "member.removed",
            {"user_id": alice.user["id"]},
            (422, "validation_error"),
        ),
        # then removing a non-member
        (alice, group_id, "member.removed", {"user_id": eve.user["id"]}, (404, "not_found")),
        (alice, group_id, "member.removed", {"user_id": 10**12}, (404, "not_found")),
    ]
    before = await head(alice, group_id)
    for api, gid, kind, data, expected in cases:
        response = await post_event(api, gid, kind, data)
        assert error_of(response) == expected, (kind, data, response.text)
    bad_id = await alice.request(
        "POST",
        f"/api/groups/{group_id}/events",
        json={"client_event_id": "not-a-uuid", "kind": "group.renamed", "data": {"name": "x"}},
    )
    assert error_of(bad_id) == (422, "validation_error")
    # Nothing refused took a seq.
    assert await head(alice, group_id) == before


async def test_a_reply_quotes_the_original_and_follows_it(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    original = await posted(alice, group_id, "o" * 150)
    reply = await posted(bob, group_id, "answer", reply_to_message_id=original["id"])
    assert reply["reply_to"] == {
        "message_id": original["id"],
        "seq": original["seq"],
        "sender": alice.user,
        "excerpt": "o" * 100,
    }
    edit = await post_event(
        alice, group_id, "message.edited", {"message_id": original["id"], "body": "short"}
    )
    assert edit.status_code == 201
    page = (await bob.messages(group_id))["messages"]
    assert page[0]["body"] == "short" and page[0]["edited_at"] == edit.json()["data"]["edited_at"]
    assert page[1]["reply_to"]["excerpt"] == "short"
    other = await group_of(bob)
    elsewhere = await bob.request(
        "POST",
        f"/api/groups/{other}/messages",
        json={
            "client_msg_id": str(uuid.uuid4()),
            "body": "x",
            "reply_to_message_id": original["id"],
        },
    )
    assert error_of(elsewhere) == (404, "not_found")
    # over the socket too (v1 message:send with reply_to_message_id is the same send)
    assert (
        await post_event(alice, group_id, "message.deleted", {"message_id": original["id"]})
    ).status_code == 201
    to_deleted = await bob.request(
        "POST",
        f"/api/groups/{group_id}/messages",
        json={
            "client_msg_id": str(uuid.uuid4()),
            "body": "x",
            "reply_to_message_id": original["id"],
        },
    )
    assert error_of(to_deleted) == (409, "message_deleted")


async def test_idempotent_across_kinds_and_routes(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    message = await posted(alice, group_id, "hi")
    ceid = str(uuid.uuid4())
    first = await post_event(
        bob, group_id, "reaction.added", {"message_id": message["id"], "emoji": "🎉"}, ceid
    )
    assert first.status_code == 201
    before = await head(alice, group_id)
    # the same id again, whatever the kind or body: 200 with the original event
    for kind, data in (
        ("reaction.added", {"message_id": message["id"], "emoji": "🎉"}),
        ("reaction.removed", {"message_id": message["id"], "emoji": "🎉"}),
        ("message.edited", {"message_id": message["id"], "body": "x"}),
    ):
        again = await post_event(bob, group_id, kind, data, ceid)
        assert again.status_code == 200 and again.json() == first.json()
    # a message's client_msg_id is its client_event_id
    replay = await post_event(
        alice, group_id, "message.deleted", {"message_id": message["id"]}, message["client_msg_id"]
    )
    assert replay.status_code == 200 and replay.json()["kind"] == "message.posted"
    assert replay.json()["data"]["id"] == message["id"]
    # a send reusing a reaction's id cannot answer a message: 422
    reuse = await bob.send(group_id, "x", ceid)
    assert error_of(reuse) == (422, "validation_error")
    # another group: 422, as v1 sends
    other = await group_of(bob)
    assert error_of(await post_event(bob, other, "group.renamed", {"name": "x"}, ceid)) == (
        422,
        "validation_error",
    )
    assert await head(alice, group_id) == before
    # another user may use the same id
    assert (
        await post_event(alice, group_id, "group.renamed", {"name": "Same id"}, ceid)
    ).status_code == 201


async def test_reaction_already_there_or_absent_changes_nothing(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    message = await posted(alice, group_id, "react to me")
    for api in (bob, alice):
        assert (
            await post_event(
                api, group_id, "reaction.added", {"message_id": message["id"], "emoji": "❤️"}
            )
        ).status_code == 201
    assert (
        await post_event(
            bob, group_id, "reaction.added", {"message_id": message["id"], "emoji": "👍🏽"}
        )
    ).status_code == 201
    before = await head(alice, group_id)
    same = await post_event(
        bob, group_id, "reaction.added", {"message_id": message["id"], "emoji": "❤️"}
    )
    assert same.status_code == 200
    assert same.json()["id"] == message["id"] and same.json()["reactions"] == [
        {"emoji": "❤️", "user_ids": sorted([bob.user["id"], alice.user["id"]])},
        {"emoji": "👍🏽", "user_ids": [bob.user["id"]]},
    ]
    absent = await post_event(
        alice, group_id, "reaction.removed", {"message_id": message["id"], "emoji": "👍🏽"}
    )
    assert absent.status_code == 200 and absent.json()["reactions"] == same.json()["reactions"]
    assert await head(alice, group_id) == before
    page = (await alice.messages(group_id))["messages"]
    assert page[0]["reactions"] == same.json()["reactions"]


async def test_delete_removes_the_text_from_the_database(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    secret, secret_edit = f"secret-{uuid.uuid4().hex}", f"edited-{uuid.uuid4().hex}"
    message = await posted(alice, group_id, secret)
    reply = await posted(bob, group_id, "quoting", reply_to_message_id=message["id"])
    assert reply["reply_to"]["excerpt"] == secret
    assert (
        await post_event(
            alice, group_id, "message.edited", {"message_id": message["id"], "body": secret_edit}
        )
    ).status_code == 201
    assert (
        await post_event(
            bob, group_id, "reaction.added", {"message_id": message["id"], "emoji": "👀"}
        )
    ).status_code == 201
    deleted = await post_event(alice, group_id, "message.deleted", {"message_id": message["id"]})
    assert deleted.status_code == 201 and deleted.json()["data"] == {"message_id": message["id"]}
    page = (await bob.messages(group_id))["messages"]
    tomb = page[0]
    assert tomb["deleted"] is True and tomb["body"] == "" and tomb["reactions"] == []
    assert tomb["seq"] == message["seq"] and tomb["edited_at"] is not None
    assert page[1]["reply_to"]["excerpt"] == ""
    for event in await events_after(bob, group_id, 0):
        assert secret not in str(event) and secret_edit not in str(event)
    rows = await fetch(server, "SELECT body FROM messages") + await fetch(
        server, "SELECT data FROM events"
    )
    assert not [r for r in rows if secret in r[0] or secret_edit in r[0]]
    reactions = await fetch(
        server, f"SELECT count(*) FROM reactions WHERE message_id = {message['id']}"
    )
    assert reactions == [(0,)]
    # the group still names the newest message, and the tombstone is not unread
    view = (await bob.request("GET", f"/api/groups/{group_id}")).json()
    assert view["last_message"]["id"] == reply["id"]


async def test_group_detail_unread_and_read_positions(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    kept = await posted(alice, group_id, "kept")
    gone = await posted(alice, group_id, "gone")
    await post_event(bob, group_id, "reaction.added", {"message_id": kept["id"], "emoji": "👍"})
    await post_event(alice, group_id, "message.deleted", {"message_id": gone["id"]})
    await post_event(alice, group_id, "group.renamed", {"name": "New name"})
    await posted(bob, group_id, "bob's own")
    bob_view = (await bob.request("GET", f"/api/groups/{group_id}")).json()
    # only alice's message that is not deleted counts: not reactions, renames or bob's own
    assert bob_view["unread_count"] == 1 and bob_view["head_seq"] == 6 and bob_view["last_seq"] == 6
    assert (
        await bob.request("POST", f"/api/groups/{group_id}/read", json={"seq": 2})
    ).status_code == 204
    detail = (await alice.request("GET", f"/api/groups/{group_id}")).json()
    reads = {m["id"]: m["last_read_seq"] for m in detail["members"]}
    assert reads == {alice.user["id"]: 0, bob.user["id"]: 2}
    assert detail["creator"] == alice.user
    listed = (await bob.request("GET", "/api/groups")).json()["groups"][0]
    assert listed["creator"] == alice.user and listed["head_seq"] == 6


async def test_events_page_limits_and_has_more(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    for n in range(5):
        await posted(alice, group_id, f"m{n}")
    page = (
        await alice.request(
            "GET", f"/api/groups/{group_id}/events", params={"after_seq": 1, "limit": 2}
        )
    ).json()
    assert [e["seq"] for e in page["events"]] == [2, 3] and page["has_more"] is True
    tail = (
        await alice.request("GET", f"/api/groups/{group_id}/events", params={"after_seq": 3})
    ).json()
    assert [e["seq"] for e in tail["events"]] == [4, 5] and tail["has_more"] is False
    for params in ({"limit": 0}, {"limit": 501}, {"after_seq": "1.0"}, {"after_seq": -1}):
        response = await alice.request("GET", f"/api/groups/{group_id}/events", params=params)
        assert error_of(response) == (422, "validation_error"), params
    stranger = await Api.new_user(server.url)
    assert error_of(await stranger.request("GET", f"/api/groups/{group_id}/events")) == (
        404,
        "not_found",
    )


async def test_catch_up_from_a_bootstrap_converges(server: ServerProcess) -> None:
    alice, bob, carol = [await Api.new_user(server.url) for _ in range(3)]
    group_id = await group_of(alice, bob)
    early = [await posted(alice, group_id, f"early {n}") for n in range(3)]
    replica = await bootstrap(bob, group_id)
    # everything after the bootstrap, touching messages from before and after it
    late = await posted(bob, group_id, "late", reply_to_message_id=early[0]["id"])
    await post_event(
        alice, group_id, "message.edited", {"message_id": early[0]["id"], "body": "early 0 (fixed)"}
    )
    await post_event(bob, group_id, "reaction.added", {"message_id": early[1]["id"], "emoji": "👍"})
    await post_event(
        alice, group_id, "reaction.added", {"message_id": early[1]["id"], "emoji": "🎉"}
    )
    await post_event(
        alice, group_id, "reaction.added", {"message_id": early[1]["id"], "emoji": "👍"}
    )
    await post_event(
        bob, group_id, "reaction.removed", {"message_id": early[1]["id"], "emoji": "👍"}
    )
    await post_event(bob, group_id, "reaction.added", {"message_id": early[1]["id"], "emoji": "👍"})
    await post_event(alice, group_id, "message.deleted", {"message_id": early[2]["id"]})
    await alice.request(
        "POST", f"/api/groups/{group_id}/members", json={"username": carol.username}
    )
    await post_event(carol, group_id, "reaction.added", {"message_id": late["id"], "emoji": "😀"})
    await post_event(
        bob, group_id, "message.edited", {"message_id": late["id"], "body": "late (edited)"}
    )
    await post_event(alice, group_id, "group.renamed", {"name": "Converged"})
    await post_event(alice, group_id, "member.removed", {"user_id": carol.user["id"]})
    await post_event(alice, group_id, "message.deleted", {"message_id": early[0]["id"]})
    await posted(alice, group_id, "last")
    for event in await events_after(bob, group_id, replica.head_seq):
        apply(replica, event)
    fresh = await bootstrap(bob, group_id)
    assert replica.head_seq == fresh.head_seq
    assert replica.comparable() == fresh.comparable()
    # Replaying the whole log from the start (what a bootstrap already reflects changes
    # nothing) gives the same state too.
    again = await bootstrap(bob, group_id)
    again.messages.clear()
    again.members = {alice.user["id"]: alice.user, bob.user["id"]: bob.user}
    again.name = "Team"
    for event in await events_after(bob, group_id, 0):
        apply(again, event)
    assert again.comparable() == fresh.comparable()


async def test_concurrent_sends_and_events_keep_the_log_gap_free(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    first = await posted(alice, group_id, "target")
    jobs = [bob.send(group_id, f"m{n}") for n in range(15)]
    jobs += [
        post_event(alice, group_id, "reaction.added", {"message_id": first["id"], "emoji": e})
        for e in ("👍", "🎉", "😀", "❤️", "👀")
    ]
    results = await asyncio.gather(*jobs)
    assert all(r.status_code == 201 for r in results)
    log = await events_after(alice, group_id, 0)
    assert [e["seq"] for e in log] == list(range(1, 22))
    messages = (await alice.messages(group_id, limit=200))["messages"]
    assert {m["seq"] for m in messages} == {e["seq"] for e in log if e["kind"] == "message.posted"}


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not DATABASE_URL, reason="set CHAT_TEST_DATABASE_URL"),
            ],
        ),
    ],
)
def short_window_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server whose edit window is one second (the default is 48 hours)."""
    with ExitStack() as stack:
        args = ["--edit-window-seconds", "1"]
        if request.param == "postgres":
            args += ["--database", stack.enter_context(postgres_database())]
        proc = ServerProcess(tmp_path_factory.mktemp(f"window-{request.param}"), args=args)
        stack.callback(proc.stop)
        proc.start()
        yield proc


async def test_edit_window_closes(short_window_server: ServerProcess) -> None:
    alice = await Api.new_user(short_window_server.url)
    group_id = await group_of(alice)
    message = await posted(alice, group_id, "quick")
    assert (
        await post_event(
            alice, group_id, "message.edited", {"message_id": message["id"], "body": "in time"}
        )
    ).status_code == 201
    await asyncio.sleep(1.5)
    late = await post_event(
        alice, group_id, "message.edited", {"message_id": message["id"], "body": " "}
    )
    assert error_of(late) == (409, "edit_window_closed")
    # deleting has no window
    assert (
        await post_event(alice, group_id, "message.deleted", {"message_id": message["id"]})
    ).status_code == 201
