"""Read a test server's database directly (SQLite file or PostgreSQL URL), for checks no API shows."""

from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from tests.support.server import ServerProcess

SQLITE_FILE = "chat.db"


def database_url(server: ServerProcess) -> str | None:
    """The `--database` URL the server runs with, or None for its SQLite file."""
    if "--database" in server.args:
        return server.args[server.args.index("--database") + 1]
    return None


async def fetch(server: ServerProcess, sql: str) -> list[tuple[Any, ...]]:
    """Run one read-only query (no parameters) on the server's database."""
    url = database_url(server)
    if url is None:
        with sqlite3.connect(server.data_dir / SQLITE_FILE) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()
