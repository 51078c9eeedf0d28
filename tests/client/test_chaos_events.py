"""Convergence under chaos (protocol v2): clients post, edit, delete, react and change members
while the server is SIGKILLed and connections are cut; at the end every client holds the
server's state, and every intent is in the log exactly once."""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from desktop_app.models.bridge import SessionBridge
from desktop_app.session.state import ConnState
from tests.client.converge import client_state, server_state
from tests.client.peer import Peer
from tests.support.cluster import postgres_database
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]
ROUNDS = 6
ACTIONS_PER_ROUND = 6
EMOJI = ("👍", "🎉", "❤️")
CONVERGE_TIMEOUT = 60.0


def live(bridge: SessionBridge) -> bool:
    return bridge.status.state is ConnState.LIVE


def act(bridge: SessionBridge, group: int, rng: random.Random, n: int) -> list[str]:
    """One random intent of the user; returns the client ids it queued (for the log check)."""
    tl = bridge.session.timeline(group)
    mine = [r for r in tl.confirmed if r.is_own and r.system is None and not r.deleted]
    others = [r for r in tl.confirmed if r.system is None and not r.deleted and r.id]
    choice = rng.random()
    if choice < 0.35 or not others:
        return [bridge.send(group, f"{bridge.user.username} #{n}")]
    if choice < 0.55 and mine:
        target = rng.choice(mine)
        out = bridge.edit_message(group, target.id, f"{target.body} (edit {n})")
        return [out] if out else []
    if choice < 0.65 and mine:
        out = bridge.delete_message(group, rng.choice(mine).id)
        return [out] if out else []
    target = rng.choice(others)
    emoji = rng.choice(EMOJI)
    add = bridge.user.id not in (target.reactions or {}).get(emoji, [])
    out = bridge.react(group, target.id or 0, emoji, add)
    return [out] if out else []


def forced(bridge: SessionBridge, group: int, round_no: int) -> list[str]:
    """An edit, a reaction and (every other round) a deletion of the user's stored
    messages, whatever the random choices were: every kind is in every run."""
    tl = bridge.session.timeline(group)
    mine = [r for r in tl.confirmed if r.is_own and r.system is None and not r.deleted and r.id]
    if not mine:
        return []
    out = [
        bridge.edit_message(group, mine[-1].id, f"{mine[-1].body} (round {round_no})"),
        bridge.react(group, mine[0].id or 0, EMOJI[round_no % len(EMOJI)], True),
    ]
    if round_no % 2 == 0 and len(mine) > 1:
        out.append(bridge.delete_message(group, mine[1].id))
    return [cid for cid in out if cid]


@pytest.fixture(params=["sqlite", "postgres"])
def chaos_server(
    request: pytest.FixtureRequest, make_server: Callable[..., ServerProcess]
) -> Iterator[ServerProcess]:
    """One server node on SQLite, or on a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield make_server()
        return
    if not os.environ.get("CHAT_TEST_DATABASE_URL"):
        pytest.skip("set CHAT_TEST_DATABASE_URL to run on PostgreSQL")
    with postgres_database() as database:
        server = make_server(args=["--database", database])
        yield server
        server.stop()


@pytest.mark.parametrize("seed", [11])
def test_clients_converge_on_the_servers_state_through_kills_and_cuts(
    seed: int,
    chaos_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    server = chaos_server
    rng = random.Random(seed)
    alice, bob, carol, dave = (register(server.url) for _ in range(4))
    creator = Peer(server.url, carol)
    group = creator.create_group("Chaos", [alice[0]["username"], bob[0]["username"]])
    bridges = [make_bridge(server.url, alice, "pa"), make_bridge(server.url, bob, "pb")]
    wait_for(lambda: all(live(b) for b in bridges))
    queued: list[str] = []
    for b in bridges:
        for k in range(3):
            queued.append(b.send(group, f"{b.user.username} opens {k}"))
    wait_for(lambda: all(b.session.outbox.count() == 0 for b in bridges))
    dave_in = False
    n = 0
    for round_no in range(ROUNDS):
        for b in bridges:
            queued += forced(b, group, round_no)
        for _ in range(ACTIONS_PER_ROUND):
            n += 1
            queued += act(rng.choice(bridges), group, rng, n)
        # Membership moves by the creator, while the clients' sends are in flight.
        if server.proc is not None:
            try:
                if dave_in:
                    creator.post_event(group, "member.removed", user_id=dave[0]["id"])
                else:
                    creator.add_member(group, dave[0]["username"])
                dave_in = not dave_in
                creator.post_event(group, "group.renamed", name=f"Chaos {round_no}")
            except Exception:  # the server may be on its way down: membership waits
                pass
        if round_no % 3 == 0:
            server.kill()  # SIGKILL: nothing flushed, every socket cut
            for _ in range(ACTIONS_PER_ROUND):
                n += 1
                queued += act(rng.choice(bridges), group, rng, n)
            server.start()
        elif round_no % 3 == 1:
            for b in bridges:
                arun(b.session.realtime.disconnect_now())  # the network drops, server stays
        else:
            # One client's app restarts with its outbox on disk.
            old = bridges[0]
            arun(old.stop())
            bridges[0] = make_bridge(server.url, alice, "pa")
        for _ in range(ACTIONS_PER_ROUND):
            n += 1
            queued += act(rng.choice(bridges), group, rng, n)

    wait_for(
        lambda: all(live(b) and b.session.outbox.count() == 0 for b in bridges),
        timeout=CONVERGE_TIMEOUT,
    )
    for b in bridges:
        wait_for(
            lambda b=b: client_state(b.session, group) == server_state(creator, group),
            timeout=CONVERGE_TIMEOUT,
        )
    log = creator.events(group)
    ids = Counter(e["client_event_id"] for e in log if e["client_event_id"])
    assert all(count == 1 for count in ids.values()), "every event stored once"
    stored = set(ids)
    # An intent is in the log unless the server refused it by rule (a reaction no-op,
    # an edit of a message deleted meanwhile): none is ever stored twice.
    sends = [e for e in log if e["kind"] == "message.posted" and e["actor"]["id"] != carol[0]["id"]]
    assert len(sends) == len({e["client_event_id"] for e in sends})
    kinds = Counter(e["kind"] for e in log)
    for kind in ("message.edited", "message.deleted", "reaction.added", "member.removed"):
        assert kinds[kind] > 0, f"the chaos included {kind}"
    assert stored & set(queued), "the clients' intents reached the log"
