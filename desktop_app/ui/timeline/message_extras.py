"""The v2 parts of a message row: system lines, reply quotes, tombstones, "edited", reaction
chips and seen-by ticks (sizes, painting and hit-testing; the delegate places them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPainterPath, QPen

from desktop_app.models.roles import MessageRoles
from desktop_app.session.extras import ReactionChip, ReplyQuote, SystemLine, Ticks
from desktop_app.ui import theme

ModelIndex = QModelIndex | QPersistentModelIndex

# A system line ("alice added dave") is one small line with this much room above and below.
SYSTEM_PAD = 6
# The reply quote: accent bar, then the quoted sender and one line of its text.
QUOTE_BAR = 3
QUOTE_PAD = 6
QUOTE_GAP = 4
# Reaction chips under the text.
CHIP_HEIGHT = 22
CHIP_PAD_X = 8
CHIP_GAP = 6
CHIPS_TOP_GAP = 4
# The right-hand gutter of one's own (ticks) or an edited message (the word "edited").
META_GAP = 8
TICK_WIDTH = 16
TICK_GAP = 4  # between "edited" and the ticks
EDITED_TEXT = "edited"
DELETED_TEXT = "message deleted"
# The hover button that opens the reactions menu.
REACT_BUTTON = 22
REACT_BUTTON_TEXT = "☺"


@dataclass(frozen=True)
class Extras:
    """What an index's v2 roles say (read once per layout or paint)."""

    system: SystemLine | None
    deleted: bool
    edited: bool
    reply: ReplyQuote | None
    reactions: tuple[ReactionChip, ...]
    ticks: Ticks
    read_by: tuple[str, ...]

    def key(self) -> tuple[Any, ...]:
        """What changes a row's height (part of the delegate's height-cache key)."""
        reactions = tuple((r.emoji, r.count) for r in self.reactions)
        quote = (self.reply.sender_name, self.reply.excerpt) if self.reply else None
        system = self.system.text if self.system else None
        return (system, self.deleted, self.edited, quote, reactions, bool(self.ticks))

    @property
    def has_meta(self) -> bool:
        return self.edited or self.ticks != Ticks.NONE


def extras_of(index: ModelIndex) -> Extras:
    """The v2 roles of a message index (absent roles read as nothing to draw)."""
    pending_edit = index.data(MessageRoles.PENDING_EDIT)
    ticks = index.data(MessageRoles.TICKS)
    return Extras(
        system=index.data(MessageRoles.SYSTEM),
        # A deletion still in the outbox shows at once, as it will for everyone.
        deleted=bool(index.data(MessageRoles.DELETED) or index.data(MessageRoles.PENDING_DELETE)),
        edited=index.data(MessageRoles.EDITED_AT) is not None or pending_edit is not None,
        reply=index.data(MessageRoles.REPLY_TO),
        reactions=tuple(index.data(MessageRoles.REACTIONS) or ()),
        ticks=Ticks(int(ticks)) if ticks is not None else Ticks.NONE,
        read_by=tuple(index.data(MessageRoles.READ_BY) or ()),
    )


def shown_body(index: ModelIndex, body: str) -> str:
    """The text a row shows: an edit still being sent, else the body."""
    pending_edit = index.data(MessageRoles.PENDING_EDIT)
    return str(pending_edit) if pending_edit is not None else body


# --- sizes -------------------------------------------------------------------------------


def system_height(small: QFont) -> int:
    return QFontMetrics(small).height() + 2 * SYSTEM_PAD


def quote_height(small: QFont) -> int:
    return 2 * QFontMetrics(small).height() + QUOTE_PAD


def meta_width(extras: Extras, small: QFont) -> int:
    """Room kept on the right of the text for "edited" and the ticks."""
    if not extras.has_meta:
        return 0
    width = META_GAP
    if extras.edited:
        width += QFontMetrics(small).horizontalAdvance(EDITED_TEXT) + 4
    if extras.ticks != Ticks.NONE:
        width += TICK_WIDTH + TICK_GAP
    return width


def chip_rects(extras: Extras, font: QFont, left: int, top: int, width: int) -> list[QRect]:
    """One rect per reaction chip, wrapping onto more lines when they do not fit."""
    fm = QFontMetrics(font)
    rects: list[QRect] = []
    x, y = left, top
    for chip in extras.reactions:
        w = fm.horizontalAdvance(f"{chip.emoji} {chip.count}") + 2 * CHIP_PAD_X
        if rects and x + w > left + width:
            x, y = left, y + CHIP_HEIGHT + CHIP_GAP
        rects.append(QRect(x, y, w, CHIP_HEIGHT))
        x += w + CHIP_GAP
    return rects


def chips_height(extras: Extras, font: QFont, width: int) -> int:
    rects = chip_rects(extras, font, 0, 0, width)
    return (rects[-1].bottom() + 1 + CHIPS_TOP_GAP) if rects else 0


# --- painting ----------------------------------------------------------------------------


