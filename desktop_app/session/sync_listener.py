"""What the sync engine tells the rest of the session, and the news a catch-up brings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from chat_protocol.models import Message
from desktop_app.session.timeline import Row


class SyncFailed(Exception):
    """A catch-up could not finish (the server was unreachable); the caller retries."""


class Removal(StrEnum):
    """Why a group's unsent messages can no longer be delivered."""

    LEFT = "left"  # the user is no longer a member (removed, left elsewhere, group gone)
    LOST = "lost"  # the server no longer has the group's history (restored from a backup)
    OTHER_SERVER = "other_server"  # typed for another server instance at this address


class SyncListener(Protocol):
    """What the engine tells the rest of the session (and through it, the UI)."""

    def on_message_received(self, group_id: int, message: Message) -> None: ...
    def on_caught_up(self, group_id: int, newest: Message, count: int) -> None: ...
    def on_own_confirmed(self, client_msg_ids: list[str]) -> None: ...
    def on_group_added(self, group_id: int) -> None: ...
    def on_group_removed(
        self, group_id: int, name: str, reason: Removal = Removal.LEFT
    ) -> None: ...
    def on_server_verified(self) -> None: ...
    def on_typing(self, group_id: int, display_name: str) -> None: ...


@dataclass
class CatchUpNews:
    """Messages from others that a catch-up brought, newer than `floor` (a read marker):
    announced once per group and catch-up (the newest, with the count), not one by one.
    `mention` is the newest of them that mentions the user: what a muted group announces."""

    floor: int
    count: int = 0
    newest: Message | None = None
    mention: Message | None = None

    def collect(self, messages: list[Message], new_rows: list[Row], my_id: int) -> None:
        new_seqs = {row.seq for row in new_rows if row.sender_id != my_id}
        for message in messages:
            if message.seq in new_seqs and message.seq > self.floor:
                self.count += 1
                if self.newest is None or message.seq > self.newest.seq:
                    self.newest = message
                if my_id in message.mentions and not message.deleted:
                    if self.mention is None or message.seq > self.mention.seq:
                        self.mention = message
