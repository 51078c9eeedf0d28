"""The "New group", "Add member" and "Leave group" dialogs."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from chat_protocol import limits
from chat_protocol.models import Group
from desktop_app.models.bridge import SessionBridge
from desktop_app.net.errors import AuthError
from desktop_app.net.rest import ApiError, ServerUnreachable
from desktop_app.tasks import spawn
from desktop_app.ui.groups.user_lookup import UserLookup
from desktop_app.ui.icons import icon
from desktop_app.ui.widgets.field import Field

LEAVE_DIALOG_WIDTH = 420


def _plain_error(exc: ApiError, username: str | None = None) -> str:
    if isinstance(exc, ServerUnreachable):
        return "Can't reach the server right now; try again when the status bar says Live."
    if exc.code == "unknown_user":
        return f"There is no user called {username}." if username else exc.message
    if exc.code == "already_member":
        return f"{username} is already a member." if username else exc.message
    if exc.code == "not_found":
        return "That group or user does not exist (or you are no longer a member)."
    return exc.message or f"The server answered {exc.status}."


class NewGroupDialog(QDialog):
    """Name plus members by username (with lookup); emits `created(Group)`."""

    created = Signal(object)

    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.setWindowTitle("New group")
        self.setWindowIcon(icon("new-group"))
        self.setMinimumWidth(400)
        self.name = Field("e.g. Team", self)
        self.name.edit.setMaxLength(limits.GROUP_NAME_MAX)
        self.member = UserLookup(bridge.search_users, self)
        self.member.setPlaceholderText("username, then Enter")
        # Enter in this box adds the member; it must not also press "Create group".
        self.member.installEventFilter(self)
        # A suggestion picked from the list is added at once (after the completer has
        # written it into the box).
        self.member.completer().activated.connect(
            lambda _name: QTimer.singleShot(0, self.add_typed_member)
        )
        # With the suggestions showing, Enter reaches the box through the completer, which
        # calls the box's event() directly (past the filter): returnPressed adds it then.
        self.member.returnPressed.connect(self._on_member_return)
        # A word about the last name is stale once the next one is being typed.
        self.member.textEdited.connect(lambda _text: self._say(None))
        add = QPushButton("Add", self)
        add.clicked.connect(self.add_typed_member)
        self.members = QListWidget(self)
        self.members.setMaximumHeight(110)
        self.remove = QPushButton("Remove selected", self)
        self.remove.setEnabled(False)
        self.remove.clicked.connect(self._remove_selected)
        self.members.itemSelectionChanged.connect(self._on_member_selection)
        self.error = QLabel(self)
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        member_row = QHBoxLayout()
        member_row.addWidget(self.member, 1)
        member_row.addWidget(add)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Members:", member_row)
        form.addRow("", self.members)
        remove_row = QHBoxLayout()
        remove_row.addStretch(1)
        remove_row.addWidget(self.remove)
        form.addRow("", remove_row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Create group")
        self.ok.setAutoDefault(False)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.member
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.add_typed_member()
            return True
        return super().eventFilter(watched, event)

    def _on_member_return(self) -> None:
        popup = self.member.completer().popup()
        if popup is not None and popup.isVisible() and popup.currentIndex().isValid():
            return  # a suggestion is picked: the completer writes it in, `activated` adds it
        self.add_typed_member()

    def member_names(self) -> list[str]:
        return [self.members.item(i).text() for i in range(self.members.count())]

    def add_typed_member(self) -> None:
        """Add the typed name to the list at once, then look it up: an unknown name is taken
        out again with a word next to the list (the server checks once more on Create)."""
        name = self.member.text().strip().lower()
        self.member.clear()
        if not name:
            return
        if name == self._bridge.user.username:
            self._say("You are in the group anyway; no need to add yourself.")
            return
        if name in self.member_names():
            self._say(f"{name} is already in the list.")
            return
        self.members.addItem(name)
        self._say(None)
        spawn(self._check_member(name), name="check-member")

    async def _check_member(self, name: str) -> None:
        try:
            found = await self._bridge.search_users(name)
        except ApiError:
            return  # offline or refused: Create will tell
        if not shiboken6.isValid(self) or any(user.username == name for user in found):
            return
        for item in self.members.findItems(name, Qt.MatchFlag.MatchExactly):
            self.members.takeItem(self.members.row(item))
        self._say(f"There is no user called {name}.")

    def _say(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def _on_member_selection(self) -> None:
        self.remove.setEnabled(bool(self.members.selectedItems()))

    def _remove_selected(self) -> None:
        for item in self.members.selectedItems():
            self.members.takeItem(self.members.row(item))
        self._say(None)

    def submit(self) -> None:
        if self.member.text().strip():
            self.add_typed_member()
        name = self.name.text().strip()
        if not name:
            self.name.set_error("Give the group a name.")
            return
        self.ok.setEnabled(False)
        spawn(self._create(name, self.member_names()), name="create-group")

    async def _create(self, name: str, members: list[str]) -> None:
        try:
            group: Group = await self._bridge.create_group(name, members)
        except ApiError as exc:
            self.error.setText(_plain_error(exc))
            self.error.show()
            return
        finally:
            self.ok.setEnabled(True)
        self.created.emit(group)
        self.accept()


class AddMemberDialog(QDialog):
    """Adds one user by username to a group; the error appears under the field."""

    added = Signal(str)

    def __init__(
        self, bridge: SessionBridge, group_id: int, group_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._group_id = group_id
        self.setWindowTitle(f"Add a member to {group_name}")
        self.setWindowIcon(icon("add-member"))
        self.setMinimumWidth(360)
        self.lookup = UserLookup(bridge.search_users, self)
        self.lookup.setPlaceholderText("username")
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Add")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Username:", self.lookup)
        form.addRow("", self.error)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        username = self.lookup.text().strip().lower()
        if not username:
            self.error.setText("Enter a username.")
            self.error.show()
            return
        self.ok.setEnabled(False)
        spawn(self._add(username), name="add-member")

    async def _add(self, username: str) -> None:
        try:
            await self._bridge.add_member(self._group_id, username)
        except ApiError as exc:
            self.error.setText(_plain_error(exc, username))
            self.error.show()
            return
        finally:
            self.ok.setEnabled(True)
        self.added.emit(username)
        self.accept()


def _leave_error(exc: ApiError) -> str:
    if isinstance(exc, ServerUnreachable):
        return (
            "Can't reach the server right now, so you are still in the group. "
            "Try again when the status bar says Live."
        )
    if isinstance(exc, AuthError):
        return "The server no longer accepts your sign-in. Sign in again, then try again."
    return f"The server did not let you leave: {exc.message or exc.status}"


def leave_question(group_name: str, unsent: int) -> str:
    """What the confirmation says: the consequences, and the unsent messages it drops."""
    text = (
        f"You will stop getting messages from “{group_name}” and it leaves your group list. "
        "To come back, a member has to add you again."
    )
    if unsent:
        noun = "message" if unsent == 1 else "messages"
        text += f"\n\nYour {unsent} unsent {noun} to it will be dropped."
    return text


class LeaveGroupDialog(QDialog):
    """Asks before leaving a group, names it, then leaves; emits `left(group_id)`. A refusal
    shows under the question and the dialog stays open."""

    left = Signal(int)

    def __init__(
        self, bridge: SessionBridge, group_id: int, group_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._group_id = group_id
        self.setWindowTitle("Leave group")
        self.setWindowIcon(icon("leave-group"))
        self.setMinimumWidth(LEAVE_DIALOG_WIDTH)
        self._setup_ui(group_name, bridge.unsent_count(group_id))

    def _setup_ui(self, group_name: str, unsent: int) -> None:
        self.question = QLabel(f"Leave “{group_name}”?", self)
        self.question.setObjectName("dialogQuestion")
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setWordWrap(True)
        self.details = QLabel(leave_question(group_name, unsent), self)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        # Named before it joins the box, so the style sheet paints it as destructive.
        self.ok = QPushButton("Leave group", self)
        self.ok.setObjectName("destructiveButton")
        self.buttons.addButton(self.ok, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.ok.setAutoDefault(False)
        # Enter must not leave a group by accident: Cancel is the default.
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        cancel.setFocus()
        self.ok.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.question)
        layout.addWidget(self.details)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        self.ok.setEnabled(False)
        self.error.hide()
        spawn(self._leave(), name="leave-group")

    async def _leave(self) -> None:
        try:
            await self._bridge.leave_group(self._group_id)
        except ApiError as exc:
            self.error.setText(_leave_error(exc))
            self.error.show()
            self.adjustSize()  # the wrapped lines need the height; Qt won't grow it alone
            return
        finally:
            self.ok.setEnabled(True)
        self.left.emit(self._group_id)
        self.accept()
