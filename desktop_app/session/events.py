"""Applying protocol v2 log events to a group's timeline, members and list row: one handler
per kind in `event_actions` (as zulip-terminal routes its events)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import ValidationError

from chat_protocol.events import EventKind
from chat_protocol.models import (
    Event,
    GroupRenamedData,
    MemberData,
    MessageEditedData,
    MessageRefData,
    ReactionData,
)
from desktop_app.session.extras import EXCERPT_CHARS, SystemLine
from desktop_app.session.timeline import SENT, Row, Timeline

if TYPE_CHECKING:
    from desktop_app.session.sync import SyncEngine

log = logging.getLogger(__name__)

# Kinds shown as a line in the timeline (they take a row at their seq).
SYSTEM_KINDS = frozenset(
    {
        EventKind.MEMBER_ADDED,
        EventKind.MEMBER_LEFT,
        EventKind.MEMBER_REMOVED,
        EventKind.GROUP_RENAMED,
    }
)


def system_text(event: Event) -> tuple[str, int | None]:
    """The words of a system line, and the member it is about."""
    actor = event.actor.display_name
    if event.kind == EventKind.GROUP_RENAMED:
        return (
            f"{actor} renamed the group to {GroupRenamedData.model_validate(event.data).name}",
            None,
        )
    user = MemberData.model_validate(event.data).user
    if event.kind == EventKind.MEMBER_ADDED:
        return f"{actor} added {user.display_name}", user.id
    if event.kind == EventKind.MEMBER_LEFT:
        return f"{user.display_name} left", user.id
    return f"{actor} removed {user.display_name}", user.id


def system_row(event: Event, my_id: int) -> Row:
    """A system line as a confirmed row: its id is minus its seq (never a message id)."""
    text, subject = system_text(event)
    row = Row(
        id=-event.seq,
        seq=event.seq,
        sender_id=event.actor.id,
        sender_name=event.actor.display_name,
        body=text,
        created_at=event.at,
        client_msg_id="",
        state=SENT,
        is_own=event.actor.id == my_id,
    )
    row.system = SystemLine(event.kind, event.actor.id, subject, text)
    return row


class EventApplier:
    """Applies events that are not new messages (those go through the sync engine's message
    path). Each handler is idempotent: replaying an event that a REST page already reflects
    leaves the state as it was, so a bootstrap may overlap the log."""

    def __init__(self, engine: SyncEngine) -> None:
        self._sync = engine
        self.event_actions: dict[str, Callable[[Event, Timeline], None]] = {
            EventKind.MESSAGE_EDITED: self._edited,
            EventKind.MESSAGE_DELETED: self._deleted,
            EventKind.REACTION_ADDED: self._reaction,
            EventKind.REACTION_REMOVED: self._reaction,
            EventKind.MEMBER_ADDED: self._member,
            EventKind.MEMBER_LEFT: self._member,
            EventKind.MEMBER_REMOVED: self._member,
            EventKind.GROUP_RENAMED: self._renamed,
        }

    def apply(self, event: Event) -> bool:
        """Apply one event at the group's next seq; False if its data was unreadable."""
        tl = self._sync.timeline(event.group_id)
        action = self.event_actions.get(event.kind)
        try:
            if action is not None:
                action(event, tl)
        except (ValidationError, KeyError) as exc:
            self._sync.journal.record(
                "error", f"Ignored event #{event.seq} ({event.kind}) with bad data: {exc}"
            )
        if event.kind not in SYSTEM_KINDS:
            tl.note_event(event.seq)
        return True

    # --- message events ---------------------------------------------------------------

    def _edited(self, event: Event, tl: Timeline) -> None:
        data = MessageEditedData.model_validate(event.data)
        found = tl.find(data.message_id)
        if found is None:
            return
        index, row = found
        row.body = data.body
        row.edited_at = data.edited_at
        row.mentions = tuple(data.mentions) or None
        tl.touched(index)
        self._requote(tl, index, data.message_id, data.body[:EXCERPT_CHARS])
        self._sync.message_changed(event.group_id, row)

    def _deleted(self, event: Event, tl: Timeline) -> None:
        data = MessageRefData.model_validate(event.data)
        found = tl.find(data.message_id)
        if found is None:
            return
        index, row = found
        if not row.deleted:
            self._sync.uncount(event.group_id, row)
        row.deleted = True
        row.body = ""
        row.reactions = None
        row.attachments = None  # the server deletes the files with the message
        row.mentions = None
        row.pending_edit = None
        tl.touched(index)
        self._requote(tl, index, data.message_id, "")
        self._sync.message_changed(event.group_id, row)

    @staticmethod
    def _requote(tl: Timeline, index: int, message_id: int, excerpt: str) -> None:
        # Replies come after their original, so only the rows after it are looked at.
        for i in range(index + 1, len(tl.confirmed)):
            quote = tl.confirmed[i].reply_to
            if quote is not None and quote.message_id == message_id:
                quote.excerpt = excerpt
                tl.touched(i)

    def _reaction(self, event: Event, tl: Timeline) -> None:
        data = ReactionData.model_validate(event.data)
        found = tl.find(data.message_id)
        if found is None:
            return
        index, row = found
        if row.deleted:
            return
        reactions = row.reactions or {}
        users = reactions.get(data.emoji, [])
        actor = event.actor.id
        if event.kind == EventKind.REACTION_ADDED:
            if actor in users:
                return
            users = sorted([*users, actor])
            reactions[data.emoji] = users
            reactions = dict(sorted(reactions.items()))
        else:
            if actor not in users:
                return
            users = [u for u in users if u != actor]
            if users:
                reactions[data.emoji] = users
            else:
                del reactions[data.emoji]
        row.reactions = reactions or None
        tl.touched(index)

    # --- group events ---------------------------------------------------------------

    def _system_line(self, event: Event, tl: Timeline) -> None:
        if tl.loaded:
            tl.merge((system_row(event, self._sync.me.id),))

    def _member(self, event: Event, tl: Timeline) -> None:
        user = MemberData.model_validate(event.data).user
        members = self._sync.members(event.group_id)
        changed = (
            members.add(user) if event.kind == EventKind.MEMBER_ADDED else members.remove(user.id)
        )
        state = self._sync.registry.get(event.group_id)
        if changed and state is not None and members.loaded:
            state.member_count = len(members)
            self._sync.registry.changed(event.group_id)
        self._system_line(event, tl)

    def _renamed(self, event: Event, tl: Timeline) -> None:
        name = GroupRenamedData.model_validate(event.data).name
        state = self._sync.registry.get(event.group_id)
        if state is not None and state.name != name:
            state.name = name
            self._sync.registry.changed(event.group_id)
        self._system_line(event, tl)
