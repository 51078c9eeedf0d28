"""SQL for messages: the seq counter, idempotent inserts and history pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, Select, and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.storage.schema import groups, messages, reactions, users
from chat_server.wire import NO_MENTIONS

# The message a reply quotes, and its sender (outer joins: most messages quote nothing).
_original = messages.alias("original")
_original_sender = users.alias("original_sender")

MESSAGE_COLUMNS = (
    messages.c.id,
    messages.c.group_id,
    messages.c.seq,
    messages.c.client_msg_id,
    messages.c.body,
    messages.c.created_at,
    messages.c.edited_at,
    messages.c.deleted,
    messages.c.attachments,
    messages.c.mentions,
    users.c.id.label("sender_id"),
    users.c.username.label("sender_username"),
    users.c.display_name.label("sender_display_name"),
    _original.c.id.label("reply_id"),
    _original.c.seq.label("reply_seq"),
    _original.c.body.label("reply_body"),
    _original_sender.c.id.label("reply_sender_id"),
    _original_sender.c.username.label("reply_sender_username"),
    _original_sender.c.display_name.label("reply_sender_display_name"),
)


def _with_sender() -> Select:
    return (
        select(*MESSAGE_COLUMNS)
        .join(users, users.c.id == messages.c.sender_id)
        .outerjoin(_original, _original.c.id == messages.c.reply_to_message_id)
        .outerjoin(_original_sender, _original_sender.c.id == _original.c.sender_id)
    )


async def by_id(conn: AsyncConnection, message_id: int) -> Row | None:
    """One message with its sender and what it quotes, or None."""
    return (await conn.execute(_with_sender().where(messages.c.id == message_id))).first()


async def reactions_of(
    conn: AsyncConnection, message_ids: Sequence[int]
) -> dict[int, list[dict[str, object]]]:
    """`[{emoji, user_ids}]` per message id, emoji in code point order and user ids ascending:
    an order given by the state alone, so a client replaying the log arrives at it too."""
    if not message_ids:
        return {}
    query = (
        select(reactions.c.message_id, reactions.c.emoji, reactions.c.user_id)
        .where(reactions.c.message_id.in_(list(message_ids)))
        .order_by(reactions.c.user_id)
    )
    found: dict[int, dict[str, list[int]]] = {}
    for row in (await conn.execute(query)).all():
        found.setdefault(int(row.message_id), {}).setdefault(row.emoji, []).append(int(row.user_id))
    return {
        # sorted here, not by the database's collation, so both backends agree
        mid: [{"emoji": emoji, "user_ids": by_emoji[emoji]} for emoji in sorted(by_emoji)]
        for mid, by_emoji in found.items()
    }


async def next_seq(conn: AsyncConnection, group_id: int) -> int | None:
    """Bump the group's log head for a new message (which becomes the newest message) inside
    the caller's transaction; the row lock orders concurrent writers."""
    result = await conn.execute(
        update(groups)
        .where(groups.c.id == group_id)
        .values(head_seq=groups.c.head_seq + 1, last_seq=groups.c.head_seq + 1)
        .returning(groups.c.head_seq)
    )
    value = result.scalar_one_or_none()
    return None if value is None else int(value)


async def insert_message(
    conn: AsyncConnection,
    *,
    group_id: int,
    seq: int,
    sender_id: int,
    client_msg_id: str,
    body: str,
    now: datetime,
    reply_to_message_id: int | None = None,
    attachments: str | None = None,
    mentions: str = NO_MENTIONS,
) -> int:
    result = await conn.execute(
        insert(messages)
        .values(
            group_id=group_id,
            seq=seq,
            sender_id=sender_id,
            client_msg_id=client_msg_id,
            body=body,
            created_at=now,
            reply_to_message_id=reply_to_message_id,
            attachments=attachments,
            mentions=mentions,
        )
        .returning(messages.c.id)
    )
    return int(result.scalar_one())


async def page(
    conn: AsyncConnection,
    group_id: int,
    *,
    after_seq: int | None,
    before_seq: int | None,
    limit: int,
) -> tuple[list[Row], bool]:
    """Up to `limit` messages in ascending seq, and whether more lie beyond them in that direction."""
    query = _with_sender().where(messages.c.group_id == group_id)
    if after_seq is not None:
        query = query.where(messages.c.seq > after_seq).order_by(messages.c.seq.asc())
    else:
        if before_seq is not None:
            query = query.where(messages.c.seq < before_seq)
        query = query.order_by(messages.c.seq.desc())
    rows = list((await conn.execute(query.limit(limit + 1))).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    if after_seq is None:
        rows.reverse()
    return rows, has_more


async def last_messages(conn: AsyncConnection, group_ids: Sequence[int]) -> dict[int, Row]:
    """The newest message of each given group, by group id."""
    if not group_ids:
        return {}
    query = (
        _with_sender()
        .join(groups, and_(groups.c.id == messages.c.group_id, messages.c.seq == groups.c.last_seq))
        .where(messages.c.group_id.in_(list(group_ids)))
    )
    return {int(r.group_id): r for r in (await conn.execute(query)).all()}


async def by_ids(conn: AsyncConnection, message_ids: Sequence[int]) -> list[Row]:
    """Messages with their senders and what they quote, in no particular order."""
    if not message_ids:
        return []
    query = _with_sender().where(messages.c.id.in_(list(message_ids)))
    return list((await conn.execute(query)).all())
