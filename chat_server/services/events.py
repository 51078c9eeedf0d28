"""The group event log (protocol v2): catch-up pages and the changes made by POST …/events.

Each change is checked in PROTOCOL.md's order (404, 403 not_author, 403 not_creator, 409
message_deleted, 409 edit_window_closed, 422 text rules, 404 non-member), stored with its
event in one transaction, then announced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_protocol import limits
from chat_protocol.emoji import is_one_emoji
from chat_protocol.events import EventKind
from chat_protocol.models import (
    AddReactionRequest,
    DeleteMessageRequest,
    EditMessageRequest,
    PostEventRequest,
    RemoveMemberRequest,
    RemoveReactionRequest,
    RenameGroupRequest,
)
from chat_protocol.validation import body_problem, is_blank
from chat_server import errors
from chat_server.config import Settings
from chat_server.ratelimit_shared import SendLimiter
from chat_server.services.fanout import Caller, Fanout
from chat_server.services.mentions import mentions_in
from chat_server.services.messages import load_message
from chat_server.storage import events, files, groups
from chat_server.storage.db import Database
from chat_server.wire import EventDict, MessageDict, now_utc, utc_z

# A unique-violation race (one client_event_id stored twice at once) is settled by re-reading.
POST_ATTEMPTS = 3

_request_adapter: TypeAdapter[Any] = TypeAdapter(PostEventRequest)


def parse_post(body: bytes) -> Any:
    """The request of POST …/events, or 422 for any wrong shape (before any rule is checked)."""
    try:
        return _request_adapter.validate_json(body)
    except ValidationError as exc:
        raise errors.ValidationFailed(errors.validation_message(exc.errors())) from None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a POST …/events answers: an event (new or the original) or, for a reaction that
    changes nothing, the message as it stands."""

    status: int
    body: dict[str, Any]
    event: EventDict | None = None  # set when a new event was stored
    removed_user_id: int | None = None
    released_blobs: tuple[str, ...] = ()  # bytes a deleted message's files referred to


Handler = Callable[[AsyncConnection, Caller, int, Any, datetime], Awaitable[Outcome]]


async def _prior_outcome(
    conn: AsyncConnection, caller: Caller, group_id: int, client_event_id: str
) -> Outcome | None:
    """200 with the event this user already stored under `client_event_id`, if any."""
    prior = await events.by_client_id(conn, caller.id, client_event_id)
    if prior is None:
        return None
    if int(prior.group_id) != group_id:
        raise errors.ValidationFailed("This client_event_id was already used in another group.")
    return Outcome(200, events.event_from_row(prior))