def paint_system(painter: QPainter, rect: QRect, line: SystemLine, small: QFont) -> None:
    """A centred muted line between messages."""
    c = theme.colors()
    italic = QFont(small)
    italic.setItalic(True)
    painter.setFont(italic)
    painter.setPen(c.muted)
    fm = QFontMetrics(italic)
    text = fm.elidedText(line.text, Qt.TextElideMode.ElideRight, max(40, rect.width() - 32))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def paint_quote(painter: QPainter, rect: QRect, quote: ReplyQuote, small: QFont) -> None:
    """The quoted message above a reply: a bar in the sender's colour, name, one line of text."""
    c = theme.colors()
    color = c.sender_color(quote.sender_id)
    painter.fillRect(QRect(rect.left(), rect.top(), QUOTE_BAR, rect.height()), color)
    fm = QFontMetrics(small)
    text_left = rect.left() + QUOTE_BAR + QUOTE_PAD
    width = rect.width() - QUOTE_BAR - QUOTE_PAD
    bold = QFont(small)
    bold.setBold(True)
    painter.setFont(bold)
    painter.setPen(color)
    name_rect = QRect(text_left, rect.top() + QUOTE_PAD // 2, width, fm.height())
    align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(name_rect, align, quote.sender_name or "?")
    excerpt = " ".join(quote.excerpt.split()) if quote.excerpt else DELETED_TEXT
    italic = QFont(small)
    italic.setItalic(not quote.excerpt)
    painter.setFont(italic)
    painter.setPen(c.muted)
    shown = QFontMetrics(italic).elidedText(excerpt, Qt.TextElideMode.ElideRight, width)
    painter.drawText(name_rect.translated(0, fm.height()), align, shown)


def paint_deleted(painter: QPainter, rect: QRect, base: QFont) -> None:
    c = theme.colors()
    italic = QFont(base)
    italic.setItalic(True)
    painter.setFont(italic)
    painter.setPen(c.muted)
    painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, DELETED_TEXT)


def paint_meta(painter: QPainter, body: QRect, extras: Extras, small: QFont) -> None:
    """ "edited" and the ticks, right-aligned on the text's first line."""
    if not extras.has_meta:
        return
    c = theme.colors()
    fm = QFontMetrics(small)
    right = body.right() + meta_width(extras, small)
    line = QRect(body.left(), body.top(), right - body.left(), fm.height() + 4)
    if extras.ticks != Ticks.NONE:
        tick_rect = QRect(right - TICK_WIDTH, line.top() + 3, TICK_WIDTH, fm.height() - 2)
        color = c.accent if extras.ticks == Ticks.TWO else c.muted
        _draw_ticks(painter, tick_rect, 2 if extras.ticks == Ticks.TWO else 1, color)
        right -= TICK_WIDTH + TICK_GAP
    if extras.edited:
        painter.setFont(small)
        painter.setPen(c.muted)
        w = fm.horizontalAdvance(EDITED_TEXT) + 4
        painter.drawText(
            QRect(right - w, line.top(), w, fm.height() + 4),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            EDITED_TEXT,
        )


def tick_rect(body: QRect, extras: Extras, small: QFont) -> QRect:
    """Where the ticks are drawn (for their tooltip)."""
    if extras.ticks == Ticks.NONE:
        return QRect()
    right = body.right() + meta_width(extras, small)
    return QRect(right - TICK_WIDTH, body.top(), TICK_WIDTH, QFontMetrics(small).height() + 4)


def _draw_ticks(painter: QPainter, rect: QRect, count: int, color: Any) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(color, 1.5)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    h = rect.height()
    for i in range(count):
        x = rect.left() + i * 5
        path = QPainterPath(QPointF(x, rect.top() + h * 0.55))
        path.lineTo(QPointF(x + 3, rect.top() + h * 0.8))
        path.lineTo(QPointF(x + 9, rect.top() + h * 0.25))
        painter.drawPath(path)
    painter.restore()


def paint_chips(painter: QPainter, rects: list[QRect], extras: Extras, font: QFont) -> None:
    """Rounded chips "👍 2"; one's own reaction is filled with the accent colour."""
    c = theme.colors()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(font)
    for rect, chip in zip(rects, extras.reactions, strict=False):
        fill = c.selection if chip.mine else c.window
        border = c.accent if chip.mine else c.separator
        painter.setPen(QPen(border, 1.2 if chip.mine else 1.0))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 11, 11)
        painter.setPen(c.accent if chip.mine else c.text)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{chip.emoji} {chip.count}")
    painter.restore()


def paint_react_button(painter: QPainter, rect: QRect, font: QFont) -> None:
    """The hover button that opens the reactions menu."""
    c = theme.colors()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(c.separator, 1))
    painter.setBrush(c.window)
    painter.drawEllipse(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5))
    painter.setFont(font)
    painter.setPen(c.muted)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, REACT_BUTTON_TEXT)
    painter.restore()


def chip_tooltip(chip: ReactionChip) -> str:
    """ "alice, bob reacted with 👍"."""
    return f"{', '.join(chip.names)} reacted with {chip.emoji}"


def ticks_tooltip(extras: Extras) -> str:
    if extras.ticks == Ticks.NONE:
        return ""
    if not extras.read_by:
        return "Sent; nobody has read it yet"
    who = ", ".join(extras.read_by)
    return f"Read by everyone: {who}" if extras.ticks == Ticks.TWO else f"Read by {who}"
