"""The members panel beside the chat (as Telegram's group info): who is in the group, live;
for the group's creator, Rename group and Remove member."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from chat_protocol import limits
from desktop_app.models.members_model import MembersModel
from desktop_app.models.roles import MemberRoles
from desktop_app.ui.icons import menu_icon

PANEL_WIDTH = 240
CREATOR_NOTE = "creator"
YOU_NOTE = "you"
LOADING_TEXT = "Loading members…"


def member_count_text(count: int) -> str:
    return f"{count} member" if count == 1 else f"{count} members"


def member_label(name: str, is_creator: bool, is_me: bool) -> str:
    """ "alice (you, creator)"."""
    notes = [n for n, on in ((YOU_NOTE, is_me), (CREATOR_NOTE, is_creator)) if on]
    return f"{name} ({', '.join(notes)})" if notes else name


class MembersPanel(QFrame):
    """A list of the open group's members, rebuilt whenever its MembersModel changes."""

    rename_requested = Signal(int, str)  # group_id, new name
    remove_requested = Signal(int, int)  # group_id, user_id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("membersPanel")
        self.setFixedWidth(PANEL_WIDTH)
        self._model: MembersModel | None = None
        self._group_name = ""
        self.title = QLabel("Members", self)
        self.title.setObjectName("membersTitle")
        self.list = QListWidget(self)
        self.list.setObjectName("membersList")
        self.list.setAccessibleName("Members")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.rename_button = QPushButton(menu_icon("edit"), "Rename group…", self)
        self.rename_button.setObjectName("renameGroupButton")
        self.rename_button.clicked.connect(self.ask_rename)
        self.remove_button = QPushButton(menu_icon("leave-group"), "Remove member…", self)
        self.remove_button.setObjectName("removeMemberButton")
        self.remove_button.clicked.connect(self._remove_selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.rename_button)
        layout.addWidget(self.remove_button)
        self.list.currentRowChanged.connect(lambda _row: self._sync_buttons())

    # --- the model -------------------------------------------------------------------------

    def set_model(self, model: MembersModel | None, group_name: str = "") -> None:
        if self._model is not None:
            for signal in (
                self._model.modelReset,
                self._model.dataChanged,
                self._model.rowsInserted,
                self._model.rowsRemoved,
            ):
                signal.disconnect(self._rebuild)
        self._model = model
        self._group_name = group_name
        if model is not None:
            model.modelReset.connect(self._rebuild)
            model.dataChanged.connect(self._rebuild)
            model.rowsInserted.connect(self._rebuild)
            model.rowsRemoved.connect(self._rebuild)
        self._rebuild()

    def set_group_name(self, name: str) -> None:
        self._group_name = name

    @property
    def am_creator(self) -> bool:
        model = self._model
        if model is None:
            return False
        return any(
            model.index(r).data(MemberRoles.IS_ME) and model.index(r).data(MemberRoles.IS_CREATOR)
            for r in range(model.rowCount())
        )

    def names(self) -> list[str]:
        """The members shown, as labelled ("alice (you, creator)")."""
        items = [self.list.item(r) for r in range(self.list.count())]
        return [i.text() for i in items if i.flags() != Qt.ItemFlag.NoItemFlags]

    def _rebuild(self, *_args: object) -> None:
        model = self._model
        selected = self._selected_user()
        self.list.clear()
        count = model.rowCount() if model is not None else 0
        for r in range(count):
            index = model.index(r) if model is not None else None
            if index is None:
                continue
            text = member_label(
                str(index.data(MemberRoles.DISPLAY_NAME) or ""),
                bool(index.data(MemberRoles.IS_CREATOR)),
                bool(index.data(MemberRoles.IS_ME)),
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, index.data(MemberRoles.USER_ID))
            item.setData(Qt.ItemDataRole.UserRole + 1, bool(index.data(MemberRoles.IS_ME)))
            username = index.data(MemberRoles.USERNAME)
            item.setToolTip(f"@{username}" if username else "")
            self.list.addItem(item)
            if selected is not None and index.data(MemberRoles.USER_ID) == selected:
                self.list.setCurrentItem(item)
        if count == 0 and model is not None:
            # Members come with the group's details, just after connecting.
            waiting = QListWidgetItem(LOADING_TEXT)
            waiting.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(waiting)
        self.title.setText(f"Members · {count}" if count else "Members")
        self._sync_buttons()

    def _selected_user(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _sync_buttons(self) -> None:
        creator = self.am_creator
        self.rename_button.setVisible(creator)
        self.remove_button.setVisible(creator)
        item = self.list.currentItem()
        self.remove_button.setEnabled(
            item is not None and not item.data(Qt.ItemDataRole.UserRole + 1)
        )

    # --- creator actions ---------------------------------------------------------------------

    def _menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None or not self.am_creator or item.data(Qt.ItemDataRole.UserRole + 1):
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(menu_icon("leave-group"), "Remove from group…", self._remove_selected)
        menu.exec(self.list.viewport().mapToGlobal(pos))

    def _remove_selected(self) -> None:
        item = self.list.currentItem()
        model = self._model
        if item is None or model is None or item.data(Qt.ItemDataRole.UserRole + 1):
            return
        name = item.text()
        answer = QMessageBox.question(
            self,
            "Remove member",
            f"Remove {name} from {self._group_name or 'the group'}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.remove_requested.emit(model.group_id, int(item.data(Qt.ItemDataRole.UserRole)))

    def ask_rename(self) -> None:
        model = self._model
        if model is None:
            return
        name, ok = QInputDialog.getText(self, "Rename group", "New name:", text=self._group_name)
        name = name.strip()
        if ok and name and name != self._group_name and len(name) <= limits.GROUP_NAME_MAX:
            self.rename_requested.emit(model.group_id, name)
