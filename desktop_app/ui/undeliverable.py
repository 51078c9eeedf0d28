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
from desktop_app.ui.icons import icon

DIALOG_SIZE = (480, 320)
SEPARATOR = "\n\n"


class UndeliverableDialog(QDialog):
    """Non-modal: the user was removed from a group (or it is gone) while messages to it were
    still unsent. They cannot be delivered; their text is shown, selectable and copyable."""

    def __init__(self, notice: Undeliverable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notice = notice
        self.setWindowTitle("Messages not delivered")
        self.setWindowIcon(icon("leave-group"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._setup_ui()
        self.resize(*DIALOG_SIZE)

    def _setup_ui(self) -> None:
        count = len(self.notice.bodies)
        what = "this unsent message" if count == 1 else f"these {count} unsent messages"
        self.explanation = QLabel(
            f"You are no longer a member of “{self.notice.group_name}”, so {what} could not "
            "be delivered. Copy what you want to keep before closing this window.",
            self,
        )
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
