"""The control log's follower on PostgreSQL: a revocation that commits after a later one is
still applied (ids are taken at insert, commits land in any order), and old rows are pruned."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from chat_server.services.control import POLL_SECONDS
from chat_server.storage import control, tokens
from chat_server.storage.schema import control_log
from tests.support.api import Api
from tests.support.cluster import DATABASE_URL, postgres_database
from tests.support.revocation import within_bound
from tests.support.server import ServerProcess

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DATABASE_URL, reason="set CHAT_TEST_DATABASE_URL"),
]


@pytest.fixture
def pg_node(tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    with postgres_database() as database:
        node = ServerProcess(tmp_path / "node", args=["--database", database]).start()
        yield node, database
        node.stop()


def digest(token: str | None) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


async def test_a_revocation_committed_after_a_later_one_is_still_applied(
    pg_node: tuple[ServerProcess, str],
) -> None:
    node, database = pg_node
    alice, bob = await Api.new_user(node.url), await Api.new_user(node.url)
    assert (await alice.request("GET", "/api/me")).status_code == 200  # cached by the node
    engine = create_async_engine(database)
    try:
        async with engine.connect() as conn:
            # Alice's revocation takes its log id first and commits last.
            transaction = await conn.begin()
            assert await tokens.revoke(conn, digest(alice.token), datetime.now(UTC))
            assert (await bob.request("POST", "/api/auth/logout")).status_code == 204
            await asyncio.sleep(3 * POLL_SECONDS)  # the node reads past Alice's id meanwhile
            assert (await alice.request("GET", "/api/me")).status_code == 200
            await transaction.commit()

        async def refused() -> bool:
            return (await alice.request("GET", "/api/me")).status_code == 401

        await within_bound(refused)
    finally:
        await engine.dispose()
        for api in (alice, bob):
            await api.close()


async def test_rows_older_than_a_day_are_pruned_at_start(
    pg_node: tuple[ServerProcess, str],
) -> None:
    node, database = pg_node
    engine = create_async_engine(database)
    old = datetime.now(UTC) - timedelta(days=2)
    try:
        async with engine.begin() as conn:
            for _ in range(3):
                await control.append(conn, control.TOKEN_REVOKED, old, token_hash="0" * 64)
        node.stop()
        node.start()

        async def pruned() -> bool:
            async with engine.connect() as conn:
                count = select(func.count()).select_from(control_log)
                # The newest row stays (SQLite would reuse an emptied table's ids).
                return (await conn.execute(count)).scalar() == 1

        await within_bound(pruned)
    finally:
        await engine.dispose()
