"""PostgreSQL and Redis: the same guarantees on PostgreSQL, and two nodes sharing one database + Redis.

Needs CHAT_TEST_DATABASE_URL (postgresql+asyncpg://…) and CHAT_TEST_REDIS_URL; skipped otherwise.
Each test gets its own database (CREATE DATABASE chat_test_<random>, dropped after) and its own
Redis channel, since other suites may share these servers.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.server.test_delivery import HIGH_LIMITS, catch_up
from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import connect

DATABASE_URL = os.environ.get("CHAT_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("CHAT_TEST_REDIS_URL")

needs_postgres = pytest.mark.skipif(
    not DATABASE_URL, reason="set CHAT_TEST_DATABASE_URL to run PostgreSQL tests"
)
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="set CHAT_TEST_REDIS_URL to run Redis tests")


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test; its SQLAlchemy URL."""
    assert DATABASE_URL
    base = make_url(DATABASE_URL)
    name = f"chat_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield base.set(database=name).render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@needs_postgres
@pytest.mark.postgres
async def test_postgres_gap_free_idempotent_and_durable(
    make_server: Callable[..., ServerProcess], database: str
) -> None:
    server = make_server(args=["--database", database, *HIGH_LIMITS])
    members = [await Api.new_user(server.url) for _ in range(6)]
    group_id = await group_of(members[0], *members[1:])
    per_sender = 20
    watcher = await connect(server.url, members[1].token or "")

    async def burst(api: Api) -> list[int]:
        responses = await asyncio.gather(
            *(api.send(group_id, f"{api.username} {i}") for i in range(per_sender))
        )
        assert all(r.status_code == 201 for r in responses), [
            r.text for r in responses if r.status_code != 201
        ]
        return [r.json()["seq"] for r in responses]

    seqs = [s for chunk in await asyncio.gather(*(burst(m) for m in members)) for s in chunk]
    total = per_sender * len(members)
    assert sorted(seqs) == list(range(1, total + 1))
    # One node announces a group's messages in seq order, however the sends raced.
    await watcher.wait_for("message:new", lambda m: m["seq"] == total)
    assert [m["seq"] for m in watcher.events["message:new"]] == list(range(1, total + 1))
    await watcher.close()
    cmid = str(uuid.uuid4())
    retries = await asyncio.gather(*(members[0].send(group_id, "once", cmid) for _ in range(4)))
    assert sorted(r.status_code for r in retries) == [200, 200, 200, 201]
    before = await catch_up(members[1], group_id, 0)
    server.kill()
    server.start()
    after = await catch_up(Api(server.url, members[1].token, members[1].user), group_id, 0)
    assert after == before and [m["seq"] for m in after] == list(range(1, total + 2))


@needs_postgres
@needs_redis
@pytest.mark.postgres
@pytest.mark.redis
async def test_two_nodes_share_delivery_rooms_and_seq(
    make_server: Callable[..., ServerProcess], database: str
) -> None:
    assert REDIS_URL
    channel = f"chat-test-{uuid.uuid4().hex[:12]}"
    shared = [
        "--database",
        database,
        "--redis",
        REDIS_URL,
        "--redis-channel",
        channel,
        *HIGH_LIMITS,
    ]
    node_a = make_server(args=shared)
    node_b = make_server(args=shared)
    async with httpx.AsyncClient() as http:
        health = (await http.get(f"{node_a.url}/healthz")).json()
    assert health["redis"] == "ok" and health["db"] == "ok"

    alice = await Api.new_user(node_a.url)
    bob_b = await Api.new_user(node_b.url)
    bob_a = Api(node_a.url, bob_b.token, bob_b.user)  # a token works on any node
    group_id = await group_of(alice, bob_b)
    bob_socket = await connect(node_a.url, bob_b.token or "")
    alice_socket = await connect(node_b.url, alice.token or "")

    # Posted on B, delivered to a socket on A (and to the sender's socket on B).
    posted = await bob_b.send(group_id, "from node B")
    assert posted.status_code == 201
    live = await bob_socket.wait_for("message:new", lambda m: m["body"] == "from node B")
    assert live == posted.json()
    await alice_socket.wait_for("message:new", lambda m: m["body"] == "from node B")

    # Membership changes reach sockets on the other node.
    carol = await Api.new_user(node_a.url)
    carol_socket = await connect(node_a.url, carol.token or "")
    added = await Api(node_b.url, alice.token, alice.user).request(
        "POST", f"/api/groups/{group_id}/members", json={"username": carol.username}
    )
    assert added.status_code == 201
    await carol_socket.wait_for("group:joined", lambda g: g["id"] == group_id)
    await bob_b.send(group_id, "hello carol")
    await carol_socket.wait_for("message:new", lambda m: m["body"] == "hello carol")

    # Concurrent senders through both nodes keep one gap-free sequence.
    async def burst(api: Api, tag: str) -> list[int]:
        responses = await asyncio.gather(*(api.send(group_id, f"{tag} {i}") for i in range(25)))
        assert all(r.status_code == 201 for r in responses)
        return [r.json()["seq"] for r in responses]

    chunks = await asyncio.gather(burst(alice, "A"), burst(bob_b, "B"), burst(bob_a, "A2"))
    seqs = sorted(s for chunk in chunks for s in chunk)
    # seq 2 is the log's member.added event of carol (protocol v2): not a message
    assert seqs == list(range(4, 4 + 75))
    history = await catch_up(alice, group_id, 0)
    assert [m["seq"] for m in history] == [1, *range(3, 79)]
    await bob_socket.wait_for("message:new", lambda m: m["seq"] == 78)
    assert {m["seq"] for m in bob_socket.events["message:new"]} == {1, *range(3, 79)}

    # v2: a member removed through node B gets the event, then group:left, on node A.
    carol_v2 = await connect(node_a.url, carol.token or "", protocol=2)
    removed = await Api(node_b.url, alice.token, alice.user).request(
        "POST",
        f"/api/groups/{group_id}/events",
        json={
            "client_event_id": str(uuid.uuid4()),
            "kind": "member.removed",
            "data": {"user_id": carol.user["id"]},
        },
    )
    assert removed.status_code == 201 and removed.json()["seq"] == 79
    await carol_v2.wait_for("group:left", lambda g: g["group_id"] == group_id)
    order = [n if n != "event" else d["kind"] for n, d in carol_v2.timeline if n != "ready"]
    assert order == ["member.removed", "group:left"]
    await carol_v2.close()

    # Logging out on node B disconnects that token's socket on node A.
    assert (await bob_b.request("POST", "/api/auth/logout")).status_code == 204
    await asyncio.wait_for(bob_socket.disconnected.wait(), 10)
    assert (await bob_a.request("GET", "/api/me")).status_code == 401
    for client in (alice_socket, carol_socket):
        await client.close()


