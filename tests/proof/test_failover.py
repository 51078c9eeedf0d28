"""Failover proof: two nodes on PostgreSQL and a Redis of the test's own, the real client's
sessions on both (each an idempotent sender), connections cut every ~2 s, each node SIGKILLed
once and restarted, then Redis stopped while people send, log out and leave.

It asserts 0 lost, 0 duplicated and order kept in every client and in the database, and that
the logout and the leave hold on the other node within the revocation bound. Its figures go
to docs/reliability.md (run with `-s` to see them)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chat_protocol.models import User
from desktop_app.session.session import Session, Undeliverable
from desktop_app.session.state import ConnectionStatus, ConnState
from tests.support.api import Api, group_of
from tests.support.cluster import CLUSTER_SKIP, Cluster, cluster
from tests.support.revocation import on_node, within_bound
from tests.support.server import ServerProcess
from tests.support.session import FAST_SESSION
from tests.support.sockets import EventClient, connect
from tests.support.tcp_proxy import TcpProxy

pytestmark = [
    pytest.mark.proof,
    pytest.mark.postgres,
    pytest.mark.skipif(CLUSTER_SKIP is not None, reason=CLUSTER_SKIP or ""),
    pytest.mark.timeout(180),
]

SENDERS_PER_NODE = 2
SEND_EVERY_SECONDS = 0.2
CUT_EVERY_SECONDS = 2.0
PHASE_SECONDS = 5.0  # steady sending between two faults
DRAIN_SECONDS = 45.0
POLL_SECONDS = 0.1
# No send limit: the proof is about faults, not about the rate limiter.
NODE_ARGS = ["--send-burst", "100000"]


class QuietListener:
    """The session's listener; the test reads the session's own state instead."""

    def on_status(self, status: ConnectionStatus) -> None: ...
    def on_auth_failed(self) -> None: ...
    def on_message_received(self, group_id: int, message: Any) -> None: ...
    def on_caught_up(self, group_id: int, newest: Any, count: int) -> None: ...
    def on_group_added(self, group_id: int) -> None: ...
    def on_group_removed(self, group_id: int) -> None: ...
    def on_undeliverable(self, notice: Undeliverable) -> None: ...
    def on_typing(self, group_id: int, display_name: str) -> None: ...
    def on_server_instance(self, instance_id: str) -> None: ...
    def on_outbox_changed(self, length: int) -> None: ...


@dataclass
class Figures:
    sent: int = 0
    cuts: int = 0
    kills: int = 0
    lost: int = 0
    duplicated: int = 0
    revocation_seconds: dict[str, float] = field(default_factory=dict)


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[Cluster]:
    with cluster(tmp_path, nodes=2, args=NODE_ARGS) as c:
        yield c


@pytest.fixture
async def proxies(two_nodes: Cluster) -> AsyncIterator[list[TcpProxy]]:
    started = [await TcpProxy.start(node.port) for node in two_nodes.nodes]
    yield started
    for proxy in started:
        await proxy.close()


async def test_failover_loses_and_repeats_nothing_and_revocation_holds(
    two_nodes: Cluster, proxies: list[TcpProxy], tmp_path: Path
) -> None:
    started = time.monotonic()
    figures = Figures()
    apis = [await Api.new_user(two_nodes.nodes[0].url) for _ in range(2 * SENDERS_PER_NODE)]
    group_id = await group_of(apis[0], *apis[1:], name="Failover")
    sessions = [
        _session(api, proxies[i % 2].url, tmp_path / f"outbox{i}.sqlite3")
        for i, api in enumerate(apis)
    ]
    try:
        for session in sessions:
            await session.start()
        await _until(lambda: all(s.status.state is ConnState.LIVE for s in sessions), 20)
        sent = await _send_through_faults(two_nodes, proxies, sessions, group_id, figures)
        await _until(lambda: all(s.outbox.count() == 0 for s in sessions), DRAIN_SECONDS)
        history = await _history(apis[0], group_id)
        _count_and_assert_exactly_once_in_order(history, sent, figures)
        ids = [m["id"] for m in history]
        try:  # every client catches up to exactly the stored history (safety net: its ping)
            await _until(lambda: all(_ids(s, group_id) == ids for s in sessions), DRAIN_SECONDS)
        except TimeoutError:
            for session in sessions:
                assert _ids(session, group_id) == ids, session.user.username
        assert not any(s.timeline(group_id).pending for s in sessions)
    finally:
        for session in sessions:
            await session.stop()
        for api in apis:
            await api.close()
    summary = {
        "messages": figures.sent,
        "stored": len(history),
        "connection_cuts": figures.cuts,
        "node_kills": figures.kills,
        "clients": len(sessions),
        "lost": figures.lost,
        "duplicated": figures.duplicated,
        "revocation_seconds": figures.revocation_seconds,
        "seconds": round(time.monotonic() - started, 1),
    }
    print("\nfailover proof:", json.dumps(summary))


async def _send_through_faults(
    two_nodes: Cluster,
    proxies: list[TcpProxy],
    sessions: list[Session],
    group_id: int,
    figures: Figures,
) -> dict[int, list[str]]:
    """Every session types while connections are cut, each node is killed and restarted, and
    Redis stops; the client_msg_ids each user typed, in typed order."""
    sent: dict[int, list[str]] = {s.user.id: [] for s in sessions}
    stop_sending = asyncio.Event()
    senders = [asyncio.create_task(_send(s, group_id, sent, stop_sending)) for s in sessions]
    cutter = asyncio.create_task(_cut_periodically(proxies))
    try:
        await asyncio.sleep(PHASE_SECONDS)
        for node in two_nodes.nodes:  # each node dies once, mid-traffic, and comes back
            await asyncio.to_thread(_kill_and_restart, node)
            figures.kills += 1
            await asyncio.sleep(PHASE_SECONDS)
        await _outage(two_nodes, figures)
    finally:
        stop_sending.set()
        await asyncio.gather(*senders)
        cutter.cancel()
    figures.cuts = sum(p.cuts for p in proxies)
    figures.sent = sum(len(v) for v in sent.values())
    return sent


def _ids(session: Session, group_id: int) -> list[int | None]:
    return [row.id for row in session.timeline(group_id).confirmed]


def _session(api: Api, url: str, outbox: Path) -> Session:
    user = User.model_validate(api.user)
    return Session(url, api.token or "", user, outbox, QuietListener(), **FAST_SESSION)


async def _send(
    session: Session, group_id: int, sent: dict[int, list[str]], stop: asyncio.Event
) -> None:
    """Type a numbered message every SEND_EVERY_SECONDS until told to stop."""
    for n in itertools.count():
        if stop.is_set():
            return
        sent[session.user.id].append(session.send(group_id, f"{session.user.username} #{n}"))
        await asyncio.sleep(SEND_EVERY_SECONDS)


async def _cut_periodically(proxies: list[TcpProxy]) -> None:
    while True:
        await asyncio.sleep(CUT_EVERY_SECONDS)
        for proxy in proxies:
            proxy.cut()


def _kill_and_restart(node: ServerProcess) -> None:
    node.kill()
    node.start()


async def _outage(two_nodes: Cluster, figures: Figures) -> None:
    """Redis stops; a logout on node 1 and a leave on node 2 must hold on the other node."""
    node1, node2 = two_nodes.nodes
    member, leaver = await Api.new_user(node1.url), await Api.new_user(node1.url)
    side_group = await group_of(member, leaver, name="Side")
    quitter = await Api.new_user(node1.url)
    quitter2 = on_node(quitter, node2.url)
    assert (await quitter2.request("GET", "/api/me")).status_code == 200
    quitter_socket = await connect(node2.url, quitter.token or "")
    leaver_socket = await connect(node1.url, leaver.token or "")
    member_socket = await connect(node1.url, member.token or "")
    two_nodes.redis.stop()
    await asyncio.sleep(PHASE_SECONDS / 2)  # senders carry on without Redis

    assert (await quitter.request("POST", "/api/auth/logout")).status_code == 204
    answered = time.monotonic()

    async def refused() -> bool:
        return (await quitter2.request("GET", "/api/me")).status_code == 401

    await within_bound(refused)
    figures.revocation_seconds["logout_rest"] = round(time.monotonic() - answered, 2)
    await within_bound(lambda: _is_set(quitter_socket))
    figures.revocation_seconds["logout_socket"] = round(time.monotonic() - answered, 2)

    leaver2 = on_node(leaver, node2.url)
    response = await leaver2.request("DELETE", f"/api/groups/{side_group}/members/me")
    assert response.status_code == 204

    async def typing_refused() -> bool:
        ack = await leaver_socket.call("typing", {"group_id": side_group})
        return ack["ok"] is False

    figures.revocation_seconds["leave_socket"] = round(await within_bound(typing_refused), 2)
    after = (await member.send(side_group, "after the leave")).json()
    await member_socket.wait_for("message:new", lambda m: m["id"] == after["id"])
    assert leaver_socket.events["message:new"] == []
    await asyncio.sleep(PHASE_SECONDS / 2)
    two_nodes.redis.start()
    for client in (quitter_socket, leaver_socket, member_socket):
        await client.close()
    for api in (member, leaver, leaver2, quitter, quitter2):
        await api.close()


async def _is_set(client: EventClient) -> bool:
    return client.disconnected.is_set()


async def _history(api: Api, group_id: int) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = []
    while True:
        after = history[-1]["seq"] if history else 0
        page = (await api.messages(group_id, after_seq=after, limit=200))["messages"]
        if not page:
            return history
        history += page


def _count_and_assert_exactly_once_in_order(
    history: list[dict[str, Any]], sent: dict[int, list[str]], figures: Figures
) -> None:
    typed = {c for v in sent.values() for c in v}
    cids = [m["client_msg_id"] for m in history]
    figures.lost = len(typed - set(cids))
    figures.duplicated = len(cids) - len(set(cids))
    assert figures.lost == 0 and figures.duplicated == 0
    assert set(cids) == typed, "a message nobody typed"
    assert [m["seq"] for m in history] == list(range(1, len(history) + 1)), "seq has a gap"
    for sender_id, typed_order in sent.items():
        stored = [m["client_msg_id"] for m in history if m["sender"]["id"] == sender_id]
        assert stored == typed_order, "a sender's messages are out of typed order"


async def _until(predicate: Any, seconds: float) -> None:
    """Wait for `predicate()`; TimeoutError after `seconds` (the state is polled, no event)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(POLL_SECONDS)
