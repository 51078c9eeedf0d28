"""The database handle: engine setup (SQLite WAL or PostgreSQL), transactions and migrations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from chat_server.private_files import private_sqlite
from chat_server.storage import meta
from chat_server.storage.pg_send import PgSendPath
from chat_server.storage.sqlite_writer import SqliteSendWriter

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_POOL_SIZE = 10
PG_MAX_OVERFLOW = 20
# Any constant works; it only has to be the same on every node sharing a database.
PG_MIGRATION_LOCK_ID = 0x43686174
HEALTH_TIMEOUT_SECONDS = 2.0


class Database:
    """One engine plus the rules for writing: a single writer on SQLite, row locks on PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.engine: AsyncEngine = self._create_engine(url)
        # SQLite has one writer per file anyway; queueing writers here instead of in
        # SQLite's busy handler keeps them fair and never surfaces "database is locked".
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        # The hot path (storing messages) bypasses SQLAlchemy on SQLite; see sqlite_writer.
        self.send_writer: SqliteSendWriter | None = None
        if self.is_sqlite and self.url.database and self.url.database != ":memory:":
            self.send_writer = SqliteSendWriter(self.url.database)
        # ... and on PostgreSQL (asyncpg) it is one statement on the raw connection; see pg_send.
        self.pg_send: PgSendPath | None = None
        if self.url.get_backend_name() == "postgresql" and self.url.get_driver_name() == "asyncpg":
            self.pg_send = PgSendPath(self.engine)
        # Names this database (server_meta); read by `migrate`, so known before serving.
        self.instance_id = ""

    def _create_engine(self, url: str) -> AsyncEngine:
        if not self.is_sqlite:
            return create_async_engine(
                url, pool_size=PG_POOL_SIZE, max_overflow=PG_MAX_OVERFLOW, pool_pre_ping=True
            )
        database = self.url.database
        if database and database != ":memory:":
            # Only the server's user may read messages and password hashes.
            private_sqlite(Path(database))
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (a snapshot transaction, rolled back at the end)."""
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block ends without an exception."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.connect() as raw:
            conn = await raw.execution_options(sqlite_begin="IMMEDIATE")
            async with conn.begin():
                yield conn

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (serialised across nodes on PostgreSQL)."""
        async with self.engine.connect() as raw:
            conn = await raw.execution_options(sqlite_begin="IMMEDIATE")
            async with conn.begin():
                if not self.is_sqlite:
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK_ID}
                    )
                await conn.run_sync(_upgrade)
                self.instance_id = await meta.instance_id(conn)
        log.info("database schema is current", extra={"backend": self.url.get_backend_name()})

    async def ping(self) -> bool:
        """True when the database answers a trivial query in time."""
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("database health check failed", exc_info=True)
            return False

    async def close(self) -> None:
        if self.send_writer is not None:
            await asyncio.to_thread(self.send_writer.close)
        await self.engine.dispose()

    def describe(self) -> str:
        """The URL with any password hidden, for logs."""
        return self.url.render_as_string(hide_password=True)


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    # Every head: work merged from branches that each added a migration after the same one
    # (0005 search and 0006 files, both after 0004) upgrades whichever way it was merged.
    command.upgrade(config, "heads")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to the "begin" hook below, so writers can BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a killed process; only an OS crash may lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")
