"""Server-suite fixtures: `backend_server` runs a module's tests on SQLite and, when
CHAT_TEST_DATABASE_URL is set, again on a fresh PostgreSQL database (skipped otherwise)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.support.server import ServerProcess

DATABASE_URL = os.environ.get("CHAT_TEST_DATABASE_URL")


async def _admin(sql: str) -> None:
    assert DATABASE_URL
    dsn = make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_database() -> tuple[str, str]:
    """Create a uniquely named database; (its name, its SQLAlchemy URL)."""
    assert DATABASE_URL
    name = f"chat_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return name, make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not DATABASE_URL, reason="set CHAT_TEST_DATABASE_URL to run on PostgreSQL"
                ),
            ],
        ),
    ],
)
def backend_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A module's server, once per database backend."""
    database: str | None = None
    args: list[str] = []
    if request.param == "postgres":
        database, url = postgres_database()
        args = ["--database", url]
    proc = ServerProcess(tmp_path_factory.mktemp(f"server-{request.param}"), args=args)
    try:
        proc.start()
        yield proc
    finally:
        proc.stop()
        if database is not None:
            drop_postgres_database(database)
