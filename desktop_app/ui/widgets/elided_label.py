"""A one-line label that elides to its width instead of widening its window."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

# However long the text, the label asks for no more than this much width as its minimum.
MIN_CHARS_SHOWN = 6


class ElidedLabel(QLabel):
    """Plain text on one line, cut with "…" when too long; the whole text is the tooltip.

    A plain QLabel's minimum width is its whole text, so a 100-character group name would
    stop the window from being made narrower than the name.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(False)
        # False when the owner sets a tooltip of its own (which then must say the whole text).
        self.tooltip_when_elided = True

    def setText(self, text: str) -> None:
        super().setText(text)
        self._sync_tooltip()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        room = self.fontMetrics().horizontalAdvance("M" * MIN_CHARS_SHOWN)
        return QSize(min(hint.width(), room), hint.height())

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def shown_text(self) -> str:
        """What the label paints (the text, or its start and "…")."""
        width = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._sync_tooltip()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.shown_text(),
            self.foregroundRole(),
        )

    def _sync_tooltip(self) -> None:
        if self.tooltip_when_elided:
            self.setToolTip(self.text() if self.is_elided() else "")
