"""GroupListModel: the user's groups, most recently active first, with unread and preview."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop_app.models.roles import GroupRoles
from desktop_app.session.groups import GroupRegistry, GroupState

Index = QModelIndex | QPersistentModelIndex


_ROLE_NAMES = {
    GroupRoles.GROUP_ID: b"groupId",
    GroupRoles.NAME: b"name",
    GroupRoles.UNREAD: b"unread",
    GroupRoles.PREVIEW: b"preview",
    GroupRoles.LAST_TIME: b"lastTime",
    GroupRoles.MEMBER_COUNT: b"memberCount",
    GroupRoles.CREATOR_ID: b"creatorId",
    GroupRoles.IS_CREATOR: b"isCreator",
    GroupRoles.MUTED: b"muted",
    GroupRoles.UNREAD_MENTION: b"unreadMention",
}


def _sort_key(state: GroupState) -> tuple[float, int]:
    return (-state.activity.timestamp(), state.id)


class GroupListModel(QAbstractListModel):
    """Rows follow the registry; a group with a new message moves to the top (beginMoveRows,
    so a selection on it survives)."""

    total_unread_changed = Signal(int)

    def __init__(self, registry: GroupRegistry, parent: Any = None) -> None:
        super().__init__(parent)
        self._registry = registry
        # Cached per group so a message costs a couple of comparisons, not a re-sort:
        # the sort key and the unread count the total was last computed with.
        self._keys: dict[int, tuple[float, int]] = {
            gid: _sort_key(state) for gid, state in registry.by_id.items()
        }
        self._unread: dict[int, int] = {gid: s.unread for gid, s in registry.by_id.items()}
        self._order: list[int] = sorted(self._keys, key=self._keys.__getitem__)
        self._total = sum(self._unread.values())
        registry.observer = self

    # --- Qt model API ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._order):
            return None
        state = self._registry.by_id.get(self._order[index.row()])
        if state is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, GroupRoles.NAME):
            return state.name
        if role == GroupRoles.GROUP_ID:
            return state.id
        if role == GroupRoles.UNREAD:
            return state.unread
        if role == GroupRoles.PREVIEW:
            return state.preview
        if role == GroupRoles.LAST_TIME:
            return state.last_time
        if role == GroupRoles.MEMBER_COUNT:
            return state.member_count
        if role == GroupRoles.CREATOR_ID:
            return state.creator_id
        if role == GroupRoles.IS_CREATOR:
            return state.creator_id is not None and state.creator_id == self._registry.my_id
        if role == GroupRoles.MUTED:
            return state.muted
        if role == GroupRoles.UNREAD_MENTION:
            return state.unread_mention
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = {int(role): QByteArray(name) for role, name in _ROLE_NAMES.items()}
        names[int(Qt.ItemDataRole.DisplayRole)] = QByteArray(b"display")
        return names

    # --- for the UI ------------------------------------------------------------------

    def row_of(self, group_id: int) -> int | None:
        try:
            return self._order.index(group_id)
        except ValueError:
            return None

    def group_id_at(self, row: int) -> int | None:
        return self._order[row] if 0 <= row < len(self._order) else None

    def state(self, group_id: int) -> GroupState | None:
        return self._registry.get(group_id)

    def unread(self, group_id: int) -> int:
        state = self._registry.get(group_id)
        return state.unread if state else 0

    def is_muted(self, group_id: int) -> bool:
        state = self._registry.get(group_id)
        return state.muted if state else False

    def total_unread(self) -> int:
        return self._total

    # --- GroupsObserver --------------------------------------------------------------

    def group_added(self, group_id: int) -> None:
        state = self._registry.by_id[group_id]
        self._keys[group_id] = _sort_key(state)
        row = self._target_row(group_id, exclude=None)
        self.beginInsertRows(QModelIndex(), row, row)
        self._order.insert(row, group_id)
        self.endInsertRows()
        self._set_unread(group_id, state.unread)

    def group_removed(self, group_id: int) -> None:
        row = self.row_of(group_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._order[row]
        self.endRemoveRows()
        self._keys.pop(group_id, None)
        self._set_unread(group_id, 0)
        self._unread.pop(group_id, None)

    def group_changed(self, group_id: int) -> None:
        row = self.row_of(group_id)
        state = self._registry.by_id.get(group_id)
        if row is None or state is None:
            return
        key = _sort_key(state)
        if key != self._keys[group_id]:
            self._keys[group_id] = key
            target = self._target_row(group_id, exclude=row)
            if target != row:
                # beginMoveRows takes the destination in pre-move coordinates.
                dest = target if target < row else target + 1
                self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dest)
                del self._order[row]
                self._order.insert(target, group_id)
                self.endMoveRows()
                row = target
        index = self.index(row)
        self.dataChanged.emit(index, index)
        self._set_unread(group_id, state.unread)

    def _target_row(self, group_id: int, exclude: int | None) -> int:
        """Where the group belongs; a group with new activity usually goes first."""
        key = self._keys[group_id]
        keys = self._keys
        i = 0
        for n, other in enumerate(self._order):
            if n == exclude:
                continue
            if key < keys[other]:
                return i
            i += 1
        return i

    def _set_unread(self, group_id: int, unread: int) -> None:
        old = self._unread.get(group_id, 0)
        if unread == old:
            return
        self._unread[group_id] = unread
        self._total += unread - old
        self.total_unread_changed.emit(self._total)
