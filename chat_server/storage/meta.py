"""SQL for server_meta: the instance id that names this database (made once, kept by backups)."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.storage.schema import server_meta

INSTANCE_KEY = "instance_id"


async def instance_id(conn: AsyncConnection) -> str:
    """This database's instance id; one is made if the row is missing (a hand-edited database)."""
    value = (
        await conn.execute(select(server_meta.c.value).where(server_meta.c.key == INSTANCE_KEY))
    ).scalar_one_or_none()
    if value:
        return str(value)
    made = str(uuid.uuid4())
    await conn.execute(insert(server_meta).values(key=INSTANCE_KEY, value=made))
    return made
