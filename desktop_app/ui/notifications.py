"""Tray icon and desktop notifications: messages for groups not on screen, unread total in the
tooltip. A muted group notifies only of messages that mention the user (issue 12)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from desktop_app.ui.formatting import one_line
from desktop_app.ui.icons import icon

NOTIFICATION_MS = 5000
# Message ids already announced (several windows of one session see the same message).
SEEN_IDS_MAX = 500
NOTIFY_PREVIEW_CHARS = 120


def wanted(muted: bool, mentions: Sequence[int], my_id: int) -> bool:
    """Whether a message notifies: always, unless its group is muted and it does not
    mention the user."""
    return not muted or my_id in mentions


def title_for(sender: str, group: str, mentions_me: bool) -> str:
    """The notification's title: who, where, and whether it is about the user."""
    if mentions_me:
        return f"{sender} mentioned you in {group}" if group else f"{sender} mentioned you"
    return f"{sender} in {group}" if group else sender


class Notifier(QObject):
    """Owns the tray icon (when the desktop has a tray) and shows notifications."""

    show_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._seen: deque[tuple[str, int]] = deque(maxlen=SEEN_IDS_MAX)
        self.shown: list[tuple[str, str]] = []  # (title, text) of every notification, newest last
        self.tray: QSystemTrayIcon | None = None
        # Settings → "Show a notification for new messages"; the tray's unread count stays.
        self.enabled = True
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icon("tray"), self)
            menu = QMenu()
            menu.addAction("Show", self.show_requested.emit)
            menu.addSeparator()
            menu.addAction(icon("quit"), "Quit", self.quit_requested.emit)
            self._menu = menu
            self.tray.setContextMenu(menu)
            self.tray.activated.connect(lambda _reason: self.show_requested.emit())
            self.tray.setToolTip("desktop-app")
            self.tray.show()

    def set_unread(self, total: int) -> None:
        if self.tray is not None:
            self.tray.setToolTip(f"desktop-app — {total} unread" if total else "desktop-app")
            self.tray.setIcon(icon("tray-unread" if total else "tray"))

    def tooltip(self) -> str:
        return self.tray.toolTip() if self.tray is not None else ""

    def notify(self, key: tuple[str, int], title: str, body: str, window: QWidget | None) -> bool:
        """Announce a message once; returns False when it was already announced."""
        if key in self._seen:
            return False
        self._seen.append(key)
        if not self.enabled:
            return False
        text = one_line(body, NOTIFY_PREVIEW_CHARS)
        self.shown.append((title, text))
        del self.shown[:-SEEN_IDS_MAX]
        if self.tray is not None and QSystemTrayIcon.supportsMessages():
            self.tray.showMessage(title, text, icon("app"), NOTIFICATION_MS)
        elif window is not None:
            # No tray: at least make the taskbar entry ask for attention.
            QApplication.alert(window)
        return True

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()
