"""The SQLite hot writes: one writer thread, one thread hop and one commit per batch.

SQLAlchemy + aiosqlite costs about 2 ms of CPU per stored message (dozens of thread hops and
statement compilation; measured by bench/store_path.py); plain sqlite3 on one thread costs
about 0.12 ms. Sends arriving while a batch is being written are queued and stored together
in the next transaction (group commit), so the database never limits the rate of a busy group.
The rules are exactly those of storage/messages.py: membership, idempotency look-up (in the
event log, where every client id of the user is), `UPDATE groups … RETURNING head_seq`, the
insert and its `message.posted` event, all in one transaction. Read markers
(storage/groups.py `mark_read`) go the same way, since clients send them as often as messages.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# Bounded so one transaction stays short even under a flood.
MAX_BATCH = 256

SQL_IS_MEMBER = "SELECT 1 FROM memberships WHERE group_id = ? AND user_id = ?"
SQL_PRIOR = "SELECT kind, message_id FROM events WHERE actor_id = ? AND client_event_id = ?"
SQL_NEXT_SEQ = (
    "UPDATE groups SET head_seq = head_seq + 1, last_seq = head_seq + 1 WHERE id = ? "
    "RETURNING head_seq"
)
SQL_MARK_READ = (
    "UPDATE memberships SET last_read_seq = "
    "MAX(last_read_seq, MIN(?, (SELECT last_seq FROM groups WHERE id = ?))) "
    "WHERE group_id = ? AND user_id = ? RETURNING last_read_seq"
)
SQL_INSERT = (
    "INSERT INTO messages (group_id, seq, sender_id, client_msg_id, body, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id"
)
SQL_INSERT_EVENT = (
    "INSERT INTO events (group_id, seq, kind, actor_id, at, client_event_id, message_id, data) "
    "VALUES (?, ?, 'message.posted', ?, ?, ?, ?, ?)"
)
POSTED = "message.posted"


def posted_data(message_id: int, seq: int, data_tail: str) -> str:
    """The `message.posted` event's data: `data_tail` is the JSON of the rest of the message
    without its opening brace (see MessageService), so no JSON is encoded here."""
    return f'{{"id":{message_id},"seq":{seq},{data_tail}'


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
    data_tail: str


@dataclass(frozen=True, slots=True)
class ReadMark:
    user_id: int
    group_id: int
    seq: int


Job = SendRequest | ReadMark
_Item = tuple[Job, "asyncio.Future[Any]"]


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """`status` is "created" (message_id, seq), "existing" (message_id: this client id's
    message), "conflict" (the client id names another kind of event) or "not_member"."""

    status: str
    message_id: int = 0
    seq: int = 0


class SqliteSendWriter:
    """Owns one sqlite3 connection on one thread; `store()` batches concurrent sends.

    The thread blocks on a `queue.SimpleQueue` of (job, future) pairs and takes everything
    queued (up to MAX_BATCH) into one transaction, then resolves the batch's futures with one
    `call_soon_threadsafe`: per send, one C-level queue put and no executor work item, no
    `concurrent.futures.Future` and no future chaining (the hand-off was 13-17 % of the
    server's CPU at 500 msg/s with `run_in_executor`; see docs/benchmarks.md)."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False

    async def store(self, request: SendRequest) -> SendOutcome:
        outcome: SendOutcome = await self._submit(request)
        return outcome

    async def mark_read(self, mark: ReadMark) -> int | None:
        """The new read position, or None if the user is not a member."""
        value: int | None = await self._submit(mark)
        return value

    async def _submit(self, job: Job) -> Any:
        if self._closed:
            raise RuntimeError("the SQLite writer is closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._thread is None:
            self._start()
        self._queue.put((job, future))
        return await future

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        """The writer thread: batch, store, hand the outcomes back to the loop; until None."""
        running = True
        while running:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    running = False
                    break
                batch.append(item)
            jobs = [job for job, _ in batch]
            try:
                outcomes: list[Any] | BaseException = self._store_batch(jobs)
            except Exception as exc:  # every waiter of the batch learns of the failure
                log.exception("SQLite write of %d job(s) failed", len(jobs))
                outcomes = exc
            _resolve_soon(batch, outcomes)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._conn = conn
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
        prior = conn.execute(SQL_PRIOR, (r.sender_id, r.client_msg_id)).fetchone()
        if prior is not None:
            if prior[0] == POSTED and prior[1] is not None:
                return SendOutcome("existing", message_id=int(prior[1]))
            return SendOutcome("conflict")
        row = conn.execute(SQL_NEXT_SEQ, (r.group_id,)).fetchone()
        if row is None:
            return SendOutcome("not_member")
        seq = int(row[0])
        created = sqlalchemy_time(r.created_at.replace(tzinfo=None))
        (message_id,) = conn.execute(
            SQL_INSERT, (r.group_id, seq, r.sender_id, r.client_msg_id, r.body, created)
        ).fetchone()
        data = posted_data(message_id, seq, r.data_tail)
        conn.execute(
            SQL_INSERT_EVENT,
            (r.group_id, seq, r.sender_id, created, r.client_msg_id, message_id, data),
        )
        return SendOutcome("created", message_id=int(message_id), seq=seq)

    @staticmethod
    def _mark_read(conn: sqlite3.Connection, r: ReadMark) -> int | None:
        row = conn.execute(SQL_MARK_READ, (r.seq, r.group_id, r.group_id, r.user_id)).fetchone()
        return None if row is None else int(row[0])

    def close(self) -> None:
        """Finish what is queued, then close the connection (blocking: call from a thread)."""
        self._closed = True
        with self._start_lock:
            thread = self._thread
        if thread is None:
            return
        self._queue.put(None)
        thread.join()


def _resolve_soon(batch: list[_Item], outcomes: list[Any] | BaseException) -> None:
    """Set the batch's futures on their loop (one wake-up per loop and batch)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
    for index, (_, future) in enumerate(batch):
        value = outcomes if isinstance(outcomes, BaseException) else outcomes[index]
        by_loop.setdefault(future.get_loop(), []).append((future, value))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, pairs)
        except RuntimeError:  # that loop is closed: nobody waits any more
            pass


def _resolve(pairs: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, value in pairs:
        if future.done():  # the waiter was cancelled (client gone); the row is stored anyway
            continue
        if isinstance(value, BaseException):
            future.set_exception(value)
        else:
            future.set_result(value)
