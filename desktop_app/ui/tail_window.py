"""A proxy that shows only the newest rows of a group's MessageModel, growing as the reader scrolls up.

Why: QListView lays out every row again on each insert, and in Batched mode a
layout that spans several batches clamps the scroll position while it runs (the
reader's place jumps). Bounding the rows the view holds keeps each layout one
cheap batch, whatever the group's history in memory.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from desktop_app.models.message_model import MessageModel
from desktop_app.session.timeline import Row

# Rows kept when the reader is at the bottom; scrolling up reveals more, page by page.
TAIL_ROWS = 150
# Rows revealed (from memory) each time the reader nears the top of the window.
REVEAL_ROWS = 100

ModelIndex = QModelIndex | QPersistentModelIndex


class TailWindow(QAbstractListModel):
    """Rows [start, source.rowCount()) of a MessageModel, re-emitted with shifted row numbers."""

    def __init__(self, source: MessageModel, tail: int = TAIL_ROWS) -> None:
        super().__init__(source)
        self._source = source
        self._start = max(0, source.rowCount() - tail)
        self._pending_outside = 0
        self._resetting_remove = False
        s = source
        s.rowsAboutToBeInserted.connect(self._before_insert)
        s.rowsInserted.connect(self._after_insert)
        s.rowsAboutToBeRemoved.connect(self._before_remove)
        s.rowsRemoved.connect(self._after_remove)
        s.dataChanged.connect(self._on_data_changed)
        s.modelAboutToBeReset.connect(self.beginResetModel)
        s.modelReset.connect(self._after_reset)
        s.layoutAboutToBeChanged.connect(self._before_layout)
        s.layoutChanged.connect(self._after_layout)
        s.rowsAboutToBeMoved.connect(self._before_layout)
        s.rowsMoved.connect(self._after_layout)
        self._tail = tail

    # --- the model interface -------------------------------------------------------------

    @property
    def source(self) -> MessageModel:
        return self._source

    @property
    def hidden_older(self) -> int:
        """Rows in memory above the window (revealed without asking the server)."""
        return self._start

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return max(0, self._source.rowCount() - self._start)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self._source.data(self._source.index(index.row() + self._start, 0), role)

    def roleNames(self) -> dict[int, QByteArray]:
        return self._source.roleNames()

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def source_row(self, row: int) -> int:
        return row + self._start

    def row_at(self, row: int) -> Row:
        """The message at `row` itself (the delegate reads fields, not roles: faster, and no
        None crosses Qt's QVariant conversion)."""
        return self._source.row_at(row + self._start)

    # --- growing and shrinking -------------------------------------------------------------

    def reveal_older(self, count: int = REVEAL_ROWS) -> int:
        """Show up to `count` more rows above the window; returns how many were shown."""
        shown = min(count, self._start)
        if shown <= 0:
            return 0
        self.beginInsertRows(QModelIndex(), 0, shown - 1)
        self._start -= shown
        self.endInsertRows()
        return shown

    def trim_to_tail(self) -> int:
        """Hide rows above the newest `tail` (call only when the reader is at the bottom)."""
        excess = self.rowCount() - self._tail
        if excess <= 0:
            return 0
        self.beginRemoveRows(QModelIndex(), 0, excess - 1)
        self._start += excess
        self.endRemoveRows()
        return excess

    # --- following the source ---------------------------------------------------------------

    def _before_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        count = last - first + 1
        # Rows inserted strictly above a window that does not start at row 0 stay hidden.
        if first < self._start or (first == self._start and self._start > 0):
            self._pending_outside = count
            return
        self._pending_outside = 0
        self.beginInsertRows(QModelIndex(), first - self._start, last - self._start)

    def _after_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._pending_outside:
            self._start += self._pending_outside
            self._pending_outside = 0
            return
        self.endInsertRows()

    def _before_remove(self, parent: QModelIndex, first: int, last: int) -> None:
        count = last - first + 1
        if last < self._start:
            self._pending_outside = -count
            return
        if first < self._start:
            # Straddles the window's top edge: rare (a discard near the edge); start afresh.
            self._pending_outside = 0
            self.beginResetModel()
            self._resetting_remove = True
            return
        self._pending_outside = 0
        self.beginRemoveRows(QModelIndex(), first - self._start, last - self._start)

    def _after_remove(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._pending_outside < 0:
            self._start += self._pending_outside
            self._pending_outside = 0
            return
        if self._resetting_remove:
            self._resetting_remove = False
            self._start = min(self._start, first)
            self.endResetModel()
            return
        self.endRemoveRows()

    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: list[int]) -> None:
        first = max(top.row(), self._start) - self._start
        last = bottom.row() - self._start
        if last < first or last < 0:
            return
        self.dataChanged.emit(self.index(first, 0), self.index(last, 0), roles)

    def _after_reset(self) -> None:
        self._start = max(0, self._source.rowCount() - self._tail)
        self.endResetModel()

    def _before_layout(self, *args: object) -> None:
        # A reorder in the source is rare (a confirmed echo moving); a reset is simplest and right.
        self.beginResetModel()

    def _after_layout(self, *args: object) -> None:
        self._start = min(self._start, self._source.rowCount())
        self.endResetModel()


def source_model(model: QAbstractItemModel | None) -> MessageModel | None:
    """The MessageModel behind a view's model (a TailWindow or the model itself)."""
    if isinstance(model, TailWindow):
        return model.source
    if isinstance(model, MessageModel):
        return model
    return None
