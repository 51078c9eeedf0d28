"""A username box that suggests users as you type (GET /api/users?q=prefix, debounced)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import QStringListModel, Qt, QTimer
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from chat_protocol.models import User
from desktop_app.tasks import spawn

LOOKUP_DELAY_MS = 200

Search = Callable[[str], Awaitable[list[User]]]


class UserLookup(QLineEdit):
    """Completes usernames from the server; shows "username — Display Name" suggestions."""

    def __init__(self, search: Search, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self._names = QStringListModel(self)
        completer = QCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self._debounce = QTimer(self, singleShot=True, interval=LOOKUP_DELAY_MS)
        self._debounce.timeout.connect(self._lookup)
        self.textEdited.connect(lambda _t: self._debounce.start())
        self.found: list[User] = []

    def _lookup(self) -> None:
        prefix = self.text().strip().lower()
        if prefix:
            spawn(self._run(prefix), name="user-lookup")

    async def _run(self, prefix: str) -> None:
        try:
            users = await self._search(prefix)
        except Exception:  # lookup is a convenience; the server still checks the name
            return
        if self.text().strip().lower() != prefix:
            return
        self.found = users
        self._names.setStringList([u.username for u in users])
        completer = self.completer()
        if users and self.hasFocus():
            completer.setCompletionPrefix(prefix)
            completer.complete()
