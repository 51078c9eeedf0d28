"""The main window's first frame before its session exists: the group list's and chat's outline.

A signed-in profile's window paints this at start-up (Qt widgets only: no pydantic, httpx,
models or cache), then `MainWindow.attach` swaps in the real panes before the next paint.
The proportions follow the window's saved splitter, so nothing jumps when the panes arrive.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QLabel, QLineEdit, QSplitter, QVBoxLayout, QWidget

# Same sizes as the real panes (GroupListPanel, the group delegate), so the outline matches.
LIST_MIN_WIDTH = 220
ROW_HEIGHT = 62
ROW_MARGIN = 10
AVATAR_SIZE = 36
PLACEHOLDER_ROWS = 6
LOADING_TEXT = "Loading your groups…"
# How far the placeholder bars sit from the window's background towards its text colour.
BAR_TINT = 0.12


def _tint(base: QColor, towards: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() + (towards.red() - base.red()) * amount),
        round(base.green() + (towards.green() - base.green()) * amount),
        round(base.blue() + (towards.blue() - base.blue()) * amount),
    )


class PlaceholderRows(QWidget):
    """Grey outlines of a few group rows (avatar, name, preview) while the list loads."""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        bar = _tint(
            pal.color(QPalette.ColorRole.Window),
            pal.color(QPalette.ColorRole.WindowText),
            BAR_TINT,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bar)
        width = self.width() - 2 * ROW_MARGIN
        text_left = ROW_MARGIN + AVATAR_SIZE + ROW_MARGIN
        for row in range(PLACEHOLDER_ROWS):
            top = row * ROW_HEIGHT + (ROW_HEIGHT - AVATAR_SIZE) / 2
            painter.drawEllipse(QRectF(ROW_MARGIN, top, AVATAR_SIZE, AVATAR_SIZE))
            name_width = max(0.0, (width - text_left) * (0.55 - 0.07 * (row % 3)))
            line_width = max(0.0, (width - text_left) * 0.8)
            painter.drawRoundedRect(QRectF(text_left, top + 4, name_width, 10), 4, 4)
            painter.drawRoundedRect(QRectF(text_left, top + 22, line_width, 9), 4, 4)
        painter.end()


class WindowSkeleton(QSplitter):
    """Left: a (disabled) filter box over placeholder rows; right, on the chat's background:
    "Loading your groups…"."""

    def __init__(self, parent: QWidget | None = None, splitter_state: str | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        left = QWidget(self)
        left.setMinimumWidth(LIST_MIN_WIDTH)
        self.filter_edit = QLineEdit(left)
        self.filter_edit.setPlaceholderText("Filter groups")
        self.filter_edit.setEnabled(False)
        rows = PlaceholderRows(left)
        layout = QVBoxLayout(left)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        top = QVBoxLayout()
        top.setContentsMargins(10, 10, 8, 8)
        top.addWidget(self.filter_edit)
        layout.addLayout(top)
        layout.addWidget(rows, 1)
        self.loading = QLabel(LOADING_TEXT, self)
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.loading.setAutoFillBackground(True)
        self.loading.setBackgroundRole(QPalette.ColorRole.Base)
        self.addWidget(left)
        self.addWidget(self.loading)
        self.setStretchFactor(0, 0)
        self.setStretchFactor(1, 1)
        self.setChildrenCollapsible(False)
        self.setHandleWidth(1)
        if splitter_state:
            self.restoreState(QByteArray.fromBase64(splitter_state.encode()))
