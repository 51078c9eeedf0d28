"""User lookups for the people picker."""

from __future__ import annotations

from chat_server.storage import users
from chat_server.storage.db import Database
from chat_server.wire import UserDict, user_dict


class UserService:
    def __init__(self, db: Database, search_max: int) -> None:
        self.db = db
        self.search_max = search_max

    async def search(self, prefix: str) -> list[UserDict]:
        async with self.db.read() as conn:
            rows = await users.search(conn, prefix, self.search_max)
        return [user_dict(r) for r in rows]
