"""The user's v2 intents (edit, delete, react, rename, remove member) as outbox items."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chat_protocol.events import EventKind
from chat_protocol.models import Event, Message
from desktop_app.session.outbox import OutboxItem
from desktop_app.session.timeline import Row

if TYPE_CHECKING:
    from desktop_app.session.session import Session

# An event aimed at a message still in the outbox names it by this key in the stored data;
# the sender puts the stored message's id in its place once the server has it.
OF_CLIENT_MSG_ID = "of_client_msg_id"


class Intents:
    """Turns each intent into an outbox item whose client_event_id is chosen now, so every
    retry (and a retry after a restart) is the same request, which the server stores once.
    An edit shows its text at once as the row's `pending_edit`."""

    def __init__(self, session: Session) -> None:
        self._s = session

    # --- intents ----------------------------------------------------------------------

    def edit(
        self, group_id: int, message_id: int | None, body: str, *, client_msg_id: str = ""
    ) -> str | None:
        s = self._s
        tl = s.timeline(group_id)
        if message_id is None:
            # Still unsent: the outbox row goes out with the new text; nothing else is sent.
            # Once in flight it may have left with the old text: then an edit follows it.
            if s.sender.in_flight != client_msg_id and s.outbox.replace_body(client_msg_id, body):
                row = tl.pending_by_cid.get(client_msg_id)
                if row is not None:
                    row.body = body
                    tl.touched(len(tl.confirmed) + tl.pending.index(row))
                s.sync.show_pending(group_id)
                return client_msg_id
            data: dict[str, Any] = {OF_CLIENT_MSG_ID: client_msg_id, "body": body}
        else:
            data = {"message_id": message_id, "body": body}
        cid = self._queue(group_id, EventKind.MESSAGE_EDITED, data, body)
        self._show_pending_edit(group_id, message_id, client_msg_id, body)
        return cid

    def delete(
        self, group_id: int, message_id: int | None, *, client_msg_id: str = ""
    ) -> str | None:
        s = self._s
        if message_id is None:
            if s.sender.in_flight != client_msg_id and s.discard(client_msg_id) is not None:
                return client_msg_id
            data: dict[str, Any] = {OF_CLIENT_MSG_ID: client_msg_id}
        else:
            data = {"message_id": message_id}
        cid = self._queue(group_id, EventKind.MESSAGE_DELETED, data)
        self._mark(group_id, data, EventKind.MESSAGE_DELETED, data)
        return cid

    def react(self, group_id: int, message_id: int, emoji: str, add: bool) -> str | None:
        kind = EventKind.REACTION_ADDED if add else EventKind.REACTION_REMOVED
        data: dict[str, Any] = {"message_id": message_id, "emoji": emoji}
        cid = self._queue(group_id, kind, data)
        self._mark(group_id, data, kind, data)
        return cid

    def rename(self, group_id: int, name: str) -> str | None:
        return self._queue(group_id, EventKind.GROUP_RENAMED, {"name": name})

    def remove_member(self, group_id: int, user_id: int) -> str | None:
        return self._queue(group_id, EventKind.MEMBER_REMOVED, {"user_id": user_id})

    def _queue(self, group_id: int, kind: str, data: dict[str, Any], body: str = "") -> str:
        s = self._s
        cid = str(uuid.uuid4())
        state = s.sync.registry.get(group_id)
        name = state.name if state is not None else ""
        s.outbox.add(
            OutboxItem(
                cid, group_id, body, datetime.now(UTC), group_name=name, kind=kind, data=data
            )
        )
        s.journal.record(
            "event_queued",
            f"{kind} in {s.sync.group_name(group_id)} queued in the outbox as {cid[:8]} "
            f"({s.outbox.count()} waiting).",
            group_id,
        )
        s.listener.on_outbox_changed(s.outbox.count())
        s.sender.wake()
        return cid

    # --- pending edits on rows ---------------------------------------------------------

    def _show_pending_edit(
        self, group_id: int, message_id: int | None, client_msg_id: str, body: str | None
    ) -> None:
        found = self._target(group_id, {"message_id": message_id, OF_CLIENT_MSG_ID: client_msg_id})
        if found is not None:
            index, row = found
            row.pending_edit = body
            self._s.timeline(group_id).touched(index)

    def _target(self, group_id: int, data: dict[str, Any]) -> tuple[int, Row] | None:
        """The row an event item is about (by message id, or by the echo's client_msg_id)."""
        tl = self._s.timeline(group_id)
        message_id = data.get("message_id")
        found = tl.find(message_id) if isinstance(message_id, int) else None
        if found is None and data.get(OF_CLIENT_MSG_ID):
            index = tl.index_of_cid(data[OF_CLIENT_MSG_ID])
            found = (index, tl.row(index)) if index is not None else None
        return found

    def _mark(
        self, group_id: int, data: dict[str, Any], kind: str, pending: dict[str, Any] | None
    ) -> None:
        """Show (or, with `pending` None, stop showing) an own deletion or reaction that is
        still in the outbox."""
        found = self._target(group_id, data)
        if found is None:
            return
        index, row = found
        if kind == EventKind.MESSAGE_DELETED:
            row.pending_delete = pending is not None
        elif kind in (EventKind.REACTION_ADDED, EventKind.REACTION_REMOVED):
            toggles = dict(row.pending_reactions or {})
            if pending is None:
                toggles.pop(data["emoji"], None)
            else:
                toggles[data["emoji"]] = kind == EventKind.REACTION_ADDED
            row.pending_reactions = toggles or None
        self._s.timeline(group_id).touched(index)

    def restore(self, item: OutboxItem) -> None:
        """An intent from the last run, still queued: its row shows it again."""
        if item.data is None:
            return
        if item.kind == EventKind.MESSAGE_EDITED:
            self._show_pending_edit(
                item.group_id,
                item.data.get("message_id"),
                item.data.get(OF_CLIENT_MSG_ID, ""),
                item.body,
            )
        else:
            self._mark(item.group_id, item.data, item.kind, item.data)

    # --- SendOutcome (events) ----------------------------------------------------------

    def event_data(self, item: OutboxItem) -> dict[str, Any] | None:
        """The request's data; an event on a message that was unsent when it was made names
        the message's stored id now (None: that message never reached the server)."""
        data = dict(item.data or {})
        cid = data.pop(OF_CLIENT_MSG_ID, None)
        if cid is None:
            return data
        tl = self._s.timeline(item.group_id)
        index = tl.index_of_cid(cid)
        row = tl.row(index) if index is not None else None
        if row is None or row.id is None:
            return None
        data["message_id"] = row.id
        return data

    def delivered(self, item: OutboxItem, answer: Event | Message) -> None:
        """Stored (or the server's answer to a replay, or a reaction that changed nothing):
        the event itself arrives in the log and is applied there, in order."""
        s = self._s
        s.outbox.remove(item.client_msg_id)
        self._settle_edit(item)
        seq = answer.seq
        s.journal.record(
            "event_confirmed",
            f"The server stored {item.kind} {item.client_msg_id[:8]} "
            f"({'as #' + str(seq) if isinstance(answer, Event) else 'nothing to change'}).",
            item.group_id,
        )
        if isinstance(answer, Event):
            tl = s.timeline(item.group_id)
            if tl.hi is not None and seq > tl.hi:
                s.sync.ensure(item.group_id, seq)
        s.listener.on_outbox_changed(s.outbox.count())

    def rejected(self, item: OutboxItem, reason: str) -> None:
        """A rule refused it (403/409/422/404): settled, never retried; the user is told on
        the message's row (its error) and in the journal."""
        s = self._s
        s.outbox.remove(item.client_msg_id)
        self._settle_edit(item, error=f"{item.kind} refused: {reason}")
        s.journal.record(
            "event_failed",
            f"The server refused {item.kind} in {s.sync.group_name(item.group_id)}: "
            f"{reason.rstrip('.')}.",
            item.group_id,
        )
        s.listener.on_intent_failed(item.group_id, item.kind, reason)
        s.listener.on_outbox_changed(s.outbox.count())

    def _settle_edit(self, item: OutboxItem, error: str | None = None) -> None:
        data = item.data or {}
        tl = self._s.timeline(item.group_id)
        found = self._target(item.group_id, data)
        if found is None:
            return
        index, row = found
        if item.kind != EventKind.MESSAGE_EDITED:
            self._mark(item.group_id, data, item.kind, None)
        if item.kind == EventKind.MESSAGE_EDITED:
            waiting = [
                i.body
                for i in self._s.outbox.items()
                if i.kind == EventKind.MESSAGE_EDITED and i.data == item.data
            ]
            row.pending_edit = waiting[-1] if waiting else None
        if error is not None:
            row.error = error
        tl.touched(index)