class EventService:
    def __init__(
        self, db: Database, settings: Settings, fanout: Fanout, bucket: SendLimiter
    ) -> None:
        self.db = db
        self.settings = settings
        self.fanout = fanout
        # The same per-user bucket as message sends: every change written to a log counts.
        self.bucket = bucket
        # Deletes the bytes of a deleted message's files once nothing refers to them (set by
        # app.py to FileService.collect; issue 12).
        self.release_blobs: Callable[[list[str]], Awaitable[Any]] | None = None
        self._handlers: dict[str, Handler] = {
            EventKind.MESSAGE_EDITED: self._edit,
            EventKind.MESSAGE_DELETED: self._delete,
            EventKind.REACTION_ADDED: self._react,
            EventKind.REACTION_REMOVED: self._unreact,
            EventKind.MEMBER_REMOVED: self._remove_member,
            EventKind.GROUP_RENAMED: self._rename,
        }

    async def page(
        self, caller: Caller, group_id: int, *, after_seq: int, limit: int | None
    ) -> tuple[list[EventDict], bool]:
        if limit is None:
            limit = limits.EVENTS_PAGE_LIMIT_DEFAULT
        if not 1 <= limit <= limits.EVENTS_PAGE_LIMIT_MAX:
            raise errors.ValidationFailed(
                f"limit must be between 1 and {limits.EVENTS_PAGE_LIMIT_MAX}."
            )
        async with self.db.read() as conn:
            if not await groups.is_member(conn, group_id, caller.id):
                raise errors.GroupNotFound()
            rows, has_more = await events.page(conn, group_id, after_seq=after_seq, limit=limit)
        return [events.event_from_row(r) for r in rows], has_more

    async def post(self, caller: Caller, group_id: int, request: Any) -> Outcome:
        """Store and announce one change; the answer (201 event, 200 original, 200 message)."""
        wait = await self.bucket.take(caller.id)
        if wait > 0:
            # Over the limit: only a retry of something already stored may pass.
            replay = await self._replay(caller, group_id, request.client_event_id)
            if replay is None:
                raise errors.RateLimited("Changing too fast; slow down.", wait)
            return replay
        for _ in range(POST_ATTEMPTS):
            try:
                outcome = await self._store(caller, group_id, request)
            except IntegrityError:
                continue
            if outcome.event is None:
                await self.bucket.refund(caller.id)
            await self._announce(outcome, group_id)
            if outcome.released_blobs and self.release_blobs is not None:
                await self.release_blobs(list(outcome.released_blobs))
            return outcome
        raise RuntimeError("could not store the event after repeated conflicts")

    async def _replay(self, caller: Caller, group_id: int, client_event_id: str) -> Outcome | None:
        """The answer to a retry of a stored change, None when nothing was stored under it."""
        async with self.db.read() as conn:
            if not await groups.is_member(conn, group_id, caller.id):
                raise errors.GroupNotFound()
            return await _prior_outcome(conn, caller, group_id, client_event_id)

    async def _store(self, caller: Caller, group_id: int, request: Any) -> Outcome:
        now = now_utc()
        async with self.db.write() as conn:
            if not await groups.is_member(conn, group_id, caller.id):
                raise errors.GroupNotFound()
            prior = await _prior_outcome(conn, caller, group_id, request.client_event_id)
            if prior is not None:
                return prior
            return await self._handlers[request.kind](conn, caller, group_id, request, now)

    async def _announce(self, outcome: Outcome, group_id: int) -> None:
        if outcome.event is None:
            return
        await self.fanout.log_event(outcome.event)
        if outcome.removed_user_id is not None:
            # After the event, so the removed member's sockets get it before group:left.
            await self.fanout.group_left(outcome.removed_user_id, group_id)

    # --- the rules, kind by kind ------------------------------------------------------

    async def _message(self, conn: AsyncConnection, group_id: int, message_id: int) -> Row:
        row = await events.message_state(conn, message_id)
        if row is None or int(row.group_id) != group_id:
            raise errors.MessageNotFound()
        return row

    async def _own_message(
        self, conn: AsyncConnection, caller: Caller, group_id: int, message_id: int
    ) -> Row:
        row = await self._message(conn, group_id, message_id)
        if int(row.sender_id) != caller.id:
            raise errors.NotAuthor()
        if row.deleted:
            raise errors.MessageDeleted()
        return row

    async def _edit(
        self,
        conn: AsyncConnection,
        caller: Caller,
        group_id: int,
        request: EditMessageRequest,
        now: datetime,
    ) -> Outcome:
        message_id, body = request.data.message_id, request.data.body
        row = await self._own_message(conn, caller, group_id, message_id)
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        if now - created > timedelta(seconds=self.settings.edit_window_seconds):
            hours = self.settings.edit_window_seconds / 3600
            raise errors.EditWindowClosed(
                f"A message can be edited for {hours:g} hours after it was sent."
            )
        problem = body_problem(body, self.settings.body_max)
        if problem:
            raise errors.ValidationFailed(problem)
        mentions = await mentions_in(conn, group_id, body)
        await events.edit_message(conn, message_id, body, now, mentions)
        data = {
            "message_id": message_id,
            "body": body,
            "edited_at": utc_z(now),
            "mentions": mentions,
        }
        return await self._append(
            conn, caller, group_id, request, now, data, EventKind.MESSAGE_EDITED, message_id
        )

    async def _delete(
        self,
        conn: AsyncConnection,
        caller: Caller,
        group_id: int,
        request: DeleteMessageRequest,
        now: datetime,
    ) -> Outcome:
        message_id = request.data.message_id
        await self._own_message(conn, caller, group_id, message_id)
        await events.scrub_message(conn, message_id)
        released = await files.delete_for_message(conn, message_id)
        data = {"message_id": message_id}
        outcome = await self._append(
            conn, caller, group_id, request, now, data, EventKind.MESSAGE_DELETED, message_id
        )
        return Outcome(outcome.status, outcome.body, outcome.event, released_blobs=tuple(released))

    async def _reaction_target(
        self,
        conn: AsyncConnection,
        group_id: int,
        request: AddReactionRequest | RemoveReactionRequest,
    ) -> int:
        row = await self._message(conn, group_id, request.data.message_id)
        if row.deleted:
            raise errors.MessageDeleted()
        if not is_one_emoji(request.data.emoji):
            raise errors.ValidationFailed("emoji must be exactly one emoji.")
        return int(row.id)

    async def _react(
        self,
        conn: AsyncConnection,
        caller: Caller,
        group_id: int,
        request: AddReactionRequest,
        now: datetime,
    ) -> Outcome:
        message_id = await self._reaction_target(conn, group_id, request)
        if not await events.add_reaction(conn, message_id, caller.id, request.data.emoji):
            return await self._unchanged(conn, message_id)
        data = {"message_id": message_id, "emoji": request.data.emoji}
        return await self._append(
            conn, caller, group_id, request, now, data, EventKind.REACTION_ADDED, message_id
        )

    async def _unreact(
        self,
        conn: AsyncConnection,
        caller: Caller,
        group_id: int,
        request: RemoveReactionRequest,
        now: datetime,
    ) -> Outcome:
        message_id = await self._reaction_target(conn, group_id, request)
        if not await events.remove_reaction(conn, message_id, caller.id, request.data.emoji):
            return await self._unchanged(conn, message_id)
        data = {"message_id": message_id, "emoji": request.data.emoji}
        return await self._append(
            conn, caller, group_id, request, now, data, EventKind.REACTION_REMOVED, message_id
        )

    @staticmethod
    async def _unchanged(conn: AsyncConnection, message_id: int) -> Outcome:
        message: MessageDict | None = await load_message(conn, message_id)
        assert message is not None  # checked in this transaction
        return Outcome(200, message)

    async def _check_creator(self, conn: AsyncConnection, caller: Caller, group_id: int) -> None:
        if await groups.creator_id(conn, group_id) != caller.id:
            raise errors.NotCreator()

    async def _remove_member(
        self,
        conn: AsyncConnection,
        caller: Caller,
        group_id: int,
        request: RemoveMemberRequest,
        now: datetime,
    ) -> Outcome:
        await self._check_creator(conn, caller, group_id)
        user_id = request.data.user_id
        if user_id == caller.id:
            raise errors.ValidationFailed(
                "You cannot remove yourself; leave with DELETE /api/groups/{id}/members/me."
            )
        user = await events.user_by_id(conn, user_id)
        if user is None or not await groups.remove_member(conn, group_id, user_id, now):
            raise errors.NotFound("No such member in this group.")
        outcome = await self._append(
            conn, caller, group_id, request, now, {"user": user}, EventKind.MEMBER_REMOVED, None
        )
        return Outcome(outcome.status, outcome.body, outcome.event, removed_user_id=user_id)

    async def _rename(
        self,
        conn: AsyncConnection,
        caller: Caller,
        group_id: int,
        request: RenameGroupRequest,
        now: datetime,
    ) -> Outcome:
        await self._check_creator(conn, caller, group_id)
        name = request.data.name
        if is_blank(name) or not limits.GROUP_NAME_MIN <= len(name) <= limits.GROUP_NAME_MAX:
            raise errors.ValidationFailed(
                f"A group name is {limits.GROUP_NAME_MIN} to {limits.GROUP_NAME_MAX} "
                "characters and not only whitespace."
            )
        await groups.rename(conn, group_id, name)
        return await self._append(
            conn, caller, group_id, request, now, {"name": name}, EventKind.GROUP_RENAMED, None
        )

    @staticmethod
    async def _append(
        conn: AsyncConnection,
        caller: Caller,
        group_id: int,
        request: Any,
        now: datetime,
        data: dict[str, Any],
        kind: EventKind,
        message_id: int | None,
    ) -> Outcome:
        event = await events.append(
            conn,
            group_id=group_id,
            kind=kind,
            actor=caller.wire(),
            data=data,
            now=now,
            client_event_id=request.client_event_id,
            message_id=message_id,
        )
        return Outcome(201, event, event)
