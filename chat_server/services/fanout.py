"""What services announce after a commit; the realtime layer implements it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chat_server.wire import EventDict, UserDict


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated user, and the token hash they came with."""

    id: int
    username: str
    display_name: str
    token_hash: str

    def wire(self) -> UserDict:
        return {"id": self.id, "username": self.username, "display_name": self.display_name}


class Fanout(Protocol):
    """Announcements to connected sockets; every one happens after the data is committed.

    Membership order: `group_joined` before the `member.added` event; the `member.left` /
    `member.removed` event before `group_left` (PROTOCOL.md v2)."""

    async def message_posted(self, event: EventDict) -> None:
        """`message:new` (v1 sockets) and the `message.posted` event (v2), not awaited."""

    async def log_event(self, event: EventDict) -> None:
        """Any other log event, to the group's v2 sockets, in order with what follows."""

    async def group_joined(self, user_id: int, group: dict[str, Any]) -> None: ...

    async def group_left(self, user_id: int, group_id: int) -> None: ...

    async def read(self, user_id: int, group_id: int, seq: int) -> None: ...

    async def group_muted(self, user_id: int, group_id: int, muted: bool) -> None:
        """`group:muted` to every socket of the user (v1 and v2), on every node."""

    async def token_revoked(self, token_hash: str) -> None: ...


class NullFanout:
    """Used where no socket server runs (the `user add` command)."""

    async def message_posted(self, event: EventDict) -> None:
        return None

    async def log_event(self, event: EventDict) -> None:
        return None

    async def group_joined(self, user_id: int, group: dict[str, Any]) -> None:
        return None

    async def group_left(self, user_id: int, group_id: int) -> None:
        return None

    async def read(self, user_id: int, group_id: int, seq: int) -> None:
        return None

    async def group_muted(self, user_id: int, group_id: int, muted: bool) -> None:
        return None

    async def token_revoked(self, token_hash: str) -> None:
        return None


class FanoutRelay:
    """Forwards to a Fanout set later: services are built before the realtime layer they use."""

    def __init__(self) -> None:
        self.target: Fanout = NullFanout()

    async def message_posted(self, event: EventDict) -> None:
        await self.target.message_posted(event)

    async def log_event(self, event: EventDict) -> None:
        await self.target.log_event(event)

    async def group_joined(self, user_id: int, group: dict[str, Any]) -> None:
        await self.target.group_joined(user_id, group)

    async def group_left(self, user_id: int, group_id: int) -> None:
        await self.target.group_left(user_id, group_id)

    async def read(self, user_id: int, group_id: int, seq: int) -> None:
        await self.target.read(user_id, group_id, seq)

    async def group_muted(self, user_id: int, group_id: int, muted: bool) -> None:
        await self.target.group_muted(user_id, group_id, muted)

    async def token_revoked(self, token_hash: str) -> None:
        await self.target.token_revoked(token_hash)
