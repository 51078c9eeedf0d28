"""`@` completion in the composer: typing `@` and the start of a username or display name
lists the group's matching members under the caret; Up/Down choose, Tab or Enter insert
`@username `, Esc closes. While the list is closed every key does what it always did
(Enter sends).

The list is a tool-tip-like window that never takes focus, so typing goes on in the editor
and narrows it. Where a token may start follows the mention rule (chat_protocol.mentions):
at the start, or after a character that is not a letter, digit or `_`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPlainTextEdit

from chat_protocol import limits
from desktop_app.session.members import MemberInfo

# At most this many members are listed (the rest narrow down as one types).
MAX_SHOWN = 8
# The list's width in pixels, and the gap between the caret and the list.
POPUP_WIDTH = 280
POPUP_GAP = 4
# The `@` and what has been typed of the name so far, ending at the caret.
_TYPED = re.compile(r"(?<![\w])@([^\s@]{0," + str(limits.USERNAME_MAX) + r"})$")
POPUP_STYLE = "QListWidget#mentionPopup::item { padding: 4px 8px; }"
_ACCEPT_KEYS = (Qt.Key.Key_Tab, Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MOVE_KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member one may mention."""

    username: str
    display_name: str


def candidates(members: Iterable[MemberInfo], my_id: int) -> list[Candidate]:
    """The members one may mention: everyone but oneself."""
    return [Candidate(m.username, m.display_name) for m in members if m.id != my_id]


def typed_token(text_before_caret: str) -> tuple[int, str] | None:
    """(position of the `@`, what follows it) when the caret ends an `@…` token."""
    match = _TYPED.search(text_before_caret)
    if match is None:
        return None
    return match.start(), match.group(1)


def matches(candidates: Sequence[Candidate], typed: str) -> list[Candidate]:
    """The candidates whose username or a word of whose display name starts with `typed`
    (case-insensitive): username matches first, then by username."""
    needle = typed.casefold()
    first: list[Candidate] = []
    then: list[Candidate] = []
    for c in candidates:
        if c.username.casefold().startswith(needle):
            first.append(c)
        elif any(w.startswith(needle) for w in c.display_name.casefold().split()):
            then.append(c)
    ordered = sorted(first, key=lambda c: c.username) + sorted(then, key=lambda c: c.username)
    return ordered[:MAX_SHOWN]


class MentionCompleter(QObject):
    """Watches a plain-text editor and offers the members `source()` returns."""

    def __init__(self, edit: QPlainTextEdit) -> None:
        super().__init__(edit)
        self._edit = edit
        self._source: Callable[[], Sequence[Candidate]] = list
        self._start = -1  # position of the `@` being completed
        self.popup = QListWidget()
        self.popup.setObjectName("mentionPopup")
        self.popup.setWindowFlags(Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.popup.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.popup.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.popup.setAccessibleName("Mention suggestions")
        self.popup.setStyleSheet(POPUP_STYLE)
        self.popup.itemClicked.connect(self._accept_item)
        # Opened by typing only (a draft put back in the editor opens nothing); once open it
        # follows every change of the text and the caret.
        edit.textChanged.connect(self._follow)
        edit.cursorPositionChanged.connect(self._follow)
        edit.installEventFilter(self)
        edit.destroyed.connect(self.popup.deleteLater)

    def set_source(self, source: Callable[[], Sequence[Candidate]]) -> None:
        """Where the members to offer come from (asked each time the list opens or narrows)."""
        self._source = source

    def is_open(self) -> bool:
        return self.popup.isVisible()

    def shown(self) -> list[str]:
        """The usernames listed now, in order."""
        return [
            str(self.popup.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.popup.count())
        ]

    def close(self) -> None:
        self.popup.hide()
        self._start = -1

    # --- following the text ---------------------------------------------------------

    def _follow(self) -> None:
        if self.is_open():
            self.refresh()

    def refresh(self) -> None:
        """Open, narrow or close the list for the text before the caret."""
        cursor = self._edit.textCursor()
        if cursor.hasSelection():
            self.close()
            return
        block = cursor.block()
        before = block.text()[: cursor.positionInBlock()]
        token = typed_token(before)
        if token is None:
            self.close()
            return
        found = matches(self._source(), token[1])
        if not found:
            self.close()
            return
        self._start = block.position() + token[0]
        self._fill(found)
        self._place()

    def _fill(self, found: list[Candidate]) -> None:
        current = self.popup.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.popup.clear()
        for c in found:
            item = QListWidgetItem(f"{c.display_name}  @{c.username}")
            item.setData(Qt.ItemDataRole.UserRole, c.username)
            item.setToolTip(f"@{c.username}")
            self.popup.addItem(item)
        names = [c.username for c in found]
        self.popup.setCurrentRow(names.index(keep) if keep in names else 0)

    def _place(self) -> None:
        """Above the caret (the composer sits at the bottom of the window), or below it
        when there is no room above on the screen."""
        caret = self._edit.cursorRect()
        viewport = self._edit.viewport()
        rows = self.popup.count()
        height = max(1, self.popup.sizeHintForRow(0) * rows + 2 * self.popup.frameWidth())
        self.popup.setFixedSize(POPUP_WIDTH, height)
        spot = viewport.mapToGlobal(QPoint(caret.left(), caret.top() - POPUP_GAP - height))
        screen = viewport.screen()
        if screen is not None and spot.y() < screen.availableGeometry().top():
            spot = viewport.mapToGlobal(QPoint(caret.left(), caret.bottom() + POPUP_GAP))
        self.popup.move(spot)
        if not self.popup.isVisible():
            self.popup.show()

    # --- keys ------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._edit:
            return False
        kind = event.type()
        if kind == QEvent.Type.FocusOut:
            self.close()
            return False
        if not isinstance(event, QKeyEvent):
            return False
        if not self.is_open():
            if kind == QEvent.Type.KeyPress and event.text():
                QTimer.singleShot(0, self.refresh)  # once the editor has taken the key
            return False
        key = event.key()
        ours = key in _ACCEPT_KEYS or key in _MOVE_KEYS or key == Qt.Key.Key_Escape
        if kind == QEvent.Type.ShortcutOverride and ours:
            event.accept()  # Esc, Enter… belong to the list while it is open
            return True
        if kind != QEvent.Type.KeyPress or not ours:
            return False
        if key == Qt.Key.Key_Escape:
            self.close()
        elif key in _MOVE_KEYS:
            step = -1 if key == Qt.Key.Key_Up else 1
            self.popup.setCurrentRow((self.popup.currentRow() + step) % self.popup.count())
        else:
            self._accept_item(self.popup.currentItem())
        return True

    def _accept_item(self, item: QListWidgetItem | None) -> None:
        """Replace the typed `@…` with `@username ` and go on typing after it."""
        if item is None or self._start < 0:
            return
        username = str(item.data(Qt.ItemDataRole.UserRole))
        cursor = self._edit.textCursor()
        end = cursor.position()
        cursor.setPosition(self._start)
        cursor.setPosition(end, cursor.MoveMode.KeepAnchor)
        self.close()
        cursor.insertText(f"@{username} ")
        self._edit.setTextCursor(cursor)
        self.close()