@needs_postgres
@needs_redis
@pytest.mark.postgres
@pytest.mark.redis
async def test_rate_limits_hold_across_nodes(
    make_server: Callable[..., ServerProcess], database: str
) -> None:
    """With Redis, the send bucket and the login-failure windows are one per user for the
    whole cluster: a second node does not hand out a second allowance."""
    assert REDIS_URL
    channel = f"chat-test-{uuid.uuid4().hex[:12]}"
    shared = ["--database", database, "--redis", REDIS_URL, "--redis-channel", channel]
    limits = [
        "--send-burst",
        "4",
        "--send-window-seconds",
        "600",
        "--login-failures-per-minute",
        "3",
    ]
    node_a = make_server(args=[*shared, *limits])
    node_b = make_server(args=[*shared, *limits])
    alice_a = await Api.new_user(node_a.url)
    alice_b = Api(node_b.url, alice_a.token, alice_a.user)
    group_id = await group_of(alice_a)

    statuses = [
        (await api.send(group_id, f"m{i}")).status_code
        for i, api in enumerate([alice_a, alice_b, alice_a, alice_b])
    ]
    assert statuses == [201, 201, 201, 201]
    for api in (alice_b, alice_a):  # the bucket is empty on both nodes
        limited = await api.send(group_id, "one too many")
        assert limited.status_code == 429, limited.text
        assert limited.json()["error"]["code"] == "rate_limited"
    # Another user still has their own full bucket.
    bob = await Api.new_user(node_b.url)
    assert (await bob.send(await group_of(bob), "fine")).status_code == 201

    async with httpx.AsyncClient() as http:
        wrong = {"username": alice_a.username, "password": "not-the-password"}
        tries = [
            (await http.post(f"{node.url}/api/auth/login", json=wrong)).status_code
            for node in (node_a, node_b, node_a, node_b)
        ]
    assert tries == [401, 401, 401, 429]
    for api in (alice_a, alice_b, bob):
        await api.close()


async def test_shared_limiter_lets_requests_through_when_redis_is_unreachable() -> None:
    """A limiter outage must not stop people from talking: no Redis answering means no limit
    (the fan-out reports the outage in /healthz), and the answer comes within the timeout."""
    from chat_server.ratelimit_shared import REDIS_LIMIT_TIMEOUT, make_limiters

    limiters = make_limiters(
        send_burst=1,
        send_window_seconds=600,
        login_failures=1,
        login_window_seconds=60,
        redis_url="redis://127.0.0.1:9/0",  # the discard port: nothing listens
        namespace="unreachable",
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert [await limiters.send.take(1) for _ in range(3)] == [0.0, 0.0, 0.0]
    await limiters.login_by_name.record("alice")
    assert await limiters.login_by_name.retry_after("alice") == 0.0
    assert loop.time() - started < 5 * 3 * REDIS_LIMIT_TIMEOUT
    await limiters.aclose()


@needs_postgres
@pytest.mark.postgres
async def test_database_refusing_connections_is_503_then_recovers(
    make_server: Callable[..., ServerProcess], database: str
) -> None:
    """PostgreSQL stops accepting connections (maintenance, failover): requests answer 503
    `unavailable` with Retry-After (clients retry), not 500; when it is back, so is the server."""
    server = make_server(args=["--database", database])
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    name = make_url(database).database
    assert DATABASE_URL
    admin_dsn = (
        make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        # The token is cached by the node, so these reach the database.
        for response in (
            await alice.request("GET", "/api/groups"),
            await alice.send(group_id, "while the database is away"),
        ):
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "unavailable"
            assert response.headers["Retry-After"] == "1"
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    assert (await alice.send(group_id, "back again")).status_code == 201
    assert [m["seq"] for m in (await alice.messages(group_id))["messages"]] == [1]
    assert "Traceback" not in server.log_tail(200)
    await alice.close()
