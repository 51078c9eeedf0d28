"""Paints one chat message: sender, time, wrapped plain text, grouping, day and "New messages" separators, states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from desktop_app.models.message_model import MessageModel
from desktop_app.models.roles import MessageRoles
from desktop_app.session.timeline import Row
from desktop_app.ui import theme
from desktop_app.ui.files import row_files
from desktop_app.ui.files.thumbnails import ThumbnailCache
from desktop_app.ui.formatting import clock, day_label, initials, local
from desktop_app.ui.timeline import message_extras as mx
from desktop_app.ui.timeline.mention_marks import mention_ranges
from desktop_app.ui.timeline.tail_window import TailWindow
from desktop_app.ui.timeline.text_layout import draw_text, link_at, text_height

MARGIN_X = 16
AVATAR = 32
AVATAR_GAP = 10
HEADER_TOP_PAD = 11
GROUPED_TOP_PAD = 2
BOTTOM_PAD = 1
HEADER_GAP = 2
SEPARATOR_HEIGHT = 36
# The "New messages" line above the first unread message.
DIVIDER_HEIGHT = 30
DIVIDER_TEXT = "New messages"
FAILED_GAP = 3
CLOCK_SIZE = 11
# Messages of one sender closer than this share a header.
GROUP_WINDOW = timedelta(minutes=5)
# Heights are cached per (message, width, flags); beyond this many entries start afresh.
HEIGHT_CACHE_MAX = 20_000
# What link_at says for a link in the text: this prefix, then the address.
URL_HIT = "url:"

ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RowFlags:
    """What a row draws besides its text, derived from it and the row above."""

    day_separator: bool
    header: bool
    failed: bool


@dataclass(frozen=True)
class RowGeometry:
    """Where everything of one row goes, relative to the row's rect."""

    separator: QRect
    divider: QRect
    avatar: QRect
    header: QRect
    body: QRect
    failed_line: QRect
    retry: QRect
    discard: QRect
    system: QRect
    quote: QRect
    chips: list[QRect]
    react_button: QRect
    files: row_files.FilesLayout | None = None  # issue 12: pictures, file chips, upload line


def message_at(index: ModelIndex) -> Row | None:
    """The Row behind an index of a TailWindow or a MessageModel."""
    model = index.model()
    if isinstance(model, (TailWindow, MessageModel)) and 0 <= index.row() < model.rowCount():
        return model.row_at(index.row())
    return None


def _local_day(when: datetime) -> date:
    return local(when).date()


def model_above_system(index: ModelIndex) -> bool:
    """Whether the row above is a system line (it changes this row's header)."""
    if index.row() <= 0:
        return False
    return index.model().index(index.row() - 1, 0).data(MessageRoles.SYSTEM) is not None


def row_flags(index: ModelIndex) -> RowFlags:
    """Whether the row starts a day and whether it shows the sender header."""
    row = message_at(index)
    if row is None:
        return RowFlags(day_separator=False, header=True, failed=False)
    failed = row.state == "failed"
    model = index.model()
    above = model.row_at(index.row() - 1) if index.row() > 0 else None  # type: ignore[attr-defined]
    if above is None:
        return RowFlags(day_separator=True, header=True, failed=failed)
    new_day = _local_day(row.created_at) != _local_day(above.created_at)
    close = abs(row.created_at - above.created_at) < GROUP_WINDOW
    header = new_day or above.sender_id != row.sender_id or not close or above.state == "failed"
    # A system line ends a run: the next message names its sender again.
    header = header or model_above_system(index)
    return RowFlags(day_separator=new_day, header=header, failed=failed)


