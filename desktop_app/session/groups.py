"""The groups of the signed-in user: names, unread counts, previews and recent activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chat_protocol.models import Group
from desktop_app.session.attachments import preview_body

PREVIEW_CHARS = 80
# How the list names the signed-in user as the sender of a preview.
OWN_SENDER_LABEL = "You"


DELETED_PREVIEW = "message deleted"


def preview_text(sender_name: str, body: str) -> str:
    """The preview line: the sender, then the first line of the body, cut to PREVIEW_CHARS."""
    # Bodies are never blank on the wire, so an empty one is a deleted message's tombstone.
    first_line = body.strip().splitlines()[0] if body.strip() else DELETED_PREVIEW
    text = f"{sender_name}: {first_line}"
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


@dataclass
class GroupState:
    """What the group list shows about one group.

    Unread is `base_unread` (the server's count up to `base_seq`, from the last refresh) plus
    messages from others applied since with a higher seq; every message is applied once
    (dedupe by id), so the sum stays exact whatever order messages arrive in.

    The preview is the newest of the last stored message and the user's own newest unsent
    one, so the list shows what was just typed at once and the group moves up."""

    id: int
    name: str
    created_at: datetime
    member_count: int
    last_read_seq: int = 0
    base_seq: int = 0
    base_unread: int = 0
    extra_unread: int = 0
    my_id: int | None = None
    stored_preview: str = ""
    stored_time: datetime | None = None
    last_seq: int = 0
    pending_preview: str = ""
    pending_time: datetime | None = None
    creator_id: int | None = None
    # Issue 12: the user's own mute setting, and the seqs of held messages that mention them.
    muted: bool = False
    mention_seqs: set[int] = field(default_factory=set)

    @property
    def unread(self) -> int:
        return self.base_unread + self.extra_unread

    @property
    def unread_mention(self) -> bool:
        """An unread message here mentions the user (the list marks it with @)."""
        return any(seq > self.last_read_seq for seq in self.mention_seqs)

    @property
    def _pending_is_newer(self) -> bool:
        if self.pending_time is None:
            return False
        return self.stored_time is None or self.pending_time >= self.stored_time

    @property
    def preview(self) -> str:
        return self.pending_preview if self._pending_is_newer else self.stored_preview

    @property
    def last_time(self) -> datetime | None:
        return self.pending_time if self._pending_is_newer else self.stored_time

    @property
    def activity(self) -> datetime:
        return self.last_time or self.created_at

    @classmethod
    def from_group(cls, group: Group, my_id: int | None = None) -> GroupState:
        state = cls(
            id=group.id, name=group.name, created_at=group.created_at, member_count=0, my_id=my_id
        )
        state.refresh(group)
        return state

    def refresh(self, group: Group) -> None:
        """Take the server's view of the group (name, members, read marker, unread)."""
        self.name = group.name
        self.muted = group.muted
        self.member_count = group.member_count
        if group.creator is not None:
            self.creator_id = group.creator.id
        self.last_read_seq = max(self.last_read_seq, group.last_read_seq)
        self.base_seq = group.last_seq
        self.base_unread = group.unread_count
        self.extra_unread = 0
        last = group.last_message
        if last is not None and last.seq >= self.last_seq:
            self.set_last(
                last.seq,
                last.sender.display_name,
                preview_body(last.body, last.attachments),
                last.created_at,
                last.sender.id,
            )

    def set_last(
        self,
        seq: int,
        sender_name: str,
        body: str,
        at: datetime,
        sender_id: int | None = None,
    ) -> None:
        """The newest stored message of the group (own ones are shown as "You: …")."""
        self.last_seq = seq
        own = sender_id is not None and sender_id == self.my_id
        self.stored_preview = preview_text(OWN_SENDER_LABEL if own else sender_name, body)
        self.stored_time = at

    def set_pending(self, body: str | None, at: datetime | None = None) -> None:
        """The user's newest unsent message here (None: there is none any more)."""
        if body is None or at is None:
            self.pending_preview, self.pending_time = "", None
        else:
            self.pending_preview = preview_text(OWN_SENDER_LABEL, body)
            self.pending_time = at

    def set_read(self, seq: int, unread: int, counted_to: int) -> None:
        """Read marker moved to `seq`: `unread` messages from others remain up to `counted_to`."""
        self.last_read_seq = max(self.last_read_seq, seq)
        self.base_seq = max(counted_to, self.last_read_seq)
        self.base_unread = unread
        self.extra_unread = 0
        self.mention_seqs = {s for s in self.mention_seqs if s > self.last_read_seq}


class GroupsObserver(Protocol):
    """Told about every change to the set of groups or to one group's row."""

    def group_added(self, group_id: int) -> None: ...
    def group_removed(self, group_id: int) -> None: ...
    def group_changed(self, group_id: int) -> None: ...


class GroupRegistry:
    """Every group the user belongs to, by id."""

    def __init__(self, my_id: int | None = None) -> None:
        self.by_id: dict[int, GroupState] = {}
        self.observer: GroupsObserver | None = None
        self.my_id = my_id

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
            self.by_id[group.id] = GroupState.from_group(group, self.my_id)
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
