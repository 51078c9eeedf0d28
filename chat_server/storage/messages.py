"""SQL for messages: the seq counter, idempotent inserts and history pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, Select, and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.storage.schema import groups, messages, users

MESSAGE_COLUMNS = (
    messages.c.id,
    messages.c.group_id,
    messages.c.seq,
    messages.c.client_msg_id,
    messages.c.body,
    messages.c.created_at,
    users.c.id.label("sender_id"),
    users.c.username.label("sender_username"),
    users.c.display_name.label("sender_display_name"),
)


def _with_sender() -> Select:
    return select(*MESSAGE_COLUMNS).join(users, users.c.id == messages.c.sender_id)


async def by_client_id(conn: AsyncConnection, sender_id: int, client_msg_id: str) -> Row | None:
    """The message this sender already stored under `client_msg_id`, or None."""
    query = _with_sender().where(
        messages.c.sender_id == sender_id, messages.c.client_msg_id == client_msg_id
    )
    return (await conn.execute(query)).first()


async def next_seq(conn: AsyncConnection, group_id: int) -> int | None:
    """Bump the group's counter inside the caller's transaction; the row lock orders concurrent senders."""
    result = await conn.execute(
        update(groups)
        .where(groups.c.id == group_id)
        .values(last_seq=groups.c.last_seq + 1)
        .returning(groups.c.last_seq)
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
