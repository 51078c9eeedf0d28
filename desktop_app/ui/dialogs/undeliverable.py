"""The window that gives back the text of messages that can no longer be delivered."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.session.session import Undeliverable
from desktop_app.session.sync_listener import Removal
from desktop_app.ui.icons import icon

DIALOG_SIZE = (480, 320)
SEPARATOR = "\n\n"


class UndeliverableDialog(QDialog):
    """Non-modal: messages still unsent when the user was removed from their group (or it is
    gone), when the server lost the group's history, or typed for another server that answered
    at this address before. They cannot be delivered; their text is shown, selectable and
    copyable."""

    def __init__(self, notice: Undeliverable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notice = notice
        self.setWindowTitle("Messages not delivered")
        self.setWindowIcon(icon("leave-group"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._setup_ui()
        self.resize(*DIALOG_SIZE)

    def _setup_ui(self) -> None:
        self.explanation = QLabel(explanation(self.notice), self)
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setPlainText(self.shown_text())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy all", self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self._on_copy)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)

    def shown_text(self) -> str:
        return SEPARATOR.join(self.notice.bodies)

    def _on_copy(self) -> None:
        QGuiApplication.clipboard().setText(self.shown_text())


def explanation(notice: Undeliverable) -> str:
    """Why the messages were not delivered, in the user's terms."""
    count = len(notice.bodies)
    what = "this unsent message" if count == 1 else f"these {count} unsent messages"
    was, it = ("was", "it") if count == 1 else ("were", "they")
    name = f"“{notice.group_name}”"
    if notice.reason is Removal.OTHER_SERVER:
        why = (
            f"The server at this address is not the one {name} was on (its data was reset or "
            f"replaced), so {what} {was} not sent."
        )
    elif notice.reason is Removal.LOST:
        why = (
            f"The server lost the recent history of {name} (it was restored from an older "
            f"backup), so {what} {was} not sent: {it} could have landed in another group."
        )
    else:
        why = f"You are no longer a member of {name}, so {what} could not be delivered."
    return f"{why} Copy what you want to keep before closing this window."
