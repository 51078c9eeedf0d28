"""Jumping to a quoted message: load older pages until it is held, scroll to it, flash it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView

if TYPE_CHECKING:
    from desktop_app.ui.timeline.chat_view import ChatView

# The original stays highlighted this long after the jump.
HIGHLIGHT_MS = 1500
# Older pages are asked for at most this many times per jump (each is a page of history).
MAX_PAGES_PER_JUMP = 50
# While a page loads, the jump looks again this often.
RETRY_MS = 100


class Jumper(QObject):
    """One pending jump per view: the target message id and how many pages it has asked.
    `highlight_changed(message_id | None)` when the original lights up (the view is then
    scrolled to it) and when it goes dark again."""

    highlight_changed = Signal(object)

    def __init__(self, view: ChatView) -> None:
        super().__init__(view)
        self._view = view
        self._target: int | None = None
        self._pages = 0
        self._retry = QTimer(self, singleShot=True, interval=RETRY_MS)
        self._retry.timeout.connect(self._try)
        self._unflash = QTimer(self, singleShot=True, interval=HIGHLIGHT_MS)
        self._unflash.timeout.connect(self._clear_highlight)
        self.highlighted: int | None = None  # the message id shown highlighted

    def jump_to(self, message_id: int) -> None:
        self._view.reader_moved()  # the reader's choice wins over a move to the first unread
        self._target = message_id
        self._pages = 0
        self._try()

    def _try(self) -> None:
        window = self._view.window_model
        target = self._target
        if window is None or target is None:
            return
        source = window.source
        tl = source.timeline
        row = next((i for i, r in enumerate(tl.confirmed) if r.id == target), None)
        if row is None:
            if source.is_loading_older():
                self._retry.start()
                return
            if not source.has_older() or self._pages >= MAX_PAGES_PER_JUMP:
                self._target = None  # not in this group's history any more (or gone)
                return
            self._pages += 1
            source.request_older()
            self._retry.start()
            return
        self._target = None
        if row < window.hidden_older:
            window.reveal_older(window.hidden_older - row)
        index = window.index(row - window.hidden_older, 0)
        self._view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self._set_highlight(target)
        self._unflash.start()

    def _clear_highlight(self) -> None:
        self._set_highlight(None)

    def _set_highlight(self, message_id: int | None) -> None:
        """The delegate paints the row of `message_id` highlighted (the selection is left
        alone: the reader may have selected something)."""
        self.highlighted = message_id
        self._view.highlight_message(message_id)
        self.highlight_changed.emit(message_id)
