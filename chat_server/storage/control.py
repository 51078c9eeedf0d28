"""SQL for the control log: revocations and membership ends that every node follows by id."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Row, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.storage.schema import control_log

TOKEN_REVOKED = "token_revoked"
MEMBER_REMOVED = "member_removed"  # left or removed: either way the user no longer hears it


async def append(
    conn: AsyncConnection,
    kind: str,
    at: datetime,
    *,
    user_id: int | None = None,
    group_id: int | None = None,
    token_hash: str | None = None,
) -> None:
    """Log a change in the caller's transaction, so it is followed exactly when it commits."""
    await conn.execute(
        insert(control_log).values(
            kind=kind, user_id=user_id, group_id=group_id, token_hash=token_hash, at=at
        )
    )


async def head(conn: AsyncConnection) -> int:
    """The newest id (0 for an empty log)."""
    return int(
        (await conn.execute(select(func.coalesce(func.max(control_log.c.id), 0)))).scalar_one()
    )


async def after(
    conn: AsyncConnection, last_id: int, missing: Collection[int], limit: int
) -> list[Row]:
    """Rows past `last_id`, and those of `missing` ids (lower ids not committed at the last
    read) that have committed since; ascending id. A primary-key range scan."""
    newer = control_log.c.id > last_id
    where = or_(newer, control_log.c.id.in_(list(missing))) if missing else newer
    query = select(control_log).where(where).order_by(control_log.c.id).limit(limit)
    return list((await conn.execute(query)).all())


async def prune(conn: AsyncConnection, before: datetime) -> int:
    """Delete rows older than `before`, always keeping the newest one: SQLite would hand an
    emptied table's next row an id that followers have already passed."""
    newest = select(func.max(control_log.c.id)).scalar_subquery()
    result = await conn.execute(
        delete(control_log).where(control_log.c.at < before, control_log.c.id < newest)
    )
    return int(result.rowcount or 0)
