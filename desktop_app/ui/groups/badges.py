"""The badges at the right of a group row: the unread count (accent, or grey when the group
is muted) and, left of it, an `@` when an unread message mentions the user (as Telegram
marks a mention in a muted chat); and the crossed-out bell after a muted group's name."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter

from desktop_app.ui import theme
from desktop_app.ui.icons import icon

BADGE_HEIGHT = 18
BADGE_MAX = 999
BADGE_GAP = 4
MENTION_MARK = "@"
# The muted mark after the name: its size, and the room it takes with its gap.
MUTED_MARK_SIZE = 14
MUTED_MARK_GAP = 5
MUTED_MARK_ROOM = MUTED_MARK_SIZE + MUTED_MARK_GAP


def badge_text(unread: int) -> str:
    return str(unread) if unread <= BADGE_MAX else f"{BADGE_MAX}+"


def count_color(c: theme.ThemeColors, muted: bool) -> QColor:
    """The unread badge's fill: the accent, or the muted grey for a muted group."""
    return QColor(c.muted) if muted else QColor(c.accent)


def paint_muted_mark(painter: QPainter, x: int, line: QRect, c: theme.ThemeColors) -> None:
    """The crossed-out bell right after a muted group's name (x: where the name ends)."""
    top = line.center().y() - MUTED_MARK_SIZE // 2 + 1
    mark = QRect(x + MUTED_MARK_GAP, top, MUTED_MARK_SIZE, MUTED_MARK_SIZE)
    icon("mute", c.muted.name()).paint(painter, mark)


def paint_badges(
    painter: QPainter,
    right: int,
    center_y: int,
    font: QFont,
    unread: int,
    muted: bool,
    mentioned: bool,
    c: theme.ThemeColors,
) -> int:
    """Paint the badges ending at x = `right`; the width they take (0: none)."""
    badge_font = QFont(font)
    badge_font.setBold(True)
    fm = QFontMetrics(badge_font)
    painter.setFont(badge_font)
    painter.setPen(Qt.PenStyle.NoPen)
    x = right
    top = center_y - BADGE_HEIGHT // 2 + 1
    labels: list[tuple[str, QColor]] = []
    if unread:
        labels.append((badge_text(unread), count_color(c, muted)))
    if mentioned:
        labels.append((MENTION_MARK, QColor(c.accent)))
    for text, fill in labels:
        width = max(BADGE_HEIGHT, fm.horizontalAdvance(text) + 12)
        badge = QRect(x - width, top, width, BADGE_HEIGHT)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(badge), BADGE_HEIGHT / 2, BADGE_HEIGHT / 2)
        # White on the dark theme's light grey reads poorly: the grey badge takes dark text.
        grey_on_dark = c.dark and fill == c.muted
        painter.setPen(c.window if grey_on_dark else c.accent_text)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        x = badge.left() - BADGE_GAP
    return right - x - BADGE_GAP if labels else 0
