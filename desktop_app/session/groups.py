"""The groups of the signed-in user: names, unread counts, previews and recent activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chat_protocol.models import Group

PREVIEW_CHARS = 80


@dataclass
class GroupState:
    """What the group list shows about one group.

    Unread is `base_unread` (the server's count up to `base_seq`, from the last refresh) plus
    messages from others applied since with a higher seq; every message is applied once
    (dedupe by id), so the sum stays exact whatever order messages arrive in."""

    id: int
    name: str
    created_at: datetime
    member_count: int
    last_read_seq: int = 0
    base_seq: int = 0
    base_unread: int = 0
    extra_unread: int = 0
    preview: str = ""
    last_time: datetime | None = None
    last_seq: int = 0

    @property
    def unread(self) -> int:
        return self.base_unread + self.extra_unread

    @property
    def activity(self) -> datetime:
        return self.last_time or self.created_at

    @classmethod
    def from_group(cls, group: Group) -> GroupState:
        state = cls(id=group.id, name=group.name, created_at=group.created_at, member_count=0)
        state.refresh(group)
        return state

    def refresh(self, group: Group) -> None:
        """Take the server's view of the group (name, members, read marker, unread)."""
        self.name = group.name
        self.member_count = group.member_count
        self.last_read_seq = max(self.last_read_seq, group.last_read_seq)
        self.base_seq = group.last_seq
        self.base_unread = group.unread_count
        self.extra_unread = 0
        last = group.last_message
        if last is not None and last.seq >= self.last_seq:
            self.set_last(last.seq, last.sender.display_name, last.body, last.created_at)

    def set_last(self, seq: int, sender_name: str, body: str, at: datetime) -> None:
        self.last_seq = seq
        first_line = body.strip().splitlines()[0] if body.strip() else ""
        text = f"{sender_name}: {first_line}"
        self.preview = text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
        self.last_time = at

    def set_read(self, seq: int, unread: int, counted_to: int) -> None:
        """Read marker moved to `seq`: `unread` messages from others remain up to `counted_to`."""
        self.last_read_seq = max(self.last_read_seq, seq)
        self.base_seq = max(counted_to, self.last_read_seq)
        self.base_unread = unread
        self.extra_unread = 0


class GroupsObserver(Protocol):
    """Told about every change to the set of groups or to one group's row."""

    def group_added(self, group_id: int) -> None: ...
    def group_removed(self, group_id: int) -> None: ...
    def group_changed(self, group_id: int) -> None: ...


class GroupRegistry:
    """Every group the user belongs to, by id."""

    def __init__(self) -> None:
        self.by_id: dict[int, GroupState] = {}
        self.observer: GroupsObserver | None = None

    def __contains__(self, group_id: int) -> bool:
        return group_id in self.by_id

    def get(self, group_id: int) -> GroupState | None:
        return self.by_id.get(group_id)

    def ids(self) -> list[int]:
        return list(self.by_id)

    def upsert(self, group: Group) -> bool:
        """Add or refresh a group from the server; True when it is new."""
        state = self.by_id.get(group.id)
        if state is None:
            self.by_id[group.id] = GroupState.from_group(group)
            if self.observer is not None:
                self.observer.group_added(group.id)
            return True
        state.refresh(group)
        self.changed(group.id)
        return False

    def remove(self, group_id: int) -> bool:
        if group_id not in self.by_id:
            return False
        del self.by_id[group_id]
        if self.observer is not None:
            self.observer.group_removed(group_id)
        return True

    def changed(self, group_id: int) -> None:
        if self.observer is not None and group_id in self.by_id:
            self.observer.group_changed(group_id)
