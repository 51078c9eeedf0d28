"""The delivery contract: nothing lost across disconnects, kills and restarts; retries never duplicate."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import connect

HIGH_LIMITS = ["--send-burst", "10000", "--send-window-seconds", "1"]


async def catch_up(api: Api, group_id: int, after_seq: int) -> list[dict]:
    """Page through after_seq until has_more is false, as a client does."""
    got: list[dict] = []
    while True:
        page = await api.messages(group_id, after_seq=after_seq, limit=50)
        got += page["messages"]
        if not page["has_more"]:
            return got
        after_seq = page["messages"][-1]["seq"]


async def test_reconnect_and_catch_up_gives_exactly_the_missing(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    bob_socket = await connect(server.url, bob.token or "")
    for i in range(3):
        await alice.send(group_id, f"before {i}")
    await bob_socket.wait_for("message:new", lambda m: m["seq"] == 3)
    seen = max(m["seq"] for m in bob_socket.events["message:new"])
    await bob_socket.close()
    for i in range(4):
        await alice.send(group_id, f"while away {i}")
    back = await connect(server.url, bob.token or "")
    head = next(g for g in back.events["ready"][0]["groups"] if g["id"] == group_id)
    assert head["last_seq"] == 7
    missing = await catch_up(bob, group_id, seen)
    assert [m["seq"] for m in missing] == [4, 5, 6, 7]
    assert [m["body"] for m in missing] == [f"while away {i}" for i in range(4)]
    await back.close()


async def test_kill_9_and_restart_loses_nothing(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(args=HIGH_LIMITS)
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    acked = []
    for i in range(30):
        response = await alice.send(group_id, f"m{i}")
        assert response.status_code == 201
        acked.append(response.json())
    await alice.close()
    await bob.close()
    server.kill()
    server.start()
    alice2, bob2 = Api(server.url, alice.token, alice.user), Api(server.url, bob.token, bob.user)
    stored = await catch_up(bob2, group_id, 0)
    assert stored == acked  # every acknowledged message, byte for byte, in seq order
    # Retrying an acknowledged send after the restart still returns the original.
    retry = await alice2.send(group_id, "m29", acked[-1]["client_msg_id"])
    assert retry.status_code == 200 and retry.json() == acked[-1]
    fresh = await alice2.send(group_id, "after restart")
    assert fresh.status_code == 201 and fresh.json()["seq"] == 31
    await alice2.close()
    await bob2.close()


async def test_concurrent_senders_get_gap_free_seq(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server(args=HIGH_LIMITS)
    members = [await Api.new_user(server.url) for _ in range(8)]
    group_id = await group_of(members[0], *members[1:])
    per_sender = 25

    async def burst(api: Api) -> list[int]:
        responses = await asyncio.gather(
            *(api.send(group_id, f"{api.username} {i}") for i in range(per_sender))
        )
        assert all(r.status_code == 201 for r in responses)
        return [r.json()["seq"] for r in responses]

    seqs = [s for chunk in await asyncio.gather(*(burst(m) for m in members)) for s in chunk]
    total = per_sender * len(members)
    assert sorted(seqs) == list(range(1, total + 1))
    history = await catch_up(members[0], group_id, 0)
    assert [m["seq"] for m in history] == list(range(1, total + 1))
    for api in members:
        await api.close()


async def test_concurrent_retries_of_one_send_store_it_once(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    cmid = str(uuid.uuid4())
    responses = await asyncio.gather(*(alice.send(group_id, "once", cmid) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len((await alice.messages(group_id))["messages"]) == 1
    await alice.close()


async def test_a_socket_sees_messages_committed_around_its_join(server: ServerProcess) -> None:
    """Live events and catch-up from `ready` together cover everything, whatever the timing."""
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)

    async def sender() -> None:
        for i in range(15):
            await alice.send(group_id, f"r{i}")

    task = asyncio.create_task(sender())
    bob_socket = await connect(server.url, bob.token or "")
    await task
    head = next(
        g["last_seq"] for g in bob_socket.events["ready"][0]["groups"] if g["id"] == group_id
    )
    caught = await catch_up(bob, group_id, 0) if head else []
    caught_ids = {m["id"] for m in caught if m["seq"] <= head}
    if head < 15:
        await bob_socket.wait_for("message:new", lambda m: m["seq"] == 15)
    live_ids = {m["id"] for m in bob_socket.events["message:new"]}
    everything = await catch_up(bob, group_id, 0)
    assert {m["id"] for m in everything} == caught_ids | live_ids
    await bob_socket.close()
