"""The right pane: group header, chat view and members panel, "bob is typing…" line, composer."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.composer.composer import Composer
from desktop_app.ui.groups.members_panel import MembersPanel
from desktop_app.ui.icons import menu_icon
from desktop_app.ui.timeline.chat_view import ChatView
from desktop_app.ui.widgets.elided_label import ElidedLabel

# A typing notice is shown this long after the last one arrived.
TYPING_SHOW_SECONDS = 5.0
TYPING_SWEEP_MS = 500
# Narrower than this beside the members panel, the messages are covered by it instead.
CHAT_MIN_BESIDE_PANEL = 300


def typing_text(names: list[str]) -> str:
    """ "bob is typing…", "bob and carol are typing…", "3 people are typing…"."""
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} is typing…"
    if len(names) == 2:
        return f"{names[0]} and {names[1]} are typing…"
    return f"{len(names)} people are typing…"


class TypingTracker:
    """Who is typing where, each notice expiring after TYPING_SHOW_SECONDS."""

    def __init__(self) -> None:
        self._seen: dict[int, dict[str, float]] = {}

    def note(self, group_id: int, name: str, now: float | None = None) -> None:
        self._seen.setdefault(group_id, {})[name] = now if now is not None else time.monotonic()

    def clear(self, group_id: int, name: str) -> None:
        self._seen.get(group_id, {}).pop(name, None)

    def names(self, group_id: int, now: float | None = None) -> list[str]:
        now = now if now is not None else time.monotonic()
        people = self._seen.get(group_id, {})
        for name in [n for n, t in people.items() if now - t > TYPING_SHOW_SECONDS]:
            del people[name]
        return sorted(people)


class ChatPane(QWidget):
    """Header + chat + typing line + composer, or an empty state when no group is open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.typing = TypingTracker()
        self._group_id: int | None = None
        self._setup_ui()
        self._sweep = QTimer(self, interval=TYPING_SWEEP_MS)
        self._sweep.timeout.connect(self.refresh_typing)
        self._sweep.start()

    def _setup_ui(self) -> None:
        self.header = QFrame(self)
        self.header.setObjectName("chatHeader")
        # Elided: a long group name must not set the window's minimum width.
        self.title = ElidedLabel("", self.header)
        self.title.setObjectName("chatTitle")
        self.subtitle = ElidedLabel("", self.header)
        self.subtitle.setObjectName("chatSubtitle")
        names = QVBoxLayout()
        names.setSpacing(1)
        names.addWidget(self.title)
        names.addWidget(self.subtitle)
        # Telegram's group info: the header's button shows and hides the members panel.
        self.members_button = QToolButton(self.header)
        self.members_button.setObjectName("membersButton")
        self.members_button.setIcon(menu_icon("group"))
        self.members_button.setCheckable(True)
        self.members_button.setToolTip("Members")
        self.members_button.setAccessibleName("Show members")
        self.members_button.setCursor(Qt.CursorShape.PointingHandCursor)
        header_layout = QHBoxLayout(self.header)
        header_layout.setContentsMargins(16, 10, 12, 10)
        header_layout.addLayout(names, 1)
        header_layout.addWidget(self.members_button)
        self.members = MembersPanel(self)
        self.members.hide()
        self.members_button.toggled.connect(self._show_members)
        self.view = ChatView(self)
        self.view.setAccessibleName("Messages")
        self.typing_label = ElidedLabel("", self)
        self.typing_label.setObjectName("typingLabel")
        self.typing_label.setFixedHeight(self.typing_label.fontMetrics().height() + 6)
        self.composer = Composer(self)
        self.composer.edit.setAccessibleName("Message text")
        self.composer.send_button.setAccessibleName("Send message")
        self.composer.files.accept_drops_on(self.view.viewport())  # files dropped on the chat
        chat = QWidget(self)
        chat_layout = QVBoxLayout(chat)
        chat_layout.setContentsMargins(0, 0, 0, 0)
        chat_layout.setSpacing(0)
        chat_layout.addWidget(self.header)
        self._middle = QHBoxLayout()
        self._middle.setSpacing(0)
        self._middle.addWidget(self.view, 1)
        self._middle.addWidget(self.members)
        self._panel_docked = True
        chat_layout.addLayout(self._middle, 1)
        chat_layout.addWidget(self.typing_label)
        chat_layout.addWidget(self.composer)
        self.empty = QLabel("Pick a group on the left, or create one with New group.", self)
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.empty)
        self._stack.addWidget(chat)
        self._chat = chat

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_members()

    def _place_members(self) -> None:
        """Beside the messages when both fit; over their right side (a drawer) when the
        messages would be squeezed narrower than CHAT_MIN_BESIDE_PANEL."""
        docked = self.width() - self.members.width() >= CHAT_MIN_BESIDE_PANEL
        if docked != self._panel_docked:
            self._panel_docked = docked
            if docked:
                self._middle.addWidget(self.members)
            else:
                self._middle.removeWidget(self.members)
        if not docked:
            view = self.view.geometry()
            self.members.setGeometry(
                view.right() + 1 - self.members.width(),
                view.top(),
                self.members.width(),
                view.height(),
            )
            self.members.raise_()

    def show_empty(self, text: str | None = None) -> None:
        if text:
            self.empty.setText(text)
        self._group_id = None
        self._stack.setCurrentWidget(self.empty)

    def show_chat(self, group_id: int, name: str, subtitle: str) -> None:
        self._group_id = group_id
        self.set_header(name, subtitle)
        self._stack.setCurrentWidget(self._chat)
        self.refresh_typing()

    def _show_members(self, shown: bool) -> None:
        self.members.setVisible(shown)
        self._place_members()

    def set_header(self, name: str, subtitle: str) -> None:
        self.title.setText(name)
        self.members.set_group_name(name)
        self.subtitle.setText(subtitle)

    def refresh_typing(self) -> None:
        names = self.typing.names(self._group_id) if self._group_id is not None else []
        self.typing_label.setText(typing_text(names))
