"""Ctrl+K: type part of a group's name, Enter to open it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QDialog, QLineEdit, QListView, QVBoxLayout, QWidget

from desktop_app.models.group_list_model import GroupListModel, GroupRoles
from desktop_app.ui.group_list import GroupDelegate, GroupFilter


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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.input)
        layout.addWidget(self.list)
        self.resize(420, 360)
        self._on_text("")

    def _on_text(self, text: str) -> None:
        self._filter.setFilterFixedString(text)
        if self._filter.rowCount():
            self.list.setCurrentIndex(self._filter.index(0, 0))

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
