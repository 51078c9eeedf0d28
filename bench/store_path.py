"""Cost of storing one message on SQLite: the server's SQLAlchemy + aiosqlite path vs one thread hop.

The fan-out profile shows the send path spending most of its time handing statements to
aiosqlite's worker thread (each statement is several queue round trips: cursor, execute,
fetch, close). This measures, outside the server, the same four statements of
`MessageService._store` (membership, idempotency look-up, seq bump, insert) run

  A. exactly as the server does: `Database.write()` and the storage functions, and
  B. as one synchronous function on a plain `sqlite3` connection owned by a single
     worker thread, so one message costs one thread hop instead of dozens, and
  C. the same SQLAlchemy Core statements as A on a *synchronous* SQLAlchemy engine,
     the whole transaction run in one worker-thread hop (keeps the storage code's style).

Run: `.venv/bin/python bench/store_path.py [--messages N]`; prints wall and CPU per message.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop
from sqlalchemy import Engine, create_engine, event, insert, literal, select, text, update

from chat_protocol.events import EventKind
from chat_server.storage import events, groups, messages
from chat_server.storage.db import Database
from chat_server.storage.schema import groups as groups_table
from chat_server.storage.schema import memberships
from chat_server.storage.schema import messages as messages_table

SQL_IS_MEMBER = "SELECT 1 FROM memberships WHERE group_id = ? AND user_id = ?"
SQL_BY_CLIENT_ID = (
    "SELECT m.id FROM messages m JOIN users u ON u.id = m.sender_id "
    "WHERE m.sender_id = ? AND m.client_msg_id = ?"
)
SQL_NEXT_SEQ = "UPDATE groups SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq"
SQL_INSERT = (
    "INSERT INTO messages (group_id, seq, sender_id, client_msg_id, body, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id"
)
BODY = "x" * 40


async def _seed(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.write() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, created_at) "
                "VALUES (1, 'u', 'u', 'x', :now)"
            ),
            {"now": now},
        )
        await conn.execute(
            text(
                "INSERT INTO groups (id, name, created_by, created_at, last_seq) "
                "VALUES (1, 'g', 1, :now, 0)"
            ),
            {"now": now},
        )
        await conn.execute(
            text(
                "INSERT INTO memberships (group_id, user_id, joined_at, last_read_seq) "
                "VALUES (1, 1, :now, 0)"
            ),
            {"now": now},
        )


async def server_path(db: Database) -> None:
    """The statements of MessageService._store_core, through the server's own storage layer
    (since protocol v2 with the log look-up and the `message.posted` row; B and C below keep
    the four statements of the original experiment)."""
    async with db.write() as conn:
        assert await groups.is_member(conn, 1, 1)
        cid = str(uuid.uuid4())
        assert await events.by_client_id(conn, 1, cid) is None
        seq = await messages.next_seq(conn, 1)
        assert seq is not None
        now = datetime.now(UTC)
        message_id = await messages.insert_message(
            conn, group_id=1, seq=seq, sender_id=1, client_msg_id=cid, body=BODY, now=now
        )
        await events.insert_event(
            conn, 1, seq, EventKind.MESSAGE_POSTED, 1, now, cid, message_id,
            {"id": message_id, "seq": seq, "body": BODY},
        )  # fmt: skip


class OneHopWriter:
    """A sqlite3 connection used only by one worker thread; a whole send is one hop."""

    def __init__(self, path: Path) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self._conn: sqlite3.Connection | None = None
        self._path = path

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._conn = conn
        return self._conn

    def _store(self, group_id: int, sender_id: int, cid: str, body: str) -> tuple[int, int]:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            assert conn.execute(SQL_IS_MEMBER, (group_id, sender_id)).fetchone()
            assert conn.execute(SQL_BY_CLIENT_ID, (sender_id, cid)).fetchone() is None
            (seq,) = conn.execute(SQL_NEXT_SEQ, (group_id,)).fetchone()
            now = datetime.now(UTC).isoformat()
            (message_id,) = conn.execute(
                SQL_INSERT, (group_id, seq, sender_id, cid, body, now)
            ).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return message_id, seq

    async def store(self, group_id: int, sender_id: int, body: str) -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        cid = str(uuid.uuid4())
        return await loop.run_in_executor(self._pool, self._store, group_id, sender_id, cid, body)

    def close(self) -> None:
        self._pool.shutdown()


class SyncCoreWriter:
    """SQLAlchemy Core on a sync engine; one executor hop per transaction."""

    def __init__(self, path: Path) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.engine: Engine = create_engine(f"sqlite:///{path}")

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _store(self, group_id: int, sender_id: int, cid: str, body: str) -> int:
        with self.engine.begin() as conn:
            member = select(literal(1)).where(
                memberships.c.group_id == group_id, memberships.c.user_id == sender_id
            )
            assert conn.execute(member).first() is not None
            existing = select(messages_table.c.id).where(
                messages_table.c.sender_id == sender_id, messages_table.c.client_msg_id == cid
            )
            assert conn.execute(existing).first() is None
            seq = conn.execute(
                update(groups_table)
                .where(groups_table.c.id == group_id)
                .values(last_seq=groups_table.c.last_seq + 1)
                .returning(groups_table.c.last_seq)
            ).scalar_one()
            return int(
                conn.execute(
                    insert(messages_table)
                    .values(
                        group_id=group_id,
                        seq=seq,
                        sender_id=sender_id,
                        client_msg_id=cid,
                        body=body,
                        created_at=datetime.now(UTC),
                    )
                    .returning(messages_table.c.id)
                ).scalar_one()
            )

    async def store(self, group_id: int, sender_id: int, body: str) -> int:
        loop = asyncio.get_running_loop()
        cid = str(uuid.uuid4())
        return await loop.run_in_executor(self._pool, self._store, group_id, sender_id, cid, body)

    def close(self) -> None:
        self._pool.shutdown()
        self.engine.dispose()


async def _measure(name: str, n: int, step: Any) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        await step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = {"wall_us": wall / n * 1e6, "cpu_us": cpu / n * 1e6, "per_second": n / wall}
    print(
        f"{name:<44} {result['wall_us']:8.0f} µs wall  {result['cpu_us']:8.0f} µs CPU  "
        f"{result['per_second']:7.0f} msg/s serial"
    )
    return result


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.migrate()
        await _seed(db)
        await _measure("A. server path (SQLAlchemy + aiosqlite)", n, lambda: server_path(db))
        await db.close()
        writer = OneHopWriter(path)
        await _measure(
            "B. one hop (sqlite3 in one worker thread)", n, lambda: writer.store(1, 1, BODY)
        )
        writer.close()
        core = SyncCoreWriter(path)
        await _measure("C. one hop (sync SQLAlchemy Core)", n, lambda: core.store(1, 1, BODY))
        core.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    uvloop.run(main(parser.parse_args().messages))
