"""SQL for login tokens (only their sha256 hashes are stored)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.storage import control
from chat_server.storage.schema import tokens, users


async def insert_token(
    conn: AsyncConnection, user_id: int, token_hash: str, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        insert(tokens).values(
            user_id=user_id, token_hash=token_hash, created_at=now, expires_at=expires_at
        )
    )


async def lookup(conn: AsyncConnection, token_hash: str, now: datetime) -> Row | None:
    """The token's user and expiry if the token is live (not revoked, not expired)."""
    query = (
        select(users.c.id, users.c.username, users.c.display_name, tokens.c.expires_at)
        .join(users, users.c.id == tokens.c.user_id)
        .where(
            tokens.c.token_hash == token_hash,
            tokens.c.revoked_at.is_(None),
            tokens.c.expires_at > now,
        )
    )
    return (await conn.execute(query)).first()


async def revoke(conn: AsyncConnection, token_hash: str, now: datetime) -> bool:
    """Revoke a live token and log it for every node, in the caller's transaction."""
    result = await conn.execute(
        update(tokens)
        .where(tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(tokens.c.user_id)
    )
    user_id = result.scalar_one_or_none()
    if user_id is None:
        return False
    await control.append(
        conn, control.TOKEN_REVOKED, now, user_id=int(user_id), token_hash=token_hash
    )
    return True


async def live_hashes(
    conn: AsyncConnection, token_hashes: Collection[str], now: datetime
) -> set[str]:
    """Which of these tokens are still live (not revoked, not expired)."""
    query = select(tokens.c.token_hash).where(
        tokens.c.token_hash.in_(list(token_hashes)),
        tokens.c.revoked_at.is_(None),
        tokens.c.expires_at > now,
    )
    return set((await conn.execute(query)).scalars().all())