class MessageDelegate(QStyledItemDelegate):
    """Draws messages as plain text (never rich text) and turns Retry/Discard clicks into signals."""

    retry_requested = Signal(str)  # client_msg_id
    discard_requested = Signal(str)
    quote_clicked = Signal(int)  # the original's message id
    reaction_toggled = Signal(int, str, bool)  # message id, emoji, add
    react_menu_requested = Signal(int, QPoint)  # message id, global position
    file_clicked = Signal(object, str)  # FileRef, row_files.VIEW / OPEN / SAVE
    url_clicked = Signal(str)  # a link in a message's text

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view
        self._heights: dict[object, tuple[tuple[object, ...], int]] = {}
        # The seq of the first unread message: a "New messages" line is drawn above it.
        self.divider_seq: int | None = None
        # The row under the mouse shows the reactions button (set by the view).
        self.hovered_row: int | None = None
        # A quoted message just jumped to is drawn highlighted for a moment (timeline/jump.py).
        self.highlighted_id: int | None = None
        # Pictures of files (issue 12), set by the window once its session is known.
        self.thumbnails: ThumbnailCache | None = None

    # --- fonts and geometry ----------------------------------------------------------

    def _fonts(self, base: QFont) -> tuple[QFont, QFont, QFont]:
        name = QFont(base)
        name.setBold(True)
        small = QFont(base)
        size = base.pointSizeF()
        if size > 0:
            small.setPointSizeF(max(6.0, size - 1.5))
        return base, name, small

    def _text_left(self) -> int:
        return MARGIN_X + AVATAR + AVATAR_GAP

    def _text_width(self, row_width: int) -> int:
        return max(40, row_width - self._text_left() - MARGIN_X)

    def _row_width(self) -> int:
        return self._view.viewport().width()

    def geometry(self, option: QStyleOptionViewItem, index: ModelIndex) -> RowGeometry:
        """The layout of one row inside option.rect (also used for hit-testing clicks)."""
        rect: QRect = option.rect
        flags = row_flags(index)
        has_divider = self._has_divider(index)
        if has_divider and not flags.header:
            # The "New messages" line starts a new run: the sender is named again below it.
            flags = RowFlags(flags.day_separator, True, flags.failed)
        base, name_font, small = self._fonts(option.font)
        top = rect.top()
        separator = QRect()
        if flags.day_separator:
            separator = QRect(rect.left(), top, rect.width(), SEPARATOR_HEIGHT)
            top += SEPARATOR_HEIGHT
        divider = QRect()
        if has_divider:
            divider = QRect(rect.left(), top, rect.width(), DIVIDER_HEIGHT)
            top += DIVIDER_HEIGHT
        extras = mx.extras_of(index)
        if extras.system is not None:
            system = QRect(rect.left(), top, rect.width(), mx.system_height(small))
            none = QRect()
            return RowGeometry(
                separator, divider, none, none, none, none, none, none, system, none, [], none
            )
        top += HEADER_TOP_PAD if flags.header else GROUPED_TOP_PAD
        left = rect.left() + self._text_left()
        width = self._text_width(rect.width())
        react_button = QRect(
            rect.right() - MARGIN_X - mx.REACT_BUTTON, top, mx.REACT_BUTTON, mx.REACT_BUTTON
        )
        avatar = QRect()
        header = QRect()
        if flags.header:
            avatar = QRect(rect.left() + MARGIN_X, top + 1, AVATAR, AVATAR)
            header_h = QFontMetrics(name_font).height()
            header = QRect(left, top, width, header_h)
            top += header_h + HEADER_GAP
        quote = QRect()
        if extras.reply is not None and not extras.deleted:
            quote = QRect(left, top, width, mx.quote_height(small))
            top += quote.height() + mx.QUOTE_GAP
        row = message_at(index)
        text_w = width - mx.meta_width(extras, small)
        files = row_files.files_of(row, extras.deleted)
        shown = mx.shown_body(index, row.body if row else "")
        if extras.deleted:
            body_h = QFontMetrics(base).height()
        else:
            body_h = 0 if files and not shown else text_height(shown, base, text_w)
        body = QRect(left, top, text_w, body_h)
        top += body_h
        files_geo = None
        if files and row is not None:
            # Beside "edited" and the ticks, never under them: the files keep the text's width.
            files_geo = row_files.layout(files, left, top, text_w, row.state == "pending")
            top = files_geo.bottom + 1
        chips: list[QRect] = []
        if extras.reactions and not extras.deleted:
            chips = mx.chip_rects(extras, small, left, top + mx.CHIPS_TOP_GAP, width)
            top = chips[-1].bottom() + 1
        failed_line = retry = discard = QRect()
        if flags.failed:
            fm = QFontMetrics(small)
            top += FAILED_GAP
            failed_line = QRect(left, top, width, fm.height())
            retry_w = fm.horizontalAdvance("Retry") + 8
            discard_w = fm.horizontalAdvance("Discard") + 8
            discard = QRect(left + width - discard_w, top, discard_w, fm.height())
            retry = QRect(discard.left() - 6 - retry_w, top, retry_w, fm.height())
        return RowGeometry(
            separator,
            divider,
            avatar,
            header,
            body,
            failed_line,
            retry,
            discard,
            QRect(),
            quote,
            chips,
            react_button,
            files_geo,
        )

    def _has_divider(self, index: ModelIndex) -> bool:
        row = message_at(index)
        return row is not None and row.seq is not None and row.seq == self.divider_seq

    # --- size --------------------------------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        width = self._row_width()
        row = message_at(index)
        if row is None:
            return QSize(width, 0)
        above = index.model().row_at(index.row() - 1) if index.row() > 0 else None  # type: ignore[attr-defined]
        # A row's height depends on its own text and state, the width, and the row above
        # (grouping, day separator); the key says exactly that, so a hit needs no layout.
        signature = (
            width,
            (above.client_msg_id or above.id) if above is not None else None,
            above.state == "failed" if above is not None else False,
            row.state == "failed",
            option.font.key(),
            row.seq is not None and row.seq == self.divider_seq,
            mx.extras_of(index).key(),
            index.data(MessageRoles.PENDING_EDIT),
            model_above_system(index),
            row_files.key_of(row),
        )
        key = row.client_msg_id or row.id
        cached = self._heights.get(key)
        if cached is not None and cached[0] == signature:
            return QSize(width, cached[1])
        if len(self._heights) > HEIGHT_CACHE_MAX:
            self._heights.clear()
        probe = QStyleOptionViewItem(option)
        probe.rect = QRect(0, 0, width, 0)
        geo = self.geometry(probe, index)
        chips_bottom = geo.chips[-1].bottom() if geo.chips else -1
        bottom = max(
            geo.body.bottom(),
            geo.failed_line.bottom(),
            geo.avatar.bottom(),
            geo.system.bottom(),
            chips_bottom,
            geo.files.bottom if geo.files is not None else -1,
        )
        height = bottom + 1 + BOTTOM_PAD
        self._heights[key] = (signature, height)
        return QSize(width, height)

    def clear_cache(self) -> None:
        self._heights.clear()

    # --- paint -------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        c = theme.colors()
        geo = self.geometry(option, index)
        base, name_font, small = self._fonts(option.font)
        row = message_at(index)
        if row is None:
            return
        state = row.state
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        highlighted = row.id is not None and row.id == self.highlighted_id
        if option.state & QStyle.StateFlag.State_Selected or highlighted:
            content = QRect(option.rect)
            top_line = geo.divider if not geo.divider.isNull() else geo.separator
            if not top_line.isNull():
                content.setTop(top_line.bottom() + 1)
            painter.fillRect(content, c.selection)
        if not geo.separator.isNull():
            self._paint_separator(painter, geo.separator, row, small, c)
        if not geo.divider.isNull():
            self._paint_divider(painter, geo.divider, small, c)
        extras = mx.extras_of(index)
        if extras.system is not None:
            mx.paint_system(painter, geo.system, extras.system, small)
            painter.restore()
            return
        if not geo.avatar.isNull():
            self._paint_avatar(painter, geo.avatar, row, c)
            self._paint_header(painter, geo.header, row, name_font, small, c)
        elif state == "pending":
            self._paint_clock(painter, geo.body, c)
        body_color = c.text
        if state == "pending":
            body_color = c.muted
        elif state == "failed":
            body_color = c.failed
        if extras.reply is not None and not geo.quote.isNull():
            mx.paint_quote(painter, geo.quote, extras.reply, small)
        if extras.deleted:
            mx.paint_deleted(painter, geo.body, base)
        else:
            painter.setPen(body_color)
            text = mx.shown_body(index, row.body)
            marks = mention_ranges(index, text, row.body)
            draw_text(painter, text, base, geo.body.left(), geo.body.top(), geo.body.width(), marks)
        if geo.files is not None and row.attachments:
            progress = index.data(MessageRoles.UPLOAD_PROGRESS)
            row_files.paint(painter, row.attachments, geo.files, self.thumbnails, small, progress)
        mx.paint_meta(painter, geo.body, extras, small)
        if geo.chips:
            mx.paint_chips(painter, geo.chips, extras, small)
        if self.hovered_row == index.row() and row.id is not None and not extras.deleted:
            mx.paint_react_button(painter, geo.react_button, base)
        if not geo.failed_line.isNull():
            self._paint_failed(painter, geo, row, small, c)
        painter.restore()

    def _paint_separator(
        self,
        painter: QPainter,
        rect: QRect,
        row: Row,
        font: QFont,
        c: theme.ThemeColors,
    ) -> None:
        label = day_label(_local_day(row.created_at))
        self._paint_rule(painter, rect, label, font, c.separator, c.muted)

    def _paint_divider(
        self, painter: QPainter, rect: QRect, font: QFont, c: theme.ThemeColors
    ) -> None:
        """The accent line with "New messages" in its middle, as chat apps mark the first unread."""
        bold = QFont(font)
        bold.setBold(True)
        self._paint_rule(painter, rect, DIVIDER_TEXT, bold, c.accent, c.accent)

    def _paint_rule(
        self,
        painter: QPainter,
        rect: QRect,
        label: str,
        font: QFont,
        line: QColor,
        text: QColor,
    ) -> None:
        """A horizontal line across the row with `label` in a gap in its middle."""
        fm = QFontMetrics(font)
        text_w = fm.horizontalAdvance(label) + 24
        mid_y = rect.center().y()
        painter.setPen(QPen(line, 1))
        left_end = rect.center().x() - text_w // 2
        right_start = rect.center().x() + text_w // 2
        painter.drawLine(rect.left() + MARGIN_X, mid_y, left_end, mid_y)
        painter.drawLine(right_start, mid_y, rect.right() - MARGIN_X, mid_y)
        painter.setFont(font)
        painter.setPen(text)
        painter.drawText(
            QRect(left_end, rect.top(), text_w, rect.height()), Qt.AlignmentFlag.AlignCenter, label
        )

    def _paint_avatar(self, painter: QPainter, rect: QRect, row: Row, c: theme.ThemeColors) -> None:
        name = row.sender_name or "?"
        fill = QColor(c.sender_color(row.sender_id))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawEllipse(QRectF(rect))
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(max(10, AVATAR * 2 // 5))
        painter.setFont(font)
        painter.setPen(QColor("#ffffff") if not c.dark else QColor("#10131a"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, initials(name))

    def _paint_header(
        self,
        painter: QPainter,
        rect: QRect,
        row: Row,
        name_font: QFont,
        small: QFont,
        c: theme.ThemeColors,
    ) -> None:
        sender_id = row.sender_id
        name = row.sender_name or "?"
        fm = QFontMetrics(name_font)
        name = fm.elidedText(name, Qt.TextElideMode.ElideRight, max(20, rect.width() - 90))
        painter.setFont(name_font)
        painter.setPen(c.sender_color(sender_id))
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        x = rect.left() + fm.horizontalAdvance(name) + 8
        state = row.state
        label = clock(row.created_at)
        if state == "pending":
            label = "sending…"
        elif state == "failed":
            label = "not sent"
        painter.setFont(small)
        painter.setPen(c.failed if state == "failed" else c.muted)
        small_fm = QFontMetrics(small)
        text_rect = QRect(x, rect.top(), small_fm.horizontalAdvance(label) + 2, rect.height())
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label
        )
        if state == "pending":
            clock_rect = QRect(
                text_rect.right() + 6,
                rect.center().y() - CLOCK_SIZE // 2,
                CLOCK_SIZE,
                CLOCK_SIZE,
            )
            self._draw_clock(painter, clock_rect, c.muted)

    def _paint_clock(self, painter: QPainter, body: QRect, c: theme.ThemeColors) -> None:
        """A small clock in the gutter of a grouped pending message."""
        x = body.left() - AVATAR_GAP - CLOCK_SIZE - 2
        self._draw_clock(painter, QRect(x, body.top() + 3, CLOCK_SIZE, CLOCK_SIZE), c.muted)

    def _draw_clock(self, painter: QPainter, rect: QRect, color: QColor) -> None:
        painter.save()
        painter.setPen(QPen(color, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        r = QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.drawEllipse(r)
        center = r.center()
        painter.drawLine(center, QPointF(center.x(), r.top() + 2.5))
        painter.drawLine(center, QPointF(r.right() - 2.5, center.y()))
        painter.restore()

    def _paint_failed(
        self,
        painter: QPainter,
        geo: RowGeometry,
        row: Row,
        small: QFont,
        c: theme.ThemeColors,
    ) -> None:
        reason = row.error or "the server refused it"
        painter.setFont(small)
        fm = QFontMetrics(small)
        room = geo.retry.left() - geo.failed_line.left() - 8
        text = fm.elidedText(f"Not sent: {reason}", Qt.TextElideMode.ElideRight, max(20, room))
        painter.setPen(c.failed)
        painter.drawText(
            geo.failed_line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text
        )
        link = QFont(small)
        link.setUnderline(True)
        link.setBold(True)
        painter.setFont(link)
        painter.setPen(c.accent)
        painter.drawText(geo.retry, Qt.AlignmentFlag.AlignCenter, "Retry")
        painter.setPen(c.failed)
        painter.drawText(geo.discard, Qt.AlignmentFlag.AlignCenter, "Discard")

    # --- clicks ------------------------------------------------------------------------

    def link_at(self, option: QStyleOptionViewItem, index: ModelIndex, pos: QPointF) -> str | None:
        """What a click at `pos` hits: "retry"/"discard" on a failed message, "quote" on a
        reply's quote, "react" on the hover button, "chip:N" on the Nth reaction chip,
        "url:<address>" on a link in the text."""
        row = message_at(index)
        if row is None:
            return None
        geo = self.geometry(option, index)
        point = pos.toPoint()
        if geo.body.contains(point) and not mx.extras_of(index).deleted:
            text = mx.shown_body(index, row.body)
            url = link_at(text, option.font, geo.body.width(), pos - QPointF(geo.body.topLeft()))
            if url is not None:
                return URL_HIT + url
        if row.state == "failed":
            if geo.retry.adjusted(-3, -3, 3, 3).contains(point):
                return "retry"
            if geo.discard.adjusted(-3, -3, 3, 3).contains(point):
                return "discard"
            return None
        if geo.files is not None and row.attachments:
            small = self._fonts(option.font)[2]
            found = row_files.hit(row.attachments, geo.files, small, point.x(), point.y())
            if found is not None:
                return f"file:{found[0]}:{found[1]}"
        if not geo.quote.isNull() and geo.quote.contains(point):
            return "quote"
        for n, rect in enumerate(geo.chips):
            if rect.contains(point):
                return f"chip:{n}"
        if self.hovered_row == index.row() and row.id is not None:
            if not geo.react_button.isNull() and geo.react_button.contains(point):
                return "react"
        return None

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: ModelIndex,
    ) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            link = self.link_at(option, index, event.position())
            if link is not None and link.startswith(URL_HIT):
                if event.button() == Qt.MouseButton.LeftButton:
                    self.url_clicked.emit(link.removeprefix(URL_HIT))
                return True
            row = message_at(index)
            cid = row.client_msg_id if row else ""
            if link == "retry" and cid:
                self.retry_requested.emit(cid)
                return True
            if link == "discard" and cid:
                self.discard_requested.emit(cid)
                return True
            if link is not None and link.startswith("file:") and row and row.attachments:
                _file, n, action = link.split(":")
                self.file_clicked.emit(row.attachments[int(n)], action)
                return True
            if link is not None and row is not None and row.id is not None:
                return self._extras_click(link, row.id, index, event)
        return super().editorEvent(event, model, option, index)

    def _extras_click(
        self, link: str, message_id: int, index: ModelIndex, event: QMouseEvent
    ) -> bool:
        extras = mx.extras_of(index)
        if link == "quote" and extras.reply is not None:
            self.quote_clicked.emit(extras.reply.message_id)
            return True
        if link == "react":
            self.react_menu_requested.emit(message_id, event.globalPosition().toPoint())
            return True
        if link.startswith("chip:"):
            chip = extras.reactions[int(link[5:])]
            self.reaction_toggled.emit(message_id, chip.emoji, not chip.mine)
            return True
        return False

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: ModelIndex,
    ) -> bool:
        """Tooltips: who reacted with a chip's emoji; who has read one's message."""
        extras = mx.extras_of(index)
        point = event.pos()
        geo = self.geometry(option, index)
        text = ""
        for rect, chip in zip(geo.chips, extras.reactions, strict=False):
            if rect.contains(point):
                text = mx.chip_tooltip(chip)
        _base, _name, small = self._fonts(option.font)
        link = self.link_at(option, index, QPointF(point)) if not text else None
        if link is not None and link.startswith(URL_HIT):
            text = link.removeprefix(URL_HIT)  # the whole address of a shortened link
        if not text and mx.tick_rect(geo.body, extras, small).contains(point):
            text = mx.ticks_tooltip(extras)
        if text:
            QToolTip.showText(event.globalPos(), text, view)
            return True
        return super().helpEvent(event, view, option, index)
