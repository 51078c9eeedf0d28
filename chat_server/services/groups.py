"""Groups: listing, creation, members, leaving and read positions."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from chat_protocol.events import EventKind
from chat_server import errors
from chat_server.services.fanout import Caller, Fanout
from chat_server.storage import events, groups, messages, users
from chat_server.storage.db import Database
from chat_server.storage.sqlite_writer import ReadMark
from chat_server.wire import group_from_row, message_from_row, now_utc, user_dict


async def _last_messages(conn: AsyncConnection, group_ids: list[int]) -> dict[int, Any]:
    """The newest message of each group (as it now stands, reactions included), by group id."""
    last = await messages.last_messages(conn, group_ids)
    found = await messages.reactions_of(conn, [int(r.id) for r in last.values()])
    return {gid: message_from_row(r, found.get(int(r.id))) for gid, r in last.items()}


log = logging.getLogger(__name__)


class GroupService:
    def __init__(self, db: Database, fanout: Fanout) -> None:
        self.db = db
        self.fanout = fanout

    async def for_user(self, caller: Caller) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            rows = await groups.list_for_user(conn, caller.id)
            last = await _last_messages(conn, [int(r.id) for r in rows if r.last_seq])
        return [group_from_row(r, last.get(int(r.id))) for r in rows]

    async def _view(
        self, conn: AsyncConnection, group_id: int, user_id: int
    ) -> dict[str, Any] | None:
        row = await groups.get_for_user(conn, group_id, user_id)
        if row is None:
            return None
        last = await _last_messages(conn, [group_id]) if row.last_seq else {}
        return group_from_row(row, last.get(group_id))

    async def detail(self, caller: Caller, group_id: int) -> dict[str, Any]:
        async with self.db.read() as conn:
            view = await self._view(conn, group_id, caller.id)
            if view is None:
                raise errors.GroupNotFound()
            view["members"] = [
                {**user_dict(r), "last_read_seq": int(r.last_read_seq)}
                for r in await groups.members(conn, group_id)
            ]
        return view

    async def create(self, caller: Caller, name: str, member_names: list[str]) -> dict[str, Any]:
        wanted = sorted({n for n in member_names if n != caller.username})
        now = now_utc()
        async with self.db.write() as conn:
            found = await users.by_usernames(conn, wanted) if wanted else []
            missing = sorted(set(wanted) - {r.username for r in found})
            if missing:
                raise errors.UnknownUser(f"No such user: {', '.join(missing)}.")
            group_id = await groups.create_group(conn, name, caller.id, now)
            member_ids = [caller.id, *(int(r.id) for r in found)]
            for user_id in member_ids:
                await groups.add_member(conn, group_id, user_id, now)
            views = {uid: await self._view(conn, group_id, uid) for uid in member_ids}
        log.info(
            "group created",
            extra={"group_id": group_id, "user_id": caller.id, "members": len(member_ids)},
        )
        for user_id, view in views.items():
            if view is not None:
                await self.fanout.group_joined(user_id, view)
        result = views[caller.id]
        assert result is not None
        return result

    async def add_member(self, caller: Caller, group_id: int, username: str) -> dict[str, Any]:
        async with self.db.write() as conn:
            if not await groups.is_member(conn, group_id, caller.id):
                raise errors.GroupNotFound()
            row = await users.by_username(conn, username)
            if row is None:
                raise errors.UnknownUser(f"No such user: {username}.")
            if await groups.is_member(conn, group_id, int(row.id)):
                raise errors.AlreadyMember(f"{username} is already a member.")
            member = user_dict(row)
            now = now_utc()
            await groups.add_member(conn, group_id, member["id"], now)
            event = await events.append(
                conn,
                group_id=group_id,
                kind=EventKind.MEMBER_ADDED,
                actor=caller.wire(),
                data={"user": member},
                now=now,
            )
            view = await self._view(conn, group_id, member["id"])
        # The added user's sockets join the room (group:joined) before the event reaches it.
        if view is not None:
            await self.fanout.group_joined(member["id"], view)
        await self.fanout.log_event(event)
        return member

    async def leave(self, caller: Caller, group_id: int) -> None:
        async with self.db.write() as conn:
            if not await groups.remove_member(conn, group_id, caller.id, now_utc()):
                raise errors.GroupNotFound()
            event = await events.append(
                conn,
                group_id=group_id,
                kind=EventKind.MEMBER_LEFT,
                actor=caller.wire(),
                data={"user": caller.wire()},
                now=now_utc(),
            )
        # The leaver's sockets get the event while still in the room, then group:left.
        await self.fanout.log_event(event)
        await self.fanout.group_left(caller.id, group_id)

    async def mark_read(self, caller: Caller, group_id: int, seq: int) -> int:
        if self.db.send_writer is not None:
            value = await self.db.send_writer.mark_read(ReadMark(caller.id, group_id, seq))
        else:
            async with self.db.write() as conn:
                value = await groups.mark_read(conn, group_id, caller.id, seq)
        if value is None:
            raise errors.GroupNotFound()
        await self.fanout.read(caller.id, group_id, value)
        return value

    async def set_muted(self, caller: Caller, group_id: int, muted: bool) -> dict[str, Any]:
        """Store the caller's mute setting for the group and tell all their sockets."""
        async with self.db.write() as conn:
            if not await groups.set_muted(conn, group_id, caller.id, muted):
                raise errors.GroupNotFound()
        await self.fanout.group_muted(caller.id, group_id, muted)
        return {"group_id": group_id, "muted": muted}

    async def heads(self, user_id: int) -> list[dict[str, int]]:
        async with self.db.read() as conn:
            rows = await groups.heads(conn, user_id)
        return [
            {"id": int(r.id), "last_seq": int(r.last_seq), "head_seq": int(r.head_seq)}
            for r in rows
        ]

    async def is_member(self, user_id: int, group_id: int) -> bool:
        async with self.db.read() as conn:
            return await groups.is_member(conn, group_id, user_id)

    async def group_ids_by_user(self, user_ids: set[int]) -> dict[int, set[int]]:
        async with self.db.read() as conn:
            return await groups.group_ids_for_users(conn, sorted(user_ids))

    async def group_ids(self, user_id: int) -> list[int]:
        async with self.db.read() as conn:
            return await groups.group_ids_for_user(conn, user_id)
