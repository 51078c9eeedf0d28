"""Ctrl+K: type part of a group's name, Enter to open it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.models.group_list_model import GroupListModel, GroupRoles
from desktop_app.ui.groups.group_list import ROW_HEIGHT, GroupDelegate, GroupFilter

SWITCHER_WIDTH = 420
# The list grows with the matches up to this many rows, then scrolls.
MAX_VISIBLE_ROWS = 6


class QuickSwitcher(QDialog):
    """A small popup over the group list; emits `chosen(group_id)`."""

    chosen = Signal(int)

    def __init__(self, groups: GroupListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setWindowTitle("Switch to group")
        self.setObjectName("quickSwitcher")
        self._filter = GroupFilter(self)
        self._filter.setSourceModel(groups)
        self.input = QLineEdit(self)
        self.input.setObjectName("switcherInput")
        self.input.setPlaceholderText("Jump to a group…")
        self.input.textChanged.connect(self._on_text)
        self.input.installEventFilter(self)
        self.list = QListView(self)
        self.list.setModel(self._filter)
        self.list.setItemDelegate(GroupDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.activated.connect(self._choose)
        self.list.clicked.connect(self._choose)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.no_match = QLabel(self)
        self.no_match.setObjectName("switcherNoMatch")
        self.no_match.setTextFormat(Qt.TextFormat.PlainText)
        self.no_match.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.input)
        layout.addWidget(self.list)
        layout.addWidget(self.no_match)
        self.setFixedWidth(SWITCHER_WIDTH)
        self._on_text("")

    def _on_text(self, text: str) -> None:
        self._filter.setFilterFixedString(text)
        if self._filter.rowCount():
            self.list.setCurrentIndex(self._filter.index(0, 0))
        self._fit(text)

    def _fit(self, text: str) -> None:
        # As tall as the matches, so a popup with one match is not mostly empty.
        rows = self._filter.rowCount()
        self.list.setVisible(rows > 0)
        self.no_match.setVisible(rows == 0)
        self.no_match.setText(f"No group matches “{text}”." if text else "No groups yet.")
        frame = 2 * self.list.frameWidth()
        self.list.setFixedHeight(min(rows, MAX_VISIBLE_ROWS) * ROW_HEIGHT + frame)
        self.adjustSize()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.input
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
        ):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.list.currentIndex().row() + (1 if key == Qt.Key.Key_Down else -1)
                if 0 <= row < self._filter.rowCount():
                    self.list.setCurrentIndex(self._filter.index(row, 0))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose(self.list.currentIndex())
                return True
        return super().eventFilter(watched, event)

    def _choose(self, index: QModelIndex) -> None:
        group_id = index.data(GroupRoles.GROUP_ID) if index.isValid() else None
        if isinstance(group_id, int):
            self.chosen.emit(group_id)
            self.accept()
