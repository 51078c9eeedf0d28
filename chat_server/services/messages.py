"""Sending (idempotent, gap-free seq, rate-limited) and reading message history."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_protocol import limits
from chat_protocol.events import EventKind
from chat_protocol.mentions import candidate_names
from chat_protocol.validation import body_problem, is_blank
from chat_server import errors
from chat_server.config import Settings
from chat_server.metrics import Metrics
from chat_server.ratelimit_shared import LocalSendLimiter, SendLimiter
from chat_server.services import files as file_service
from chat_server.services.fanout import Caller, Fanout
from chat_server.services.mentions import mentions_in
from chat_server.storage import events, groups, messages
from chat_server.storage.db import Database
from chat_server.storage.files import attachments_json
from chat_server.storage.sqlite_writer import SendOutcome, SendRequest
from chat_server.wire import (
    EventDict,
    MessageDict,
    excerpt,
    mentions_column,
    message_from_row,
    now_utc,
    utc_z,
)

log = logging.getLogger(__name__)

# A unique-violation race (two nodes storing one client_msg_id at once) is settled by re-reading.
INSERT_ATTEMPTS = 3
REUSED_FOR_OTHER_EVENT = "This client id was already used for another kind of event."


@dataclass(frozen=True, slots=True)
class Send:
    """One send as asked for."""

    caller: Caller
    group_id: int
    client_msg_id: str
    body: str
    reply_to_message_id: int | None
    attachment_ids: tuple[int, ...] = ()

    @property
    def plain(self) -> bool:
        """No quote to read, no files to claim, no possible mention: the fast paths take it."""
        return (
            self.reply_to_message_id is None
            and not self.attachment_ids
            and not candidate_names(self.body)
        )


def _draft(
    send: Send,
    now: datetime,
    reply_to: dict[str, Any] | None,
    attachments: list[dict[str, Any]] | None = None,
    mentions: list[int] | None = None,
) -> dict[str, Any]:
    """The new message without its id and seq (known only once stored)."""
    return {
        "group_id": send.group_id,
        "sender": send.caller.wire(),
        "client_msg_id": send.client_msg_id,
        "body": send.body,
        "created_at": utc_z(now),
        "edited_at": None,
        "deleted": False,
        "reply_to": reply_to,
        "reactions": [],
        "mentions": mentions or [],
        # only when there are some (wire.message_from_row): the fast paths' JSON is unchanged
        **({"attachments": attachments} if attachments else {}),
    }


def send_problem(body: str, attachment_ids: Sequence[int], body_max: int) -> str | None:
    """What is wrong with a body and its files together (issue 12: with files the body may
    be "", never only whitespace), or None."""
    if len(attachment_ids) > limits.ATTACHMENTS_MAX:
        return f"attachment_ids: at most {limits.ATTACHMENTS_MAX} files per message."
    if len(set(attachment_ids)) != len(attachment_ids):
        return "attachment_ids: each file may be named once."
    if attachment_ids and body == "":
        return None
    if attachment_ids and is_blank(body):
        return "A message cannot be only whitespace."
    return body_problem(body, body_max)


def posted_event(send: Send, message: MessageDict) -> EventDict:
    """The `message.posted` log event of a message just stored."""
    return {
        "group_id": send.group_id,
        "seq": message["seq"],
        "kind": EventKind.MESSAGE_POSTED.value,
        "actor": send.caller.wire(),
        "at": message["created_at"],
        "client_event_id": send.client_msg_id,
        "data": message,
    }


async def load_message(conn: AsyncConnection, message_id: int) -> MessageDict | None:
    """A message as it now stands, reactions included."""
    row = await messages.by_id(conn, message_id)
    if row is None:
        return None
    found = await messages.reactions_of(conn, [message_id])
    return message_from_row(row, found.get(message_id))


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
        self,
        caller: Caller,
        group_id: int,
        client_msg_id: str,
        body: str,
        reply_to_message_id: int | None = None,
        attachment_ids: Sequence[int] = (),
    ) -> tuple[MessageDict, bool]:
        """Store and announce a message; (message, created). A retry returns the original, unlimited."""
        problem = send_problem(body, attachment_ids, self.settings.body_max)
        if problem:
            raise errors.ValidationFailed(problem)
        wait = await self.bucket.take(caller.id)
        if wait > 0:
            # Over the limit: only a retry of something already stored may pass.
            async with self.db.read() as conn:
                if not await groups.is_member(conn, group_id, caller.id):
                    raise errors.GroupNotFound()
                replay = await self._prior(conn, caller.id, client_msg_id, group_id)
            if replay is None:
                self.metrics.rejected_events.labels("send_rate_limited").inc()
                raise errors.RateLimited("Sending too fast; slow down.", wait)
            return replay, False
        send = Send(
            caller, group_id, client_msg_id, body, reply_to_message_id, tuple(attachment_ids)
        )
        if self.db.send_writer is not None and send.plain:
            # The SQLite writer hands results back in commit order: announced in seq order.
            return await self._store_and_announce(send)
        # On PostgreSQL two sends to one group may return in either order; one at a time
        # per group on this node, so this node announces a group's messages in seq order
        # (the row lock serialises them in the database anyway).
        lock = self._group_locks.get(group_id)
        if lock is None:
            lock = self._group_locks[group_id] = asyncio.Lock()
        async with lock:
            return await self._store_and_announce(send)

    async def _store_and_announce(self, send: Send) -> tuple[MessageDict, bool]:
        for _ in range(INSERT_ATTEMPTS):
            try:
                message, created = await self._store(send)
            except IntegrityError:
                continue
            if not created:
                await self.bucket.refund(send.caller.id)
                return message, False
            self.metrics.messages_stored.inc()
            await self.fanout.message_posted(posted_event(send, message))
            return message, True
        raise RuntimeError("could not store the message after repeated conflicts")

    async def _store(self, send: Send) -> tuple[MessageDict, bool]:
        now = now_utc()
        if send.plain:
            # The hot paths: one writer thread on SQLite, one statement on PostgreSQL.
            draft = _draft(send, now, None)
            tail = orjson.dumps(draft).decode()[1:]
            if self.db.send_writer is not None:
                request = SendRequest(
                    send.caller.id, send.group_id, send.client_msg_id, send.body, now, tail
                )
                return await self._settle(await self.db.send_writer.store(request), send, draft)
            if self.db.pg_send is not None:
                outcome = await self.db.pg_send.store(
                    send.caller.id, send.group_id, send.client_msg_id, send.body, now, tail
                )
                return await self._settle(outcome, send, draft)
        return await self._store_core(send, now)

    async def _store_core(self, send: Send, now: datetime) -> tuple[MessageDict, bool]:
        """The SQLAlchemy path: replies (they read the original), messages with files (they
        claim the uploads in the same transaction), bodies with an `@name` (members are looked
        up), and other drivers."""
        caller, group_id = send.caller, send.group_id
        async with self.db.write() as conn:
            if not await groups.is_member(conn, group_id, caller.id):
                raise errors.GroupNotFound()
            replay = await self._prior(conn, caller.id, send.client_msg_id, group_id)
            if replay is not None:
                return replay, False
            reply_to = await self._reply_to(conn, send)
            attachments = await file_service.claim(conn, caller.id, send.attachment_ids)
            mentions = await mentions_in(conn, group_id, send.body)
            seq = await messages.next_seq(conn, group_id)
            if seq is None:
                raise errors.GroupNotFound()
            message_id = await messages.insert_message(
                conn,
                group_id=group_id,
                seq=seq,
                sender_id=caller.id,
                client_msg_id=send.client_msg_id,
                body=send.body,
                now=now,
                reply_to_message_id=send.reply_to_message_id,
                attachments=attachments_json(attachments),
                mentions=mentions_column(mentions),
            )
            if send.attachment_ids:
                await file_service.attach(conn, send.attachment_ids, message_id, group_id)
            message = {
                "id": message_id,
                "seq": seq,
                **_draft(send, now, reply_to, attachments, mentions),
            }
            await events.insert_event(
                conn,
                group_id,
                seq,
                EventKind.MESSAGE_POSTED,
                caller.id,
                now,
                send.client_msg_id,
                message_id,
                message,
            )
        return message, True

    async def _reply_to(self, conn: AsyncConnection, send: Send) -> dict[str, Any] | None:
        """What the new message quotes; 404 if the original is not in this group, 409 if deleted."""
        if send.reply_to_message_id is None:
            return None
        row = await messages.by_id(conn, send.reply_to_message_id)
        if row is None or int(row.group_id) != send.group_id:
            raise errors.MessageNotFound()
        if row.deleted:
            raise errors.MessageDeleted()
        return {
            "message_id": int(row.id),
            "seq": int(row.seq),
            "sender": {
                "id": int(row.sender_id),
                "username": row.sender_username,
                "display_name": row.sender_display_name,
            },
            "excerpt": excerpt(row.body),
        }

    async def _settle(
        self, outcome: SendOutcome, send: Send, draft: dict[str, Any]
    ) -> tuple[MessageDict, bool]:
        """The answer to a send from the store's outcome (either fast path): 404, 422, the
        stored original, or the new message."""
        if outcome.status == "not_member":
            raise errors.GroupNotFound()
        if outcome.status == "conflict":
            raise errors.ValidationFailed(REUSED_FOR_OTHER_EVENT)
        if outcome.status == "existing":
            async with self.db.read() as conn:
                message = await load_message(conn, outcome.message_id)
            if message is None:  # deleted since, by a group deletion: as if never stored
                raise errors.GroupNotFound()
            return self._replay_message(message, send.group_id), False
        return {"id": outcome.message_id, "seq": outcome.seq, **draft}, True

    async def _prior(
        self, conn: AsyncConnection, user_id: int, client_msg_id: str, group_id: int
    ) -> MessageDict | None:
        """The message this user already stored under this id (as it now stands), or None;
        422 if the id names another kind of event."""
        row = await events.by_client_id(conn, user_id, client_msg_id)
        if row is None:
            return None
        if row.kind != EventKind.MESSAGE_POSTED.value or row.message_id is None:
            raise errors.ValidationFailed(REUSED_FOR_OTHER_EVENT)
        message = await load_message(conn, int(row.message_id))
        if message is None:
            return None
        return self._replay_message(message, group_id)

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
            found = await messages.reactions_of(conn, [int(r.id) for r in rows])
        return [message_from_row(r, found.get(int(r.id))) for r in rows], has_more
