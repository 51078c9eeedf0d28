"""A message row's files: where they go, how they are drawn, what a click on them means.

Images are drawn inline (their thumbnail, fitted in IMAGE_BOX, aspect kept; a placeholder
of the same size until it is loaded), other files as chips with name, size and the actions
Open and Save as…. A pending message with files has one more line: its upload's progress."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen

from desktop_app.session.attachments import FileRef
from desktop_app.session.timeline import PENDING, Row
from desktop_app.ui import theme
from desktop_app.ui.files import words
from desktop_app.ui.files.thumbnails import ThumbnailCache
from desktop_app.ui.icons import menu_icon

IMAGE_BOX = QSize(320, 240)
IMAGE_MIN = 48  # a very thin picture still gets a clickable size
IMAGE_RADIUS = 6
GAP = 6
TOP_GAP = 4
CHIP_WIDTH = 340
CHIP_HEIGHT = 46
CHIP_PAD = 10
CHIP_ICON = 24
PROGRESS_HEIGHT = 18
PROGRESS_BAR = 4
OPEN_TEXT = "Open"
SAVE_TEXT = "Save as…"
ACTION_GAP = 12

VIEW = "view"
OPEN = "open"
SAVE = "save"


@dataclass(frozen=True)
class FilesLayout:
    """The rects of one row's files (same order as the row's), and of the upload line."""

    rects: tuple[QRect, ...]
    progress: QRect

    @property
    def bottom(self) -> int:
        bottoms = [r.bottom() for r in self.rects]
        if not self.progress.isNull():
            bottoms.append(self.progress.bottom())
        return max(bottoms) if bottoms else -1


def files_of(row: Row | None, deleted: bool) -> tuple[FileRef, ...] | None:
    """The files a row draws (none once the message is deleted)."""
    if row is None or deleted or not row.attachments:
        return None
    return row.attachments


def key_of(row: Row | None) -> tuple[object, ...] | None:
    """What of a row's files changes its height (part of the delegate's height-cache key)."""
    if row is None or not row.attachments:
        return None
    return (row.attachments, row.state == PENDING)


def image_size(ref: FileRef, width: int) -> QSize:
    """The picture's size on screen: fitted in IMAGE_BOX and the row's width."""
    box = QSize(min(IMAGE_BOX.width(), width), IMAGE_BOX.height())
    size = QSize(ref.width or box.width(), ref.height or box.height())
    # A picture smaller than the box is shown at its own size, never blown up.
    if size.width() > box.width() or size.height() > box.height():
        size.scale(box, Qt.AspectRatioMode.KeepAspectRatio)
    return QSize(max(IMAGE_MIN, size.width()), max(IMAGE_MIN, size.height()))


def layout(
    files: tuple[FileRef, ...], left: int, top: int, width: int, uploading: bool
) -> FilesLayout:
    """Pictures flow left to right (wrapping), then chips one under another."""
    rects: list[QRect | None] = [None] * len(files)
    y = top + TOP_GAP
    x = left
    line_h = 0
    for n, ref in enumerate(files):
        if not ref.is_image:
            continue
        size = image_size(ref, width)
        if x > left and x + size.width() > left + width:
            x, y = left, y + line_h + GAP
            line_h = 0
        rects[n] = QRect(x, y, size.width(), size.height())
        x += size.width() + GAP
        line_h = max(line_h, size.height())
    if line_h:
        y += line_h + GAP
    chip_w = min(CHIP_WIDTH, width)
    for n, ref in enumerate(files):
        if ref.is_image:
            continue
        rects[n] = QRect(left, y, chip_w, CHIP_HEIGHT)
        y += CHIP_HEIGHT + GAP
    progress = QRect(left, y, min(CHIP_WIDTH, width), PROGRESS_HEIGHT) if uploading else QRect()
    return FilesLayout(tuple(r for r in rects if r is not None), progress)


def action_rects(chip: QRect, font: QFont) -> tuple[QRect, QRect]:
    """Where "Open" and "Save as…" sit on a chip (right-aligned)."""
    fm = QFontMetrics(font)
    save_w = fm.horizontalAdvance(SAVE_TEXT) + 4
    open_w = fm.horizontalAdvance(OPEN_TEXT) + 4
    h = fm.height() + 4
    y = chip.center().y() - h // 2
    save = QRect(chip.right() - CHIP_PAD - save_w, y, save_w, h)
    opened = QRect(save.left() - ACTION_GAP - open_w, y, open_w, h)
    return opened, save


def hit(
    files: tuple[FileRef, ...], where: FilesLayout, font: QFont, x: int, y: int
) -> tuple[int, str] | None:
    """(file index, VIEW/OPEN/SAVE) under the point, for stored files only."""
    for n, (ref, rect) in enumerate(zip(files, where.rects, strict=False)):
        if ref.id is None or not rect.contains(x, y):
            continue
        if ref.is_image:
            return n, VIEW
        _open, save = action_rects(rect, font)
        if save.adjusted(-3, -3, 3, 3).contains(x, y):
            return n, SAVE
        return n, OPEN
    return None


# --- painting ----------------------------------------------------------------------------


def paint(
    painter: QPainter,
    files: tuple[FileRef, ...],
    where: FilesLayout,
    thumbnails: ThumbnailCache | None,
    font: QFont,
    progress: float | None,
) -> None:
    c = theme.colors()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    for ref, rect in zip(files, where.rects, strict=False):
        if ref.is_image:
            _paint_image(painter, ref, rect, thumbnails, c)
        else:
            _paint_chip(painter, ref, rect, font, c)
    if not where.progress.isNull():
        _paint_progress(painter, where.progress, font, progress, c)
    painter.restore()


def _paint_image(
    painter: QPainter,
    ref: FileRef,
    rect: QRect,
    thumbnails: ThumbnailCache | None,
    c: theme.ThemeColors,
) -> None:
    pixmap = thumbnails.pixmap(ref) if thumbnails is not None else None
    frame = QRectF(rect)
    if pixmap is None or pixmap.isNull():
        painter.setPen(QPen(c.separator, 1))
        painter.setBrush(c.window)
        painter.drawRoundedRect(frame.adjusted(0.5, 0.5, -0.5, -0.5), IMAGE_RADIUS, IMAGE_RADIUS)
        painter.setPen(c.muted)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "…")
        return
    painter.save()
    clip = QPainterPath()
    clip.addRoundedRect(frame, IMAGE_RADIUS, IMAGE_RADIUS)
    painter.setClipPath(clip)
    painter.drawPixmap(rect, pixmap)
    painter.restore()
    painter.setPen(QPen(c.separator, 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(frame.adjusted(0.5, 0.5, -0.5, -0.5), IMAGE_RADIUS, IMAGE_RADIUS)


def _paint_chip(
    painter: QPainter, ref: FileRef, rect: QRect, font: QFont, c: theme.ThemeColors
) -> None:
    painter.setPen(QPen(c.separator, 1))
    painter.setBrush(c.window)
    painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
    icon_rect = QRect(
        rect.left() + CHIP_PAD, rect.center().y() - CHIP_ICON // 2, CHIP_ICON, CHIP_ICON
    )
    menu_icon("file").paint(painter, icon_rect)
    fm = QFontMetrics(font)
    text_left = icon_rect.right() + 10
    right = rect.right() - CHIP_PAD
    if ref.id is not None:
        opened, _save = action_rects(rect, font)
        right = opened.left() - ACTION_GAP
    width = max(20, right - text_left)
    bold = QFont(font)
    bold.setBold(True)
    painter.setFont(bold)
    painter.setPen(c.text)
    name = QFontMetrics(bold).elidedText(ref.name, Qt.TextElideMode.ElideMiddle, width)
    top = rect.center().y() - fm.height()
    align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(QRect(text_left, top, width, fm.height()), align, name)
    painter.setFont(font)
    painter.setPen(c.muted)
    painter.drawText(
        QRect(text_left, top + fm.height(), width, fm.height()), align, words.human_size(ref.size)
    )
    if ref.id is not None:
        opened, save = action_rects(rect, font)
        painter.setPen(c.accent)
        painter.drawText(opened, Qt.AlignmentFlag.AlignCenter, OPEN_TEXT)
        painter.drawText(save, Qt.AlignmentFlag.AlignCenter, SAVE_TEXT)


def _paint_progress(
    painter: QPainter, rect: QRect, font: QFont, progress: float | None, c: theme.ThemeColors
) -> None:
    fm = QFontMetrics(font)
    label = "Waiting to upload" if progress is None else f"Uploading… {int(progress * 100)}%"
    label_w = fm.horizontalAdvance(label) + 8
    painter.setFont(font)
    painter.setPen(c.muted)
    align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(QRect(rect.left(), rect.top(), label_w, rect.height()), align, label)
    bar = QRectF(
        rect.left() + label_w + 4,
        rect.center().y() - PROGRESS_BAR / 2,
        max(10, rect.width() - label_w - 4),
        PROGRESS_BAR,
    )
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(c.separator)
    painter.drawRoundedRect(bar, 2, 2)
    if progress:
        done = QRectF(bar)
        done.setWidth(max(PROGRESS_BAR, bar.width() * min(1.0, progress)))
        painter.setBrush(QColor(c.accent))
        painter.drawRoundedRect(done, 2, 2)
