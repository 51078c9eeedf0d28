"""SQL for the group event log (protocol v2): appending, catch-up pages, scrubbing, reactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_protocol.events import EventKind
from chat_server.storage.schema import events, groups, messages, reactions, users
from chat_server.wire import (
    NO_MENTIONS,
    EventDict,
    UserDict,
    excerpt,
    mentions_column,
    user_dict,
    utc_z,
)

EVENT_COLUMNS = (
    events.c.group_id,
    events.c.seq,
    events.c.kind,
    events.c.at,
    events.c.client_event_id,
    events.c.message_id,
    events.c.data,
    users.c.id.label("actor_id"),
    users.c.username.label("actor_username"),
    users.c.display_name.label("actor_display_name"),
)


def _with_actor() -> Select:
    return select(*EVENT_COLUMNS).join(users, users.c.id == events.c.actor_id)


def dumps(data: Any) -> str:
    return orjson.dumps(data).decode()


def event_from_row(row: Row) -> EventDict:
    return {
        "group_id": int(row.group_id),
        "seq": int(row.seq),
        "kind": row.kind,
        "actor": {
            "id": int(row.actor_id),
            "username": row.actor_username,
            "display_name": row.actor_display_name,
        },
        "at": utc_z(row.at),
        "client_event_id": row.client_event_id,
        "data": orjson.loads(row.data),
    }


async def bump(conn: AsyncConnection, group_id: int) -> int | None:
    """The group's next seq for an event that is not a new message (the row lock orders
    concurrent writers); None if the group does not exist."""
    result = await conn.execute(
        update(groups)
        .where(groups.c.id == group_id)
        .values(head_seq=groups.c.head_seq + 1)
        .returning(groups.c.head_seq)
    )
    value = result.scalar_one_or_none()
    return None if value is None else int(value)


async def append(
    conn: AsyncConnection,
    *,
    group_id: int,
    kind: EventKind,
    actor: UserDict,
    data: dict[str, Any],
    now: datetime,
    client_event_id: str | None = None,
    message_id: int | None = None,
) -> EventDict:
    """Store an event with the group's next seq in the caller's transaction; the event."""
    seq = await bump(conn, group_id)
    if seq is None:
        raise LookupError(f"group {group_id} vanished")
    await insert_event(
        conn, group_id, seq, kind, int(actor["id"]), now, client_event_id, message_id, data
    )
    return {
        "group_id": group_id,
        "seq": seq,
        "kind": str(kind),
        "actor": actor,
        "at": utc_z(now),
        "client_event_id": client_event_id,
        "data": data,
    }


async def insert_event(
    conn: AsyncConnection,
    group_id: int,
    seq: int,
    kind: EventKind,
    actor_id: int,
    now: datetime,
    client_event_id: str | None,
    message_id: int | None,
    data: dict[str, Any],
) -> None:
    await conn.execute(
        insert(events).values(
            group_id=group_id,
            seq=seq,
            kind=str(kind),
            actor_id=actor_id,
            at=now,
            client_event_id=client_event_id,
            message_id=message_id,
            data=dumps(data),
        )
    )


async def by_client_id(conn: AsyncConnection, actor_id: int, client_event_id: str) -> Row | None:
    """The event this user already stored under `client_event_id` (any kind, any group)."""
    query = _with_actor().where(
        events.c.actor_id == actor_id, events.c.client_event_id == client_event_id
    )
    return (await conn.execute(query)).first()


async def page(
    conn: AsyncConnection, group_id: int, *, after_seq: int, limit: int
) -> tuple[list[Row], bool]:
    """Up to `limit` events with seq > after_seq in ascending seq, and whether more follow."""
    query = (
        _with_actor()
        .where(events.c.group_id == group_id, events.c.seq > after_seq)
        .order_by(events.c.seq.asc())
        .limit(limit + 1)
    )
    rows = list((await conn.execute(query)).all())
    return rows[:limit], len(rows) > limit


async def message_state(conn: AsyncConnection, message_id: int) -> Row | None:
    """What the rules need of a message: group, seq, author, deleted, created_at."""
    query = select(
        messages.c.id,
        messages.c.group_id,
        messages.c.seq,
        messages.c.sender_id,
        messages.c.deleted,
        messages.c.created_at,
    ).where(messages.c.id == message_id)
    return (await conn.execute(query)).first()


async def _rewrite(conn: AsyncConnection, query: Select, change: Any) -> None:
    """Apply `change(data) -> data` to the stored data of each event the query selects."""
    for row in (await conn.execute(query)).all():
        data = change(orjson.loads(row.data))
        await conn.execute(update(events).where(events.c.id == row.id).values(data=dumps(data)))


async def set_reply_excerpts(conn: AsyncConnection, message_id: int, body: str) -> None:
    """The `reply_to.excerpt` stored in the posted events of replies to this message."""
    replies = select(messages.c.id).where(messages.c.reply_to_message_id == message_id)
    query = select(events.c.id, events.c.data).where(
        events.c.message_id.in_(replies), events.c.kind == EventKind.MESSAGE_POSTED.value
    )
    text = excerpt(body)

    def change(data: dict[str, Any]) -> dict[str, Any]:
        if isinstance(data.get("reply_to"), dict):
            data["reply_to"]["excerpt"] = text
        return data

    await _rewrite(conn, query, change)


async def edit_message(
    conn: AsyncConnection,
    message_id: int,
    body: str,
    edited_at: datetime,
    mentions: list[int] | None = None,
) -> None:
    await conn.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(body=body, edited_at=edited_at, mentions=mentions_column(mentions or []))
    )
    await set_reply_excerpts(conn, message_id, body)


async def scrub_message(conn: AsyncConnection, message_id: int) -> None:
    """Delete a message's text everywhere it is stored: the row, the body in its posted and
    edited events, the excerpt of replies; and drop its reactions."""
    await conn.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(body="", deleted=True, attachments=None, mentions=NO_MENTIONS)
    )
    await conn.execute(delete(reactions).where(reactions.c.message_id == message_id))
    own = select(events.c.id, events.c.data).where(
        events.c.message_id == message_id,
        events.c.kind.in_([EventKind.MESSAGE_POSTED.value, EventKind.MESSAGE_EDITED.value]),
    )

    def blank(data: dict[str, Any]) -> dict[str, Any]:
        data["body"] = ""
        data.pop("attachments", None)  # issue 12: none now (the files rows go separately)
        if "mentions" in data:
            data["mentions"] = []
        return data

    await _rewrite(conn, own, blank)
    await set_reply_excerpts(conn, message_id, "")


async def add_reaction(conn: AsyncConnection, message_id: int, user_id: int, emoji: str) -> bool:
    """True when added; False when this user already had this emoji on the message."""
    exists = select(reactions.c.id).where(
        reactions.c.message_id == message_id,
        reactions.c.user_id == user_id,
        reactions.c.emoji == emoji,
    )
    if (await conn.execute(exists)).first() is not None:
        return False
    await conn.execute(
        insert(reactions).values(message_id=message_id, user_id=user_id, emoji=emoji)
    )
    return True


async def remove_reaction(conn: AsyncConnection, message_id: int, user_id: int, emoji: str) -> bool:
    result = await conn.execute(
        delete(reactions).where(
            reactions.c.message_id == message_id,
            reactions.c.user_id == user_id,
            reactions.c.emoji == emoji,
        )
    )
    return bool(result.rowcount)


async def user_by_id(conn: AsyncConnection, user_id: int) -> UserDict | None:
    query = select(users.c.id, users.c.username, users.c.display_name).where(users.c.id == user_id)
    row = (await conn.execute(query)).first()
    return None if row is None else user_dict(row)
