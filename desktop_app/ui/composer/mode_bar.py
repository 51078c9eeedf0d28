"""The bar above the composer while editing a message or replying to one (Esc or × cancels)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from desktop_app.ui.icons import menu_icon
from desktop_app.ui.widgets.elided_label import ElidedLabel


@dataclass(frozen=True)
class EditTarget:
    """The message being edited: stored (`message_id`) or still pending (its client id)."""

    message_id: int | None
    client_msg_id: str
    original: str


@dataclass(frozen=True)
class ReplyTarget:
    message_id: int
    sender_name: str
    excerpt: str


class ModeBar(QFrame):
    """ "Editing" / "Reply to bob" with the text's first line, and a cancel button."""

    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerModeBar")
        self.icon_label = QLabel(self)
        self.title = QLabel(self)
        self.title.setObjectName("composerModeTitle")
        self.excerpt = ElidedLabel("", self)
        self.excerpt.setObjectName("composerModeExcerpt")
        self.cancel_button = QToolButton(self)
        self.cancel_button.setObjectName("composerModeCancel")
        self.cancel_button.setText("×")
        self.cancel_button.setToolTip("Cancel (Esc)")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.cancel_button.clicked.connect(self.cancelled)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.title)
        text.addWidget(self.excerpt)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 4, 4)
        row.setSpacing(8)
        row.addWidget(self.icon_label)
        row.addLayout(text, 1)
        row.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_mode(self, icon_name: str, title: str, excerpt: str) -> None:
        self.icon_label.setPixmap(menu_icon(icon_name).pixmap(18, 18))
        self.title.setText(title)
        self.excerpt.setText(" ".join(excerpt.split()))
        self.show()
