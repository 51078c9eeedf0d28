"""One group's members as the client holds them: who, who created it, how far each has read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chat_protocol.models import GroupDetail, User


@dataclass(slots=True)
class MemberInfo:
    """A member and their read marker (the seq they have read up to)."""

    id: int
    username: str
    display_name: str
    last_read_seq: int = 0


class MembersObserver(Protocol):
    """Told around every change, so a Qt model can forward it."""

    def members_reset(self) -> None: ...
    def member_changed(self, user_id: int) -> None: ...


class GroupMembers:
    """The members of one group in join order (the server's order, then added ones), kept
    live from GET /api/groups/{id}, member.* events and `read` notices."""

    def __init__(self, group_id: int, my_id: int) -> None:
        self.group_id = group_id
        self.my_id = my_id
        self.creator_id: int | None = None
        self.by_id: dict[int, MemberInfo] = {}
        self.loaded = False
        self.observers: list[MembersObserver] = []
        self.revision = 0  # changes so far (the cache writes the list when it moves)

    def __len__(self) -> int:
        return len(self.by_id)

    def ordered(self) -> list[MemberInfo]:
        return list(self.by_id.values())

    def names(self) -> dict[int, str]:
        return {m.id: m.display_name for m in self.by_id.values()}

    def reset(self, detail: GroupDetail) -> None:
        """Take the server's full list (bootstrap or catch-up repair)."""
        old = {m.id: m.last_read_seq for m in self.by_id.values()}
        self.creator_id = detail.creator.id if detail.creator is not None else None
        self.by_id = {
            m.id: MemberInfo(
                m.id, m.username, m.display_name, max(m.last_read_seq, old.get(m.id, 0))
            )
            for m in detail.members
        }
        self.loaded = True
        self.revision += 1
        for obs in self.observers:
            obs.members_reset()

    def restore(self, cached: dict[str, Any]) -> None:
        """The list as the cache wrote it (replaced by the server's at the next `ready`)."""
        self.creator_id = cached.get("creator_id")
        self.by_id = {
            int(m["id"]): MemberInfo(
                int(m["id"]), str(m["username"]), str(m["display_name"]), int(m["last_read_seq"])
            )
            for m in cached.get("members", [])
        }
        self.loaded = True
        for obs in self.observers:
            obs.members_reset()

    def add(self, user: User) -> bool:
        if user.id in self.by_id:
            return False
        self.by_id[user.id] = MemberInfo(user.id, user.username, user.display_name)
        self.revision += 1
        for obs in self.observers:
            obs.members_reset()
        return True

    def remove(self, user_id: int) -> bool:
        if self.by_id.pop(user_id, None) is None:
            return False
        self.revision += 1
        for obs in self.observers:
            obs.members_reset()
        return True

    def set_read(self, user_id: int, seq: int) -> bool:
        """A member's read marker moved (markers only move forward)."""
        member = self.by_id.get(user_id)
        if member is None or seq <= member.last_read_seq:
            return False
        member.last_read_seq = seq
        self.revision += 1
        for obs in self.observers:
            obs.member_changed(user_id)
        return True

    def readers_of(self, seq: int, author_id: int) -> list[MemberInfo]:
        """The other members (not the author) who have read up to `seq`."""
        return [m for m in self.by_id.values() if m.id != author_id and m.last_read_seq >= seq]

    def all_read(self, seq: int, author_id: int) -> bool:
        """Every other current member has read `seq` (False when the author is alone)."""
        others = [m for m in self.by_id.values() if m.id != author_id]
        return bool(others) and all(m.last_read_seq >= seq for m in others)
