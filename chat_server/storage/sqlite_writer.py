"""The SQLite hot writes: one writer thread, one thread hop and one commit per batch.

SQLAlchemy + aiosqlite costs about 2 ms of CPU per stored message (dozens of thread hops and
statement compilation; measured by bench/store_path.py); plain sqlite3 on one thread costs
about 0.12 ms. Sends arriving while a batch is being written are queued and stored together
in the next transaction (group commit), so the database never limits the rate of a busy group.
The rules are exactly those of storage/messages.py: membership, idempotency look-up,
`UPDATE groups … RETURNING last_seq` and the insert, all in one transaction. Read markers
(storage/groups.py `mark_read`) go the same way, since clients send them as often as messages.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# Bounded so one transaction stays short even under a flood.
MAX_BATCH = 256

SQL_IS_MEMBER = "SELECT 1 FROM memberships WHERE group_id = ? AND user_id = ?"
SQL_BY_CLIENT_ID = (
    "SELECT m.id, m.group_id, m.seq, m.client_msg_id, m.body, m.created_at, "
    "u.id, u.username, u.display_name "
    "FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.sender_id = ? AND m.client_msg_id = ?"
)
SQL_NEXT_SEQ = "UPDATE groups SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq"
SQL_MARK_READ = (
    "UPDATE memberships SET last_read_seq = "
    "MAX(last_read_seq, MIN(?, (SELECT last_seq FROM groups WHERE id = ?))) "
    "WHERE group_id = ? AND user_id = ? RETURNING last_read_seq"
)
SQL_INSERT = (
    "INSERT INTO messages (group_id, seq, sender_id, client_msg_id, body, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id"
)


def sqlalchemy_time(value: datetime) -> str:
    """The text form SQLAlchemy's SQLite DateTime writes and parses (naive UTC)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True, slots=True)
class SendRequest:
    sender_id: int
    group_id: int
    client_msg_id: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReadMark:
    user_id: int
    group_id: int
    seq: int


Job = SendRequest | ReadMark


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """`status` is "created" (message_id, seq), "existing" (row) or "not_member"."""

    status: str
    message_id: int = 0
    seq: int = 0
    row: tuple[Any, ...] | None = None


class SqliteSendWriter:
    """Owns one sqlite3 connection on one thread; `store()` batches concurrent sends."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._conn: sqlite3.Connection | None = None
        self._pending: list[tuple[Job, asyncio.Future[Any]]] = []
        self._draining = False
        self._drain_task: asyncio.Future[None] | None = None
        self._thread_id: int | None = None

    async def store(self, request: SendRequest) -> SendOutcome:
        outcome: SendOutcome = await self._submit(request)
        return outcome

    async def mark_read(self, mark: ReadMark) -> int | None:
        """The new read position, or None if the user is not a member."""
        value: int | None = await self._submit(mark)
        return value

    async def _submit(self, job: Job) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((job, future))
        if not self._draining:
            self._draining = True
            self._drain_task = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                requests = [r for r, _ in batch]
                try:
                    outcomes = await loop.run_in_executor(
                        self._executor, self._store_batch, requests
                    )
                except BaseException as exc:  # every waiter learns of the failure
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(
                                exc if isinstance(exc, Exception) else RuntimeError(str(exc))
                            )
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)
        finally:
            self._draining = False

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._conn = conn
            self._thread_id = threading.get_ident()
        return self._conn

    def _store_batch(self, requests: list[Job]) -> list[Any]:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            outcomes = [
                self._store_one(conn, r) if isinstance(r, SendRequest) else self._mark_read(conn, r)
                for r in requests
            ]
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return outcomes

    @staticmethod
    def _store_one(conn: sqlite3.Connection, r: SendRequest) -> SendOutcome:
        if conn.execute(SQL_IS_MEMBER, (r.group_id, r.sender_id)).fetchone() is None:
            return SendOutcome("not_member")
        existing = conn.execute(SQL_BY_CLIENT_ID, (r.sender_id, r.client_msg_id)).fetchone()
        if existing is not None:
            return SendOutcome("existing", row=tuple(existing))
        row = conn.execute(SQL_NEXT_SEQ, (r.group_id,)).fetchone()
        if row is None:
            return SendOutcome("not_member")
        seq = int(row[0])
        created = sqlalchemy_time(r.created_at.replace(tzinfo=None))
        (message_id,) = conn.execute(
            SQL_INSERT, (r.group_id, seq, r.sender_id, r.client_msg_id, r.body, created)
        ).fetchone()
        return SendOutcome("created", message_id=int(message_id), seq=seq)

    @staticmethod
    def _mark_read(conn: sqlite3.Connection, r: ReadMark) -> int | None:
        row = conn.execute(SQL_MARK_READ, (r.seq, r.group_id, r.group_id, r.user_id)).fetchone()
        return None if row is None else int(row[0])

    def close(self) -> None:
        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
