"""One group's messages in display order: confirmed rows by seq, then pending local echoes."""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chat_protocol.models import Message
from desktop_app.session.attachments import FileRef
from desktop_app.session.extras import ReplyQuote, SystemLine

log = logging.getLogger(__name__)

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


class Row:
    """A message as the client shows it; slotted and flat so 100,000 of them stay small."""

    __slots__ = (
        "attachments",
        "body",
        "client_msg_id",
        "created_at",
        "deleted",
        "edited_at",
        "error",
        "id",
        "is_own",
        "mentions",
        "pending_delete",
        "pending_edit",
        "pending_reactions",
        "reactions",
        "reply_to",
        "sender_id",
        "sender_name",
        "seq",
        "state",
        "system",
    )

    def __init__(
        self,
        *,
        id: int | None,
        seq: int | None,
        sender_id: int,
        sender_name: str,
        body: str,
        created_at: datetime,
        client_msg_id: str,
        state: str,
        is_own: bool,
        error: str | None = None,
    ) -> None:
        self.id = id
        self.seq = seq
        self.sender_id = sender_id
        self.sender_name = sender_name
        self.body = body
        self.created_at = created_at
        self.client_msg_id = client_msg_id
        self.state = state
        self.is_own = is_own
        self.error = error
        self.edited_at: datetime | None = None
        self.deleted = False
        self.reply_to: ReplyQuote | None = None
        # emoji -> user ids ascending; kept in emoji code point order by the event handlers.
        self.reactions: dict[str, list[int]] | None = None
        self.system: SystemLine | None = None
        # The user ids the message mentions (issue 12); None for the many that mention nobody.
        self.mentions: tuple[int, ...] | None = None
        self.pending_edit: str | None = None
        # Own intents still in the outbox: a deletion, and reactions (emoji -> add or remove).
        self.pending_delete = False
        self.pending_reactions: dict[str, bool] | None = None
        # Issue 12: the message's files (stored ones, or a pending echo's staged copies).
        self.attachments: tuple[FileRef, ...] | None = None

    @property
    def is_message(self) -> bool:
        """A message that counts (unread, notifications): not a system line, not deleted."""
        return self.system is None and not self.deleted

    @classmethod
    def from_message(cls, message: Message, my_id: int, names: dict[int, str]) -> Row:
        """A confirmed row for a server message; `names` shares one string per sender.

        Only own messages keep their client_msg_id (echo matching needs nothing else, and
        100,000 UUID strings cost ~8 MB); others' rows hold an empty string."""
        sender = message.sender
        name = names.get(sender.id)
        if name != sender.display_name:
            name = names[sender.id] = sender.display_name
        row = cls(
            id=message.id,
            seq=message.seq,
            sender_id=sender.id,
            sender_name=name,
            body=message.body,
            created_at=message.created_at,
            client_msg_id=message.client_msg_id if sender.id == my_id else "",
            state=SENT,
            is_own=sender.id == my_id,
        )
        row.edited_at = message.edited_at
        row.deleted = message.deleted
        if message.reply_to is not None:
            q = message.reply_to
            row.reply_to = ReplyQuote(
                q.message_id, q.seq, q.sender.id, q.sender.display_name, q.excerpt
            )
        if message.reactions:
            row.reactions = {r.emoji: sorted(r.user_ids) for r in message.reactions}
        if message.attachments:
            row.attachments = tuple(FileRef.of(a) for a in message.attachments)
        if message.mentions:
            row.mentions = tuple(message.mentions)
        return row

    def __repr__(self) -> str:
        return f"Row(seq={self.seq}, id={self.id}, state={self.state}, body={self.body[:20]!r})"


class TimelineObserver(Protocol):
    """Told around every change, in Qt's begin/end style, so a Qt model can forward it."""

    def begin_insert(self, first: int, last: int) -> None: ...
    def end_insert(self) -> None: ...
    def begin_remove(self, first: int, last: int) -> None: ...
    def end_remove(self) -> None: ...
    def changed(self, first: int, last: int) -> None: ...


@dataclass
class MergeResult:
    """What merging a batch of server messages did. `new_rows` are the rows that were not
    held before as confirmed rows, in seq order: the ones added plus own echoes confirmed
    (what previews, unread counts and notifications are about; duplicates are not)."""

    added: int = 0
    duplicates: int = 0
    own_matched: int = 0
    matched_cids: list[str] = field(default_factory=list)
    new_rows: list[Row] = field(default_factory=list)
    # Seqs held as another message than the server's (another id or time): the server's
    # history is not the one held (restored from an older backup); the caller starts over.
    conflicts: list[int] = field(default_factory=list)


