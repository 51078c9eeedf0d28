"""A server SIGKILLed while messages, edits, reactions and membership changes pour in keeps a
gap-free log whose replay equals the state it serves after the restart (both backends)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid

import httpx
import pytest

from tests.support.api import Api, group_of
from tests.support.eventlog import GroupReplica, apply, bootstrap, events_after
from tests.support.server import ServerProcess

WRITERS = 4
# Long enough for a few hundred writes to be under way when the kill lands.
KILL_AFTER_SECONDS = 1.5
EMOJI = ("👍", "🎉", "😀")


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    """Run this module on every database backend."""
    return backend_server


async def writer(api: Api, group_id: int, stop: asyncio.Event, seed: int) -> None:
    """Post, edit, react and delete at random until `stop` (or the server dies)."""
    rng = random.Random(seed)
    own: list[int] = []
    with contextlib.suppress(httpx.HTTPError):
        while not stop.is_set():
            choice = rng.random()
            if choice < 0.5 or not own:
                response = await api.send(group_id, f"w{seed} {rng.random()}")
                if response.status_code == 201:
                    own.append(response.json()["id"])
                continue
            target = rng.choice(own)
            if choice < 0.7:
                kind, data = "message.edited", {"message_id": target, "body": f"e {rng.random()}"}
            elif choice < 0.95:
                kind = rng.choice(("reaction.added", "reaction.removed"))
                data = {"message_id": target, "emoji": rng.choice(EMOJI)}
            else:
                kind, data = "message.deleted", {"message_id": target}
                own.remove(target)
            body = {"client_event_id": str(uuid.uuid4()), "kind": kind, "data": data}
            await api.request("POST", f"/api/groups/{group_id}/events", json=body)


async def member_churn(owner: Api, other: Api, group_id: int, stop: asyncio.Event) -> None:
    with contextlib.suppress(httpx.HTTPError):
        while not stop.is_set():
            await owner.request(
                "POST", f"/api/groups/{group_id}/members", json={"username": other.username}
            )
            body = {
                "client_event_id": str(uuid.uuid4()),
                "kind": "member.removed",
                "data": {"user_id": other.user["id"]},
            }
            await owner.request("POST", f"/api/groups/{group_id}/events", json=body)


async def test_kill_during_mixed_writes_keeps_log_and_state_in_step(
    server: ServerProcess,
) -> None:
    apis = [await Api.new_user(server.url) for _ in range(WRITERS + 1)]
    owner, late_joiner, writers = apis[0], apis[1], apis[:WRITERS]
    group_id = await group_of(owner, *apis[2:WRITERS])
    await owner.request(
        "POST", f"/api/groups/{group_id}/members", json={"username": late_joiner.username}
    )
    stop = asyncio.Event()
    tasks = [asyncio.create_task(writer(a, group_id, stop, n)) for n, a in enumerate(writers)]
    tasks.append(asyncio.create_task(member_churn(owner, apis[-1], group_id, stop)))
    await asyncio.sleep(KILL_AFTER_SECONDS)
    await asyncio.to_thread(server.kill)
    stop.set()
    await asyncio.gather(*tasks)
    await asyncio.to_thread(server.start)

    log = await events_after(owner, group_id, 0)
    assert len(log) > 20, "the kill landed before much was written"
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1)), "gap-free, no reuse"
    fresh = await bootstrap(owner, group_id)
    assert fresh.head_seq == len(log)
    posted = {e["data"]["id"]: e["seq"] for e in log if e["kind"] == "message.posted"}
    assert posted == {m["id"]: m["seq"] for m in fresh.messages.values()}
    replica = GroupReplica("Team", 0, {a.user["id"]: a.user for a in apis[:1] + apis[2:WRITERS]})
    for event in log:
        apply(replica, event)
    assert replica.comparable() == fresh.comparable()
    for api in apis:
        await api.close()
