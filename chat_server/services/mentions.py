"""Who a message mentions: its `@username` tokens that name members of its group now.

Computed inside the transaction that stores the message or its edit, so the list matches the
membership the message was written against. Most bodies have no `@` at all: they cost no
query. The token rules live in chat_protocol.mentions (the desktop app reads bodies the same
way to highlight them).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from chat_protocol.mentions import candidate_names, mentioned_ids
from chat_server.storage import groups


async def mentions_in(conn: AsyncConnection, group_id: int, body: str) -> list[int]:
    """The ids of the group's members `body` mentions, each once, in the order written."""
    names = candidate_names(body)
    if not names:
        return []
    members = await groups.members_named(conn, group_id, sorted(names))
    return mentioned_ids(body, members) if members else []
