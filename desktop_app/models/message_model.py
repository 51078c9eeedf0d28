"""MessageModel: one group's messages as a Qt list model, alive for the whole session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop_app.models.roles import MessageRoles
from desktop_app.session.extras import ReactionChip, Ticks
from desktop_app.session.members import GroupMembers, MemberInfo
from desktop_app.session.mentions import MentionSpan, spans
from desktop_app.session.timeline import FAILED, PENDING, Row, Timeline

Index = QModelIndex | QPersistentModelIndex


TOOLTIP_TIME_FORMAT = "%a %d %b %Y, %H:%M:%S"


def _tooltip(row: Row) -> str:
    """Who and exactly when (local time): grouped rows show no time of their own."""
    when = row.created_at.astimezone().strftime(TOOLTIP_TIME_FORMAT)
    if row.state == PENDING:
        return f"{row.sender_name} · typed {when} · not sent yet"
    if row.state == FAILED:
        return f"{row.sender_name} · typed {when} · not sent: {row.error or 'refused'}"
    return f"{row.sender_name} · {when}"


_GETTERS: dict[int, Callable[[Row], Any]] = {
    Qt.ItemDataRole.DisplayRole: lambda r: r.body,
    Qt.ItemDataRole.ToolTipRole: _tooltip,
    MessageRoles.ID: lambda r: r.id,
    MessageRoles.SEQ: lambda r: r.seq,
    MessageRoles.SENDER_ID: lambda r: r.sender_id,
    MessageRoles.SENDER_NAME: lambda r: r.sender_name,
    MessageRoles.BODY: lambda r: r.body,
    MessageRoles.CREATED_AT: lambda r: r.created_at,
    MessageRoles.STATE: lambda r: r.state,
    MessageRoles.IS_OWN: lambda r: r.is_own,
    MessageRoles.CLIENT_MSG_ID: lambda r: r.client_msg_id,
    MessageRoles.ERROR: lambda r: r.error,
    MessageRoles.EDITED_AT: lambda r: r.edited_at,
    MessageRoles.DELETED: lambda r: r.deleted,
    MessageRoles.REPLY_TO: lambda r: r.reply_to,
    MessageRoles.REPLY_TO_ID: lambda r: r.reply_to.message_id if r.reply_to else None,
    MessageRoles.SYSTEM: lambda r: r.system,
    MessageRoles.PENDING_EDIT: lambda r: r.pending_edit,
    MessageRoles.PENDING_DELETE: lambda r: r.pending_delete,
    MessageRoles.ATTACHMENTS: lambda r: r.attachments,
}

_ROLE_NAMES = {
    MessageRoles.ID: b"id",
    MessageRoles.SEQ: b"seq",
    MessageRoles.SENDER_ID: b"senderId",
    MessageRoles.SENDER_NAME: b"senderName",
    MessageRoles.BODY: b"body",
    MessageRoles.CREATED_AT: b"createdAt",
    MessageRoles.STATE: b"state",
    MessageRoles.IS_OWN: b"isOwn",
    MessageRoles.CLIENT_MSG_ID: b"clientMsgId",
    MessageRoles.ERROR: b"error",
    MessageRoles.EDITED_AT: b"editedAt",
    MessageRoles.DELETED: b"deleted",
    MessageRoles.REPLY_TO: b"replyTo",
    MessageRoles.REACTIONS: b"reactions",
    MessageRoles.SYSTEM: b"system",
    MessageRoles.READ_BY: b"readBy",
    MessageRoles.TICKS: b"ticks",
    MessageRoles.PENDING_EDIT: b"pendingEdit",
    MessageRoles.REPLY_TO_ID: b"replyToId",
    MessageRoles.PENDING_DELETE: b"pendingDelete",
    MessageRoles.ATTACHMENTS: b"attachments",
    MessageRoles.UPLOAD_PROGRESS: b"uploadProgress",
    MessageRoles.MENTIONS: b"mentions",
}
# Roles that need the group's members (names, read markers), not just the row.
_MEMBER_ROLES = {
    MessageRoles.REACTIONS,
    MessageRoles.READ_BY,
    MessageRoles.TICKS,
    MessageRoles.MENTIONS,
}


class MessageModel(QAbstractListModel):
    """A view onto the group's Timeline (no copy of the rows): confirmed rows in seq order,
    then pending echoes. The timeline tells the model around each change, so inserts and
    state changes reach views as beginInsertRows/dataChanged, batched per page."""

    older_loading_changed = Signal(bool)
    messages_appended = Signal(int)
    older_inserted = Signal(int)

    def __init__(
        self,
        timeline: Timeline,
        load_older: Callable[[], None] | None = None,
        parent: Any = None,
        members: GroupMembers | None = None,
    ) -> None:
        super().__init__(parent)
        self._tl = timeline
        self._members = members
        self._rows = len(timeline)
        self._load_older = load_older
        self._older_loading = False
        self._insert: tuple[int, int] | None = None
        # Pending messages whose files are being uploaded: client_msg_id -> fraction done.
        self._upload_progress: dict[str, float] = {}
        timeline.observer = self

    @property
    def group_id(self) -> int:
        return self._tl.group_id

    @property
    def timeline(self) -> Timeline:
        return self._tl

    # --- Qt model API ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._tl)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._tl):
            return None
        getter = _GETTERS.get(role)
        if getter is not None:
            return getter(self._tl.row(index.row()))
        if role == MessageRoles.UPLOAD_PROGRESS:
            return self._upload_progress.get(self._tl.row(index.row()).client_msg_id)
        if role in _MEMBER_ROLES:
            row = self._tl.row(index.row())
            if role == MessageRoles.REACTIONS:
                return self.reactions(row)
            if role == MessageRoles.READ_BY:
                return [m.display_name for m in self._readers(row)]
            if role == MessageRoles.MENTIONS:
                return self.mention_spans(row)
            return self.ticks(row)
        return None

    # --- v2: reactions and seen-by ------------------------------------------------------

    def reactions(self, row: Row) -> list[ReactionChip]:
        """The row's reactions as chips (emoji in code point order), names from members;
        the user's own toggles still in the outbox are shown already (pending)."""
        if not row.reactions and not row.pending_reactions:
            return []
        names = self._members.names() if self._members is not None else {}
        me = self._members.my_id if self._members is not None else self._tl_me(row)
        held = {e: list(ids) for e, ids in (row.reactions or {}).items()}
        toggles = row.pending_reactions or {}
        for emoji, add in toggles.items():
            ids = held.setdefault(emoji, [])
            if add and me not in ids:
                ids.append(me)
                ids.sort()
            elif not add and me in ids:
                ids.remove(me)
        return [
            ReactionChip(
                emoji,
                tuple(ids),
                tuple(names.get(i, f"user {i}") for i in ids),
                me in ids,
                emoji in toggles,
            )
            for emoji, ids in sorted(held.items())
            if ids
        ]

    def mention_spans(self, row: Row) -> list[MentionSpan]:
        """Where the row's body mentions someone (usernames from the members)."""
        if not row.mentions or self._members is None or row.deleted:
            return []
        usernames = {m.id: m.username for m in self._members.by_id.values()}
        return spans(row.body, row.mentions, usernames, self._members.my_id)

    @staticmethod
    def _tl_me(row: Row) -> int:
        return row.sender_id if row.is_own else -1

    def _readers(self, row: Row) -> list[MemberInfo]:
        if self._members is None or row.seq is None or row.system is not None:
            return []
        return self._members.readers_of(row.seq, row.sender_id)

    def ticks(self, row: Row) -> Ticks:
        """One tick once stored, two once every other member has read it (own rows only)."""
        if not row.is_own or row.seq is None or row.system is not None or row.deleted:
            return Ticks.NONE
        if self._members is not None and self._members.all_read(row.seq, row.sender_id):
            return Ticks.TWO
        return Ticks.ONE

    def roleNames(self) -> dict[int, QByteArray]:
        names = {int(role): QByteArray(name) for role, name in _ROLE_NAMES.items()}
        names[int(Qt.ItemDataRole.DisplayRole)] = QByteArray(b"display")
        return names

    # --- for the UI ------------------------------------------------------------------

    def row_at(self, row: int) -> Row:
        """The row object itself (delegates read its fields without a data() call per role)."""
        return self._tl.row(row)

    def has_older(self) -> bool:
        return self._tl.has_older()

    def is_loading_older(self) -> bool:
        return self._older_loading

    def request_older(self) -> None:
        """Load the page just older than the top row; ignored while one is loading."""
        if self._older_loading or not self._tl.has_older() or self._load_older is None:
            return
        self.set_older_loading(True)
        self._load_older()

    def set_older_loading(self, loading: bool) -> None:
        if loading != self._older_loading:
            self._older_loading = loading
            self.older_loading_changed.emit(loading)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._older_loading and self._tl.has_older()

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not parent.isValid():
            self.request_older()

    def row_for_client_msg_id(self, cid: str) -> int | None:
        return self._tl.index_of_cid(cid)

    def set_upload_progress(self, cid: str, fraction: float | None) -> None:
        """How far the upload of a pending message's files is (None: not uploading)."""
        if fraction is None:
            if self._upload_progress.pop(cid, None) is None:
                return
        else:
            self._upload_progress[cid] = fraction
        row = self._tl.index_of_cid(cid)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [MessageRoles.UPLOAD_PROGRESS])

    # --- TimelineObserver ------------------------------------------------------------

    def begin_insert(self, first: int, last: int) -> None:
        self.beginInsertRows(QModelIndex(), first, last)
        self._insert = (first, last)

    def end_insert(self) -> None:
        self.endInsertRows()
        first, last = self._insert or (0, -1)
        self._insert = None
        count = last - first + 1
        if first == 0 and len(self._tl) > count:
            self.older_inserted.emit(count)
        elif first + count >= len(self._tl.confirmed):
            # At the end of the confirmed rows (pending echoes stay below) or a new echo.
            self.messages_appended.emit(count)

    def begin_remove(self, first: int, last: int) -> None:
        self.beginRemoveRows(QModelIndex(), first, last)

    def end_remove(self) -> None:
        self.endRemoveRows()

    def changed(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first), self.index(last))
