"""A proxy that shows the newest rows of a group's MessageModel, growing as the reader scrolls up.

Why: QListView lays out every row again on each insert, and in Batched mode a layout
that spans several batches clamps the scroll position while it runs (the reader's place
jumps). So the view holds a bounded window [start, end) of the group's rows:

- appended rows are forwarded at most once per frame (APPEND_FRAME_MS), however fast they
  arrive, so a burst of messages costs one layout, not one per message;
- while the reader follows the newest message (`follow_tail`), rows above the newest
  TAIL_ROWS are dropped from the window in the same frame (they stay in the model);
- scrolling up reveals hidden rows from memory (`reveal_older`) before asking the server.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)

from desktop_app.models.message_model import MessageModel
from desktop_app.session.timeline import Row

# Rows kept when the reader is at the bottom; scrolling up reveals more, page by page.
TAIL_ROWS = 120
# Rows revealed (from memory) each time the reader nears the top of the window.
REVEAL_ROWS = 100
# New rows reach the view at most this often (one layout per frame, not per message).
APPEND_FRAME_MS = 30
# While the reader is scrolled up, new rows stop joining the window beyond this size;
# they are revealed as the reader scrolls down to them (`reveal_newer`).
MAX_WINDOW_ROWS = 600

ModelIndex = QModelIndex | QPersistentModelIndex


class TailWindow(QAbstractListModel):
    """Rows [start, end) of a MessageModel, re-emitted with shifted row numbers."""

    def __init__(
        self, source: MessageModel, tail: int = TAIL_ROWS, parent: QObject | None = None
    ) -> None:
        # Owned by the view that shows it, so a closed window leaves nothing following the model.
        super().__init__(parent)
        self._source = source
        self._tail = tail
        self._end = source.rowCount()
        self._start = max(0, self._end - tail)
        self.follow_tail = True
        self._hidden_insert = 0  # rows of a source insert that stay outside the window
        self._deferred = False
        self._remove_mode = ""  # how the source removal in progress shows in the window
        self._removed_above = 0
        self._flush = QTimer(self, singleShot=True, interval=APPEND_FRAME_MS)
        self._flush.timeout.connect(self.flush_appends)
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

    # --- the model interface -------------------------------------------------------------

    @property
    def source(self) -> MessageModel:
        return self._source

    @property
    def hidden_older(self) -> int:
        """Rows in memory above the window (revealed without asking the server)."""
        return self._start

    @property
    def pending_appends(self) -> int:
        """Rows appended to the model that the next frame will show."""
        return self._source.rowCount() - self._end

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return self._end - self._start

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

    def show_from(self, row: int, rows: int = MAX_WINDOW_ROWS) -> None:
        """Hold rows [row, row + rows) of the source instead (a jump far above the tail, such
        as to the first unread of thousands: the view then lays out this many, not all)."""
        start = max(0, min(row, self._source.rowCount()))
        end = min(self._source.rowCount(), start + rows)
        if (start, end) == (self._start, self._end):
            return
        self.beginResetModel()
        self._start, self._end = start, end
        self.endResetModel()

    def trim_to_tail(self) -> int:
        """Hide rows above the newest `tail` (only when the reader is at the bottom)."""
        excess = self.rowCount() - self._tail
        if excess <= 0:
            return 0
        self.beginRemoveRows(QModelIndex(), 0, excess - 1)
        self._start += excess
        self.endRemoveRows()
        return excess

    def flush_appends(self) -> None:
        """Show the rows appended since the last frame (trimming first when following)."""
        self._flush.stop()
        new = self._source.rowCount() - self._end
        if new <= 0:
            return
        if not self.follow_tail:
            self._append(min(new, MAX_WINDOW_ROWS - self.rowCount()))
            return
        if self.follow_tail:
            # Rows that would be trimmed right after arriving are never laid out at all.
            keep_old = max(0, self._tail - new)
            skip = max(0, new - self._tail)
            excess = self.rowCount() - keep_old
            if excess > 0:
                self.beginRemoveRows(QModelIndex(), 0, excess - 1)
                self._start += excess
                self.endRemoveRows()
            if skip and self.rowCount() == 0:
                self._start += skip
                self._end += skip
                new -= skip
        self._append(new)

    def reveal_newer(self, count: int = REVEAL_ROWS) -> int:
        """Show up to `count` held rows below the window (the reader scrolls down to them)."""
        return self._append(min(count, self._source.rowCount() - self._end))

    def _append(self, count: int) -> int:
        if count <= 0:
            return 0
        first = self._end - self._start
        self.beginInsertRows(QModelIndex(), first, first + count - 1)
        self._end += count
        self.endInsertRows()
        return count

    # --- following the source ---------------------------------------------------------------

    def _before_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        count = last - first + 1
        if first >= self._end:
            # An append: shown with the next frame.
            self._hidden_insert = count
            self._deferred = True
            return
        self._deferred = False
        # Rows inserted strictly above a window that does not start at row 0 stay hidden.
        if first < self._start or (first == self._start and self._start > 0):
            self._hidden_insert = count
            return
        self._hidden_insert = 0
        self.beginInsertRows(QModelIndex(), first - self._start, last - self._start)
        self._end += count

    def _after_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._deferred:
            self._deferred = False
            self._hidden_insert = 0
            if not self._flush.isActive():
                self._flush.start()
            return
        if self._hidden_insert:
            self._start += self._hidden_insert
            self._end += self._hidden_insert
            self._hidden_insert = 0
            return
        self.endInsertRows()

    def _before_remove(self, parent: QModelIndex, first: int, last: int) -> None:
        count = last - first + 1
        if first >= self._end:
            self._remove_mode = "unseen"  # rows the next frame would have shown
        elif last < self._start:
            self._remove_mode = "above"
            self._removed_above = count
        elif first < self._start or last >= self._end:
            # Straddles an edge of the window: rare (a discard at the edge); start afresh.
            self._remove_mode = "reset"
            self.beginResetModel()
        else:
            self._remove_mode = "inside"
            self.beginRemoveRows(QModelIndex(), first - self._start, last - self._start)
            self._end -= count

    def _after_remove(self, parent: QModelIndex, first: int, last: int) -> None:
        mode, self._remove_mode = self._remove_mode, ""
        if mode == "inside":
            self.endRemoveRows()
        elif mode == "above":
            self._start -= self._removed_above
            self._end -= self._removed_above
        elif mode == "reset":
            count = last - first + 1
            self._end = min(self._source.rowCount(), max(first, self._end - count))
            self._start = min(self._start, first, self._end)
            self.endResetModel()

    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: list[int]) -> None:
        first = max(top.row(), self._start)
        last = min(bottom.row(), self._end - 1)
        if last < first:
            return
        self.dataChanged.emit(
            self.index(first - self._start, 0), self.index(last - self._start, 0), roles
        )

    def _after_reset(self) -> None:
        self._end = self._source.rowCount()
        self._start = max(0, self._end - self._tail)
        self.endResetModel()

    def _before_layout(self, *args: object) -> None:
        # A reorder in the source is rare (a confirmed echo moving); a reset is simplest and right.
        self.beginResetModel()

    def _after_layout(self, *args: object) -> None:
        self._end = self._source.rowCount()
        self._start = min(self._start, self._end)
        self.endResetModel()
