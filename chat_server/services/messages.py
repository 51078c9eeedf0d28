"""Sending (idempotent, gap-free seq, rate-limited) and reading message history."""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from chat_protocol.validation import body_problem
from chat_server import errors
from chat_server.config import Settings
from chat_server.metrics import Metrics
from chat_server.ratelimit_shared import LocalSendLimiter, SendLimiter
from chat_server.services.fanout import Caller, Fanout
from chat_server.storage import groups, messages
from chat_server.storage.db import Database
from chat_server.storage.pg_send import PgSendPath
from chat_server.storage.sqlite_writer import SendOutcome, SendRequest, SqliteSendWriter
from chat_server.wire import MessageDict, message_from_row, message_from_tuple, now_utc, utc_z

log = logging.getLogger(__name__)

# A unique-violation race (two nodes storing one client_msg_id at once) is settled by re-reading.
INSERT_ATTEMPTS = 3


class MessageService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        fanout: Fanout,
        metrics: Metrics,
        bucket: SendLimiter | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.fanout = fanout
        self.metrics = metrics
        self.bucket = bucket or LocalSendLimiter(settings.send_burst, settings.send_window_seconds)
        # A lock lives while some send holds or awaits it (weak values), so idle groups cost
        # nothing.
        self._group_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def send(
        self, caller: Caller, group_id: int, client_msg_id: str, body: str
    ) -> tuple[MessageDict, bool]:
        """Store and announce a message; (message, created). A retry returns the original, unlimited."""
        problem = body_problem(body, self.settings.body_max)
        if problem:
            raise errors.ValidationFailed(problem)
        wait = await self.bucket.take(caller.id)
        if wait > 0:
            # Over the limit: only a retry of something already stored may pass.
            async with self.db.read() as conn:
                if not await groups.is_member(conn, group_id, caller.id):
                    raise errors.GroupNotFound()
                row = await messages.by_client_id(conn, caller.id, client_msg_id)
            if row is None:
                self.metrics.rejected_events.labels("send_rate_limited").inc()
                raise errors.RateLimited("Sending too fast; slow down.", wait)
            return self._replay(row, group_id), False
        if self.db.send_writer is not None:
            # The SQLite writer hands results back in commit order: announced in seq order.
            return await self._store_and_announce(caller, group_id, client_msg_id, body)
        # On PostgreSQL two sends to one group may return in either order; one at a time
        # per group on this node, so this node announces a group's messages in seq order
        # (the row lock serialises them in the database anyway).
        lock = self._group_locks.get(group_id)
        if lock is None:
            lock = self._group_locks[group_id] = asyncio.Lock()
        async with lock:
            return await self._store_and_announce(caller, group_id, client_msg_id, body)

    async def _store_and_announce(
        self, caller: Caller, group_id: int, client_msg_id: str, body: str
    ) -> tuple[MessageDict, bool]:
        for _ in range(INSERT_ATTEMPTS):
            try:
                message, created = await self._store(caller, group_id, client_msg_id, body)
            except IntegrityError:
                continue
            if not created:
                await self.bucket.refund(caller.id)
                return message, False
            self.metrics.messages_stored.inc()
            await self.fanout.message_new(message)
            return message, True
        raise RuntimeError("could not store the message after repeated conflicts")

    async def _store(
        self, caller: Caller, group_id: int, client_msg_id: str, body: str
    ) -> tuple[MessageDict, bool]:
        if self.db.send_writer is not None:
            return await self._store_sqlite(
                self.db.send_writer, caller, group_id, client_msg_id, body
            )
        if self.db.pg_send is not None:
            return await self._store_pg(self.db.pg_send, caller, group_id, client_msg_id, body)
        async with self.db.write() as conn:
            if not await groups.is_member(conn, group_id, caller.id):
                raise errors.GroupNotFound()
            existing = await messages.by_client_id(conn, caller.id, client_msg_id)
            if existing is not None:
                return self._replay(existing, group_id), False
            seq = await messages.next_seq(conn, group_id)
            if seq is None:
                raise errors.GroupNotFound()
            now = now_utc()
            message_id = await messages.insert_message(
                conn,
                group_id=group_id,
                seq=seq,
                sender_id=caller.id,
                client_msg_id=client_msg_id,
                body=body,
                now=now,
            )
        return self._new_message(message_id, seq, caller, group_id, client_msg_id, body, now), True

    async def _store_sqlite(
        self, writer: SqliteSendWriter, caller: Caller, group_id: int, client_msg_id: str, body: str
    ) -> tuple[MessageDict, bool]:
        now = now_utc()
        outcome = await writer.store(SendRequest(caller.id, group_id, client_msg_id, body, now))
        return self._settle(outcome, caller, group_id, client_msg_id, body, now)

    async def _store_pg(
        self, path: PgSendPath, caller: Caller, group_id: int, client_msg_id: str, body: str
    ) -> tuple[MessageDict, bool]:
        now = now_utc()
        sender = (caller.username, caller.display_name)
        outcome = await path.store(caller.id, sender, group_id, client_msg_id, body, now)
        return self._settle(outcome, caller, group_id, client_msg_id, body, now)

    def _settle(
        self,
        outcome: SendOutcome,
        caller: Caller,
        group_id: int,
        client_msg_id: str,
        body: str,
        now: datetime,
    ) -> tuple[MessageDict, bool]:
        """The answer to a send from the store's outcome (either fast path): 404, the stored
        original, or the new message."""
        if outcome.status == "not_member":
            raise errors.GroupNotFound()
        if outcome.status == "existing":
            assert outcome.row is not None
            return self._replay_message(message_from_tuple(outcome.row), group_id), False
        return self._new_message(
            outcome.message_id, outcome.seq, caller, group_id, client_msg_id, body, now
        ), True

    @staticmethod
    def _new_message(
        message_id: int,
        seq: int,
        caller: Caller,
        group_id: int,
        client_msg_id: str,
        body: str,
        now: datetime,
    ) -> MessageDict:
        return {
            "id": message_id,
            "group_id": group_id,
            "seq": seq,
            "sender": caller.wire(),
            "client_msg_id": client_msg_id,
            "body": body,
            "created_at": utc_z(now),
        }

    def _replay(self, row: Row, group_id: int) -> MessageDict:
        return self._replay_message(message_from_row(row), group_id)

    def _replay_message(self, message: MessageDict, group_id: int) -> MessageDict:
        if message["group_id"] != group_id:
            raise errors.ValidationFailed(
                "This client_msg_id was already used for a message in another group."
            )
        self.metrics.idempotent_replays.inc()
        return message

    async def page(
        self,
        caller: Caller,
        group_id: int,
        *,
        after_seq: int | None,
        before_seq: int | None,
        limit: int | None,
    ) -> tuple[list[MessageDict], bool]:
        if after_seq is not None and before_seq is not None:
            raise errors.ValidationFailed("Give after_seq or before_seq, not both.")
        if limit is None:
            limit = min(self.settings.page_limit_default, self.settings.page_limit_max)
        if not 1 <= limit <= self.settings.page_limit_max:
            raise errors.ValidationFailed(
                f"limit must be between 1 and {self.settings.page_limit_max}."
            )
        if after_seq is not None:
            self.metrics.catchup_requests.inc()
        async with self.db.read() as conn:
            if not await groups.is_member(conn, group_id, caller.id):
                raise errors.GroupNotFound()
            rows, has_more = await messages.page(
                conn, group_id, after_seq=after_seq, before_seq=before_seq, limit=limit
            )
        return [message_from_row(r) for r in rows], has_more
