"""Plain-text wrapping with QTextLayout: never interprets markup, breaks long words when it must.

Links are underlined and long ones shortened (links.py); a message whose first strong
character is right-to-left is laid out and aligned right-to-left (bidi.py)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QTextLayout, QTextLine, QTextOption

from desktop_app.ui import theme
from desktop_app.ui.bidi import apply_direction
from desktop_app.ui.timeline import links

# QTextLayout ignores "\n"; the Unicode line separator is its hard line break.
_LINE_SEPARATOR = "\u2028"


def _layout(text: str, font: QFont, width: float) -> tuple[QTextLayout, float, links.Shown]:
    shown = links.shown(text.replace("\r\n", "\n").replace("\n", _LINE_SEPARATOR), font, width)
    layout = QTextLayout(shown.text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    # Right-to-left messages (Arabic, Hebrew) read and align from the right.
    apply_direction(option, shown.text)
    layout.setTextOption(option)
    if shown.links:
        layout.setFormats(links.formats(shown.links, theme.colors().accent))
    # Every line gets the base font's spacing and baseline, so a line holding an emoji
    # (whose fallback font reports a taller ascent) does not push the text apart.
    metrics = QFontMetricsF(font)
    spacing, ascent = metrics.lineSpacing(), metrics.ascent()
    lines = 0
    layout.beginLayout()
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(max(1.0, width))
        _keep_links_whole(line, shown.links, max(1.0, width))
        line.setPosition(QPointF(0.0, lines * spacing + ascent - line.ascent()))
        lines += 1
    layout.endLayout()
    return layout, lines * spacing, shown


def _keep_links_whole(line: QTextLine, spans: tuple[links.Link, ...], width: float) -> None:
    """End the line before a link it would break (a shown link fits one line: links.shown)."""
    start = line.textStart()
    end = start + line.textLength()
    for link in spans:
        if start < link.start < end < link.end:
            line.setNumColumns(link.start - start, width)
            return


# Laid-out texts kept for repainting: the rows on screen are painted again on every frame.
LAYOUT_CACHE_MAX = 600
_cache: OrderedDict[tuple[str, str, int, str], tuple[QTextLayout, float, links.Shown]] = (
    OrderedDict()
)


def _cached(text: str, font: QFont, width: float) -> tuple[QTextLayout, float, links.Shown]:
    key = (text, font.key(), int(width), theme.colors().accent.name())
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        return hit
    made = _layout(text, font, width)
    _cache[key] = made
    if len(_cache) > LAYOUT_CACHE_MAX:
        _cache.popitem(last=False)
    return made


def text_height(text: str, font: QFont, width: float) -> int:
    """Height in pixels of `text` wrapped to `width` (plain text, always)."""
    _layout_obj, height, _shown = _cached(text, font, width)
    return int(height + 0.999)


def draw_text(
    painter: QPainter,
    text: str,
    font: QFont,
    x: float,
    y: float,
    width: float,
    marks: Sequence[QTextLayout.FormatRange] = (),
) -> None:
    """Draw `text` as plain text wrapped to `width` with its top-left at (x, y); `marks`
    paint parts of it differently (backgrounds, colours: never the layout)."""
    layout, _height, _shown = _cached(text, font, width)
    layout.draw(painter, QPointF(x, y), list(marks))


def text_layout(text: str, font: QFont, width: float) -> QTextLayout:
    """The laid-out text as drawn (its direction, lines and link formats), for tests and hit-tests."""
    return _cached(text, font, width)[0]


def link_rects(text: str, font: QFont, width: float) -> list[tuple[QRectF, str]]:
    """Where each link of the drawn text is (relative to its top-left) and what it opens."""
    layout, _height, shown = _cached(text, font, width)
    rects: list[tuple[QRectF, str]] = []
    for link in shown.links:
        for n in range(layout.lineCount()):
            line = layout.lineAt(n)
            first, end = line.textStart(), line.textStart() + line.textLength()
            start, stop = max(link.start, first), min(link.end, end)
            if start >= stop:
                continue
            # PySide6 returns (x, cursor position) for QTextLine.cursorToX.
            x1 = float(line.cursorToX(start)[0])  # type: ignore[index]
            x2 = float(line.cursorToX(stop)[0])  # type: ignore[index]
            left, right = min(x1, x2), max(x1, x2)
            rects.append((QRectF(left, line.y(), right - left, line.height()), link.url))
    return rects


def link_at(text: str, font: QFont, width: float, point: QPointF) -> str | None:
    """The address of the link under `point` (relative to the text's top-left), if any."""
    for rect, url in link_rects(text, font, width):
        if rect.contains(point):
            return url
    return None
