"""MembersModel: one group's members as a Qt list model, live (the members panel)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex, QPersistentModelIndex, Qt

from desktop_app.models.roles import MemberRoles
from desktop_app.session.members import GroupMembers, MemberInfo

Index = QModelIndex | QPersistentModelIndex

_ROLE_NAMES = {
    MemberRoles.USER_ID: b"userId",
    MemberRoles.USERNAME: b"username",
    MemberRoles.DISPLAY_NAME: b"displayName",
    MemberRoles.IS_CREATOR: b"isCreator",
    MemberRoles.IS_ME: b"isMe",
    MemberRoles.LAST_READ_SEQ: b"lastReadSeq",
}


class MembersModel(QAbstractListModel):
    """A view onto the session's GroupMembers: reset when members come or go, dataChanged
    when a read marker moves."""

    def __init__(self, members: GroupMembers, parent: Any = None) -> None:
        super().__init__(parent)
        self._members = members
        self._rows: list[MemberInfo] = members.ordered()
        members.observers.append(self)

    @property
    def group_id(self) -> int:
        return self._members.group_id

    @property
    def creator_id(self) -> int | None:
        return self._members.creator_id

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        m = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, MemberRoles.DISPLAY_NAME):
            return m.display_name
        if role == MemberRoles.USER_ID:
            return m.id
        if role == MemberRoles.USERNAME:
            return m.username
        if role == MemberRoles.IS_CREATOR:
            return m.id == self._members.creator_id
        if role == MemberRoles.IS_ME:
            return m.id == self._members.my_id
        if role == MemberRoles.LAST_READ_SEQ:
            return m.last_read_seq
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = {int(role): QByteArray(name) for role, name in _ROLE_NAMES.items()}
        names[int(Qt.ItemDataRole.DisplayRole)] = QByteArray(b"display")
        return names

    # --- MembersObserver ---------------------------------------------------------------

    def members_reset(self) -> None:
        self.beginResetModel()
        self._rows = self._members.ordered()
        self.endResetModel()

    def member_changed(self, user_id: int) -> None:
        for row, m in enumerate(self._rows):
            if m.id == user_id:
                self.dataChanged.emit(self.index(row), self.index(row))
                return
