"""SQL for users."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.storage.schema import users

PUBLIC_COLUMNS = (users.c.id, users.c.username, users.c.display_name)


async def insert_user(
    conn: AsyncConnection, username: str, display_name: str, password_hash: str, now: datetime
) -> int:
    """Insert a user and return its id; IntegrityError when the username is taken."""
    result = await conn.execute(
        insert(users)
        .values(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            created_at=now,
        )
        .returning(users.c.id)
    )
    return int(result.scalar_one())


async def by_username(conn: AsyncConnection, username: str) -> Row | None:
    """The user row with its password hash, or None."""
    result = await conn.execute(
        select(*PUBLIC_COLUMNS, users.c.password_hash).where(users.c.username == username)
    )
    return result.first()


async def by_usernames(conn: AsyncConnection, usernames: Sequence[str]) -> list[Row]:
    result = await conn.execute(
        select(*PUBLIC_COLUMNS).where(users.c.username.in_(list(usernames)))
    )
    return list(result.all())


async def search(conn: AsyncConnection, prefix: str, limit: int) -> list[Row]:
    """Users whose username or display name starts with `prefix` (case-insensitive)."""
    pattern = _escape_like(prefix.lower()) + "%"
    query = (
        select(*PUBLIC_COLUMNS)
        .where(
            users.c.username.like(pattern, escape="\\")
            | func.lower(users.c.display_name).like(pattern, escape="\\")
        )
        .order_by(users.c.username)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(users))).scalar_one())


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
