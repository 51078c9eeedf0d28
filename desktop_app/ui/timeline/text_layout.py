"""Plain-text wrapping with QTextLayout: never interprets markup, breaks long words when it must."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QTextLayout, QTextOption

# QTextLayout ignores "\n"; the Unicode line separator is its hard line break.
_LINE_SEPARATOR = "\u2028"


def _layout(text: str, font: QFont, width: float) -> tuple[QTextLayout, float]:
    layout = QTextLayout(text.replace("\r\n", "\n").replace("\n", _LINE_SEPARATOR), font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
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
        line.setPosition(QPointF(0.0, lines * spacing + ascent - line.ascent()))
        lines += 1
    layout.endLayout()
    return layout, lines * spacing


# Laid-out texts kept for repainting: the rows on screen are painted again on every frame.
LAYOUT_CACHE_MAX = 600
_cache: OrderedDict[tuple[str, str, int], tuple[QTextLayout, float]] = OrderedDict()


def _cached(text: str, font: QFont, width: float) -> tuple[QTextLayout, float]:
    key = (text, font.key(), int(width))
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
    _layout_obj, height = _cached(text, font, width)
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
    layout, _height = _cached(text, font, width)
    layout.draw(painter, QPointF(x, y), list(marks))
