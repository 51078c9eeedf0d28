"""SQL for groups and memberships."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Row, Select, and_, case, delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.storage import control
from chat_server.storage.schema import groups, memberships, messages, users


async def create_group(conn: AsyncConnection, name: str, created_by: int, now: datetime) -> int:
    result = await conn.execute(
        insert(groups)
        .values(name=name, created_by=created_by, created_at=now, last_seq=0, head_seq=0)
        .returning(groups.c.id)
    )
    return int(result.scalar_one())


async def add_member(conn: AsyncConnection, group_id: int, user_id: int, now: datetime) -> None:
    """Add a membership; IntegrityError when it already exists."""
    await conn.execute(
        insert(memberships).values(
            group_id=group_id, user_id=user_id, joined_at=now, last_read_seq=0
        )
    )


async def remove_member(
    conn: AsyncConnection, group_id: int, user_id: int, now: datetime | None = None
) -> bool:
    """End a membership (a leave or a removal) and log it for every node, in one transaction."""
    result = await conn.execute(
        delete(memberships).where(
            memberships.c.group_id == group_id, memberships.c.user_id == user_id
        )
    )
    if not result.rowcount:
        return False
    await control.append(
        conn, control.MEMBER_REMOVED, now or datetime.now(UTC), user_id=user_id, group_id=group_id
    )
    return True


async def is_member(conn: AsyncConnection, group_id: int, user_id: int) -> bool:
    query = select(literal(1)).where(
        memberships.c.group_id == group_id, memberships.c.user_id == user_id
    )
    return (await conn.execute(query)).first() is not None


def _group_view_query(user_id: int) -> Select:
    """Groups of a user with member count, read position and unread count, one row each."""
    others = memberships.alias("m2")
    member_count = (
        select(func.count())
        .select_from(others)
        .where(others.c.group_id == groups.c.id)
        .scalar_subquery()
    )
    unread = (
        select(func.count())
        .select_from(messages)
        .where(
            messages.c.group_id == groups.c.id,
            messages.c.seq > memberships.c.last_read_seq,
            messages.c.sender_id != user_id,
            messages.c.deleted.is_(False),
        )
        .scalar_subquery()
    )
    return (
        select(
            groups.c.id,
            groups.c.name,
            groups.c.created_at,
            groups.c.last_seq,
            groups.c.head_seq,
            users.c.id.label("creator_id"),
            users.c.username.label("creator_username"),
            users.c.display_name.label("creator_display_name"),
            memberships.c.last_read_seq,
            memberships.c.muted,
            member_count.label("member_count"),
            unread.label("unread_count"),
        )
        .join(
            memberships,
            and_(memberships.c.group_id == groups.c.id, memberships.c.user_id == user_id),
        )
        .join(users, users.c.id == groups.c.created_by)
        .order_by(groups.c.id)
    )


async def list_for_user(conn: AsyncConnection, user_id: int) -> list[Row]:
    return list((await conn.execute(_group_view_query(user_id))).all())


async def get_for_user(conn: AsyncConnection, group_id: int, user_id: int) -> Row | None:
    """The group as `user_id` sees it, or None if it does not exist or they are not a member."""
    return (await conn.execute(_group_view_query(user_id).where(groups.c.id == group_id))).first()


async def members(conn: AsyncConnection, group_id: int) -> list[Row]:
    query = (
        select(users.c.id, users.c.username, users.c.display_name, memberships.c.last_read_seq)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.group_id == group_id)
        .order_by(users.c.username)
    )
    return list((await conn.execute(query)).all())


async def members_named(
    conn: AsyncConnection, group_id: int, usernames: Sequence[str]
) -> dict[str, int]:
    """Username → id of the group's members among `usernames` (a mention's look-up)."""
    query = (
        select(users.c.username, users.c.id)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.group_id == group_id, users.c.username.in_(list(usernames)))
    )
    return {row.username: int(row.id) for row in (await conn.execute(query)).all()}


async def set_muted(conn: AsyncConnection, group_id: int, user_id: int, muted: bool) -> bool:
    """Store the member's mute setting; False if they are not a member."""
    result = await conn.execute(
        update(memberships)
        .where(memberships.c.group_id == group_id, memberships.c.user_id == user_id)
        .values(muted=muted)
    )
    return bool(result.rowcount)


async def member_ids(conn: AsyncConnection, group_id: int) -> list[int]:
    query = select(memberships.c.user_id).where(memberships.c.group_id == group_id)
    return [int(r) for r in (await conn.execute(query)).scalars().all()]


async def heads(conn: AsyncConnection, user_id: int) -> list[Row]:
    """(id, last_seq, head_seq) of every group of the user."""
    query = (
        select(groups.c.id, groups.c.last_seq, groups.c.head_seq)
        .join(memberships, memberships.c.group_id == groups.c.id)
        .where(memberships.c.user_id == user_id)
        .order_by(groups.c.id)
    )
    return list((await conn.execute(query)).all())


async def group_ids_for_user(conn: AsyncConnection, user_id: int) -> list[int]:
    query = select(memberships.c.group_id).where(memberships.c.user_id == user_id)
    return [int(r) for r in (await conn.execute(query)).scalars().all()]


async def group_ids_for_users(
    conn: AsyncConnection, user_ids: Sequence[int]
) -> dict[int, set[int]]:
    """Each user's group ids (users without groups are left out)."""
    query = select(memberships.c.user_id, memberships.c.group_id).where(
        memberships.c.user_id.in_(list(user_ids))
    )
    found: dict[int, set[int]] = {}
    for row in (await conn.execute(query)).all():
        found.setdefault(int(row.user_id), set()).add(int(row.group_id))
    return found


async def mark_read(conn: AsyncConnection, group_id: int, user_id: int, seq: int) -> int | None:
    """Raise the read position to `seq` (capped at the group's last seq); the new position or None."""
    group_last = select(groups.c.last_seq).where(groups.c.id == group_id).scalar_subquery()
    target = case((group_last < seq, group_last), else_=seq)
    new_value = case(
        (target > memberships.c.last_read_seq, target), else_=memberships.c.last_read_seq
    )
    result = await conn.execute(
        update(memberships)
        .where(memberships.c.group_id == group_id, memberships.c.user_id == user_id)
        .values(last_read_seq=new_value)
        .returning(memberships.c.last_read_seq)
    )
    value = result.scalar_one_or_none()
    return None if value is None else int(value)


async def names_by_ids(conn: AsyncConnection, group_ids: Sequence[int]) -> dict[int, str]:
    result = await conn.execute(
        select(groups.c.id, groups.c.name).where(groups.c.id.in_(list(group_ids)))
    )
    return {int(r.id): r.name for r in result.all()}


async def creator_id(conn: AsyncConnection, group_id: int) -> int | None:
    query = select(groups.c.created_by).where(groups.c.id == group_id)
    value = (await conn.execute(query)).scalar_one_or_none()
    return None if value is None else int(value)


async def rename(conn: AsyncConnection, group_id: int, name: str) -> None:
    await conn.execute(update(groups).where(groups.c.id == group_id).values(name=name))
