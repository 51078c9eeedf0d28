"""Several server nodes on one fresh PostgreSQL database and a Redis of the test's own.

`with cluster(tmp_path, nodes=2) as c:` -> `Cluster` with `c.nodes` (started ServerProcess),
`c.redis` (RedisProcess: `stop()` / `start()` for an outage); all stopped and the database
dropped at the end. `CLUSTER_SKIP` is the reason to skip (no PostgreSQL URL or no
redis-server), or None. `postgres_database()` is the database part alone.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from tests.support.redis_server import REDIS_SERVER, RedisProcess
from tests.support.server import ServerProcess

DATABASE_URL = os.environ.get("CHAT_TEST_DATABASE_URL")
CLUSTER_SKIP: str | None = (
    "set CHAT_TEST_DATABASE_URL to run multi-node tests"
    if not DATABASE_URL
    else "install redis-server (Debian package) to run multi-node tests"
    if not REDIS_SERVER
    else None
)


def admin_sql(sql: str) -> None:
    """Run one statement on the PostgreSQL server (on a thread: callers may be in a loop)."""
    assert DATABASE_URL
    dsn = make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database's SQLAlchemy URL; dropped afterwards."""
    assert DATABASE_URL
    name = f"chat_test_{uuid.uuid4().hex[:12]}"
    admin_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Cluster:
    nodes: list[ServerProcess]
    redis: RedisProcess
    database_url: str


@contextmanager
def cluster(tmp_path: Path, nodes: int = 2, args: list[str] | None = None) -> Iterator[Cluster]:
    with postgres_database() as database:
        redis = RedisProcess(tmp_path / "redis").start()
        shared = ["--database", database, "--redis", redis.url, *(args or [])]
        started: list[ServerProcess] = []
        try:
            for i in range(nodes):
                started.append(ServerProcess(tmp_path / f"node{i}", args=shared).start())
            yield Cluster(started, redis, database)
        finally:
            for node in started:
                node.stop()
            redis.stop()