class Timeline:
    """Rows of one group. Confirmed rows are unique (by id, found through seq) and sorted by seq; `hi` is the
    highest seq up to which everything from `lo` is present, the point catch-up asks from."""

    def __init__(self, group_id: int) -> None:
        self.group_id = group_id
        self.confirmed: list[Row] = []
        self.seqs: list[int] = []
        self.pending: list[Row] = []
        self.pending_by_cid: dict[str, Row] = {}
        # Confirmed rows by id (event handlers find the message an event names).
        self.by_id: dict[int, Row] = {}
        # Seqs of log events that are no row (edits, deletions, reactions): `hi` passes them.
        self.gaps: set[int] = set()
        # Seqs of rows changed in place since the cache last wrote them, and a change count.
        self.dirty: set[int] = set()
        self.revision = 0
        self.lo: int | None = None
        self.hi: int | None = None
        self.at_start = False
        self.resets = 0  # how often `reset` dropped the rows (a cache then rewrites them all)
        self.observer: TimelineObserver | None = None

    # --- reading ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.confirmed) + len(self.pending)

    def row(self, index: int) -> Row:
        n = len(self.confirmed)
        return self.confirmed[index] if index < n else self.pending[index - n]

    @property
    def loaded(self) -> bool:
        """True once the newest page (or a catch-up) has anchored `hi`."""
        return self.hi is not None

    @property
    def max_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    def has_older(self) -> bool:
        return not self.at_start and (self.lo is None or self.lo > 1)

    def index_of_cid(self, client_msg_id: str) -> int | None:
        row = self.pending_by_cid.get(client_msg_id)
        if row is not None:
            return len(self.confirmed) + self.pending.index(row)
        for i in range(len(self.confirmed) - 1, -1, -1):
            if self.confirmed[i].client_msg_id == client_msg_id:
                return i
        return None

    def last_confirmed(self) -> Row | None:
        return self.confirmed[-1] if self.confirmed else None

    # --- anchoring -------------------------------------------------------------------

    def anchor(self, lo: int, at_start: bool) -> None:
        """Mark rows from seq `lo` upward as the contiguous base (after the first page)."""
        self.lo = lo if self.lo is None else min(self.lo, lo)
        if self.hi is None:
            self.hi = lo - 1
        self.at_start = self.at_start or at_start or lo <= 1
        self._advance_hi()

    def reset(self) -> int:
        """Forget every confirmed row and the anchor (pending echoes stay), so the next
        catch-up loads the newest page afresh; returns how many rows were dropped."""
        n = len(self.confirmed)
        if n:
            if self.observer is not None:
                self.observer.begin_remove(0, n - 1)
            self.confirmed.clear()
            self.seqs.clear()
            self.by_id.clear()
            if self.observer is not None:
                self.observer.end_remove()
        self.lo = self.hi = None
        self.gaps.clear()
        self.at_start = False
        self.resets += 1
        return n

    def mark_start(self) -> None:
        """Nothing older exists on the server."""
        self.at_start = True

    def _advance_hi(self) -> None:
        if self.hi is None:
            return
        seqs, hi, gaps = self.seqs, self.hi, self.gaps
        i = bisect_left(seqs, hi + 1)
        while True:
            if i < len(seqs) and seqs[i] == hi + 1:
                i += 1
            elif hi + 1 not in gaps:
                break
            hi += 1
        self.hi = hi

    def note_event(self, seq: int) -> None:
        """A log event that is no row was applied (or seen) at `seq`: `hi` may pass it."""
        self.gaps.add(seq)
        self.revision += 1
        self._advance_hi()

    def find(self, message_id: int) -> tuple[int, Row] | None:
        """The confirmed row of a message id and its index, or None if not held."""
        row = self.by_id.get(message_id)
        if row is None or row.seq is None:
            return None
        return bisect_left(self.seqs, row.seq), row

    def touched(self, index: int) -> None:
        """A confirmed row changed in place (an edit, a reaction, a read marker)."""
        if index < len(self.confirmed):
            seq = self.confirmed[index].seq
            if seq is not None:
                self.dirty.add(seq)
                self.revision += 1
        if self.observer is not None:
            self.observer.changed(index, index)

    def touched_range(self, first: int, last: int) -> None:
        if self.observer is not None and first <= last:
            self.observer.changed(first, last)

    # --- confirmed rows --------------------------------------------------------------

    def merge(self, rows: Iterable[Row]) -> MergeResult:
        """Insert server rows (ascending seq); duplicates by id are dropped, own echoes matched
        by client_msg_id replace their pending row. Contiguous inserts are one notification."""
        result = MergeResult()
        run: list[Row] = []
        run_pos = -1
        seqs = self.seqs
        for row in rows:
            seq = row.seq
            assert seq is not None, "only server rows are merged"
            # Live messages and catch-up land after the last row: skip the bisect then.
            pos = len(seqs) if not seqs or seq > seqs[-1] else bisect_left(seqs, seq)
            if (pos < len(seqs) and seqs[pos] == seq) or (run and run[-1].seq == seq):
                # The same message again (an id has exactly one seq in its group, so the
                # seq index finds the copy without a set of ids).
                held = self.confirmed[pos] if pos < len(seqs) and seqs[pos] == seq else run[-1]
                if held.id != row.id or held.created_at != row.created_at:
                    log.warning(
                        "group %s: seq %s came with id %s, held id %s",
                        self.group_id,
                        seq,
                        row.id,
                        held.id,
                    )
                    result.conflicts.append(seq)
                result.duplicates += 1
                continue
            if self.pending_by_cid and row.client_msg_id in self.pending_by_cid:
                self._flush(run, run_pos)
                run = []
                pos = bisect_left(seqs, seq)
                result.own_matched += 1
                result.matched_cids.append(row.client_msg_id)
                if self._confirm_in_place(row, pos):
                    result.new_rows.append(row)
                    continue
            if run and pos != run_pos:
                self._flush(run, run_pos)
                run = []
                pos = bisect_left(seqs, seq)
            if not run:
                run_pos = pos
            run.append(row)
            result.added += 1
            result.new_rows.append(row)
        self._flush(run, run_pos)
        self._advance_hi()
        return result

    def _flush(self, run: list[Row], pos: int) -> None:
        if not run:
            return
        obs = self.observer
        if obs is not None:
            obs.begin_insert(pos, pos + len(run) - 1)
        self.confirmed[pos:pos] = run
        self.seqs[pos:pos] = [r.seq for r in run if r.seq is not None]
        for r in run:
            if r.id is not None:
                self.by_id[r.id] = r
        if obs is not None:
            obs.end_insert()

    def _confirm_in_place(self, row: Row, pos: int) -> bool:
        """Turn the pending echo of `row` into the confirmed row. When the echo is the first
        pending row and the message lands last, the row index does not change: one
        dataChanged instead of a remove and an insert, so the view does not jump."""
        echo = self.pending_by_cid.pop(row.client_msg_id)
        k = self.pending.index(echo)
        row.is_own = True
        if k == 0 and pos == len(self.confirmed):
            self.pending.pop(0)
            self.confirmed.append(row)
            self.seqs.append(row.seq or 0)
            if row.id is not None:
                self.by_id[row.id] = row
            if self.observer is not None:
                self.observer.changed(pos, pos)
            return True
        index = len(self.confirmed) + k
        if self.observer is not None:
            self.observer.begin_remove(index, index)
        self.pending.pop(k)
        if self.observer is not None:
            self.observer.end_remove()
        return False

    # --- pending rows ----------------------------------------------------------------

    def add_pending(self, row: Row) -> None:
        """Append a local echo after every other row."""
        index = len(self)
        if self.observer is not None:
            self.observer.begin_insert(index, index)
        self.pending.append(row)
        self.pending_by_cid[row.client_msg_id] = row
        if self.observer is not None:
            self.observer.end_insert()

    def set_pending_state(self, client_msg_id: str, state: str, error: str | None = None) -> bool:
        row = self.pending_by_cid.get(client_msg_id)
        if row is None:
            return False
        row.state = state
        row.error = error
        if self.observer is not None:
            index = len(self.confirmed) + self.pending.index(row)
            self.observer.changed(index, index)
        return True

    def drop_pending(self, client_msg_id: str) -> bool:
        row = self.pending_by_cid.pop(client_msg_id, None)
        if row is None:
            return False
        index = len(self.confirmed) + self.pending.index(row)
        if self.observer is not None:
            self.observer.begin_remove(index, index)
        self.pending.remove(row)
        if self.observer is not None:
            self.observer.end_remove()
        return True

    def count_unread(self, after_seq: int, my_id: int) -> int:
        """Messages from others with seq > after_seq among the rows held."""
        i = bisect_left(self.seqs, after_seq + 1)
        return sum(1 for r in self.confirmed[i:] if r.sender_id != my_id and r.is_message)
