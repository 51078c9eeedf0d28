"""The protocol v2 half of the sync engine (a mixin of SyncEngine): log events live and in
catch-up pages, members and their read markers (seen-by), reply quotes, unread upkeep."""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from chat_protocol.events import EventKind
from chat_protocol.models import Event, MemberReadNotice, Message, WireModel
from desktop_app.net.rest import RestClient
from desktop_app.session.attachments import preview_body
from desktop_app.session.events import EventApplier
from desktop_app.session.extras import EXCERPT_CHARS, ReplyQuote
from desktop_app.session.groups import GroupRegistry
from desktop_app.session.journal import Journal
from desktop_app.session.members import GroupMembers
from desktop_app.session.mentions import track_mention
from desktop_app.session.reads import ReadMarkers
from desktop_app.session.timeline import Row, Timeline

if TYPE_CHECKING:
    import asyncio

    from chat_protocol.models import User

W = TypeVar("W", bound=WireModel)

# GET /api/groups/{id} answers older than the applied log are asked again this often.
MEMBERS_LOAD_TRIES = 3
# A read marker repaints at most this many rows below it (the ones on screen, in practice).
TICK_REPAINT_ROWS = 200


def parsed(model: type[W], data: Any, journal: Journal, what: str) -> W | None:
    """A socket payload as its wire model, or None (and a journal entry) when malformed."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        journal.record("error", f"Ignored a malformed {what}: {exc}")
        return None


class LogSync:
    """Applying the group logs; the state and helpers it uses are SyncEngine's."""

    rest: RestClient
    journal: Journal
    me: User
    registry: GroupRegistry
    reads: ReadMarkers
    gap_grace: float
    applier: EventApplier
    member_lists: dict[int, GroupMembers]

    if TYPE_CHECKING:

        def timeline(self, group_id: int) -> Timeline: ...
        def members(self, group_id: int) -> GroupMembers: ...
        def group_name(self, group_id: int) -> str: ...
        def on_message_new(self, data: Any) -> None: ...
        def ensure(self, group_id: int, target: int) -> asyncio.Task[int]: ...
        def _refresh_soon(self) -> None: ...
        def _fetch_gap_soon(self, group_id: int, target: int) -> None: ...
        def _apply_page(
            self, group_id: int, messages: list[Message], overlap: bool = False
        ) -> list[Row]: ...

    def on_read(self, data: Any) -> None:
        """`read`: on v2 sockets any member's marker (seen-by); our own moves the unread count."""
        try:
            notice = MemberReadNotice.model_validate(data)
        except ValidationError:
            self.reads.on_read(data)  # a v1 payload: our own marker
            return
        if notice.group_id in self.member_lists:
            members = self.members(notice.group_id)
            if members.set_read(notice.user_id, notice.seq):
                self._ticks_changed(notice.group_id, notice.seq)
        if notice.user_id == self.me.id:
            self.reads.on_read(data)

    def _ticks_changed(self, group_id: int, seq: int) -> None:
        """Own rows up to `seq` may show another tick or reader: tell the view."""
        tl = self.timeline(group_id)
        end = bisect_right(tl.seqs, seq)
        if end:
            tl.touched_range(max(0, end - TICK_REPAINT_ROWS), end - 1)

    def on_event(self, data: Any) -> None:
        """A v2 log event. A new message takes the message path (gaps there are fetched as
        ever); any other kind is applied only at the group's next seq (`hi + 1`): one that
        skips a seq waits for the catch-up it starts, so a group's events apply in order."""
        event = parsed(Event, data, self.journal, "event")
        if event is None:
            return
        gid = event.group_id
        if event.kind == EventKind.MESSAGE_POSTED:
            self.on_message_new(event.data)
            return
        if gid not in self.registry:
            self._refresh_soon()
            return
        tl = self.timeline(gid)
        hi = tl.hi
        if hi is None:
            self.ensure(gid, event.seq)
        elif event.seq <= hi or event.seq in tl.gaps:
            return  # applied already (a catch-up page brought it first)
        elif event.seq == hi + 1:
            self.applier.apply(event)
        else:
            self.journal.record(
                "gap_detected",
                f"Live event #{event.seq} in {self.group_name(gid)} skips #{hi + 1}; fetching "
                f"the gap unless it arrives within {self.gap_grace:g} s.",
                gid,
            )
            self._fetch_gap_soon(gid, event.seq)

    def apply_events(self, group_id: int, events: list[Event]) -> tuple[list[Message], list[Row]]:
        """Apply a page of the log in order (catch-up); returns the messages and the rows
        that were new. Events the timeline already passed are skipped (dedup by seq)."""
        tl = self.timeline(group_id)
        messages: list[Message] = []
        new_rows: list[Row] = []
        run: list[Message] = []

        def flush() -> None:
            if run:
                new_rows.extend(self._apply_page(group_id, list(run), overlap=True))
                messages.extend(run)
                run.clear()

        for event in events:
            if event.kind == EventKind.MESSAGE_POSTED:
                try:
                    run.append(Message.model_validate(event.data))
                except ValidationError as exc:
                    self.journal.record("error", f"Ignored a malformed message event: {exc}")
                    tl.note_event(event.seq)
                continue
            flush()
            if (tl.hi is not None and event.seq <= tl.hi) or event.seq in tl.gaps:
                continue
            self.applier.apply(event)
        flush()
        return messages, new_rows

    def quote(self, group_id: int, message_id: int | None) -> ReplyQuote | None:
        """What a pending reply shows until the server's copy (with its excerpt) arrives."""
        found = self.timeline(group_id).find(message_id) if message_id is not None else None
        if found is None:
            return None
        row = found[1]
        return ReplyQuote(
            row.id or 0, row.seq or 0, row.sender_id, row.sender_name, row.body[:EXCERPT_CHARS]
        )

    def uncount(self, group_id: int, row: Row) -> None:
        """A message from someone else is being deleted: if it was unread, it is no more
        (the server's unread count leaves deleted messages out too)."""
        state = self.registry.get(group_id)
        seq = row.seq or 0
        if state is None or row.sender_id == self.me.id or seq <= state.last_read_seq:
            return
        if seq > state.base_seq:
            state.extra_unread = max(0, state.extra_unread - 1)
        else:
            state.base_unread = max(0, state.base_unread - 1)
        self.registry.changed(group_id)

    def message_changed(self, group_id: int, row: Row) -> None:
        """A held message was edited or deleted: the list's preview follows its newest one."""
        state = self.registry.get(group_id)
        if state is not None and row.seq is not None and track_mention(state, row, self.me.id):
            self.registry.changed(group_id)
        if state is not None and row.seq == state.last_seq:
            body = preview_body(row.body, row.attachments)
            state.set_last(row.seq, row.sender_name, body, row.created_at, row.sender_id)
            self.registry.changed(group_id)

    async def load_members(self, group_id: int) -> None:
        """Take the group's members and read markers from GET /api/groups/{id}. An answer
        older than what the log has applied is asked again (it would undo live changes)."""
        for _ in range(MEMBERS_LOAD_TRIES):
            detail = await self.rest.group(group_id)
            hi = self.timeline(group_id).hi or 0
            if detail.head_seq >= hi or _ == MEMBERS_LOAD_TRIES - 1:
                self.members(group_id).reset(detail)
                state = self.registry.get(group_id)
                if state is not None:
                    state.member_count = len(detail.members)
                    state.creator_id = detail.creator.id if detail.creator else None
                    self.registry.changed(group_id)
                return
