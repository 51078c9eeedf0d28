"""Mentions in a painted message: a tinted background behind each `@name`, stronger (and
bold-coloured text) when it names the signed-in user, as chat apps mark "you were mentioned".

The spans come from the model (MessageRoles.MENTIONS, code point offsets into the body);
QTextLayout counts UTF-16 units and the layout turns "\\r\\n" into one break, so offsets are
converted here. Painting a background never changes the layout, so heights stay cached.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QColor, QTextCharFormat, QTextLayout

from desktop_app.models.roles import MessageRoles
from desktop_app.session.mentions import MentionSpan
from desktop_app.ui import theme

# Alpha of the accent behind a mention of someone else / of the user (0-255).
OTHER_ALPHA_LIGHT, OTHER_ALPHA_DARK = 34, 60
ME_ALPHA_LIGHT, ME_ALPHA_DARK = 80, 120

ModelIndex = QModelIndex | QPersistentModelIndex


def mention_colors(c: theme.ThemeColors, is_me: bool) -> tuple[QColor, QColor]:
    """(background, text) of a mention in this theme."""
    background = QColor(c.accent)
    if is_me:
        background.setAlpha(ME_ALPHA_DARK if c.dark else ME_ALPHA_LIGHT)
        return background, QColor(c.text)
    background.setAlpha(OTHER_ALPHA_DARK if c.dark else OTHER_ALPHA_LIGHT)
    return background, QColor(c.accent.lighter(130) if c.dark else c.accent.darker(115))


def _utf16_offsets(text: str) -> list[int]:
    """For each code point offset of the laid-out text, its UTF-16 offset."""
    offsets = [0] * (len(text) + 1)
    unit = 0
    for i, ch in enumerate(text):
        offsets[i] = unit
        unit += 2 if ord(ch) > 0xFFFF else 1
    offsets[len(text)] = unit
    return offsets


def format_ranges(
    body: str, found: Sequence[MentionSpan], c: theme.ThemeColors
) -> list[QTextLayout.FormatRange]:
    """The layout's format ranges for the mentions of `body` (as text_layout lays it out)."""
    if not found:
        return []
    laid = body.replace("\r\n", "\n")
    # Each "\r\n" before a position shortens the laid-out text by one.
    crlf = [i for i in range(len(body) - 1) if body[i] == "\r" and body[i + 1] == "\n"]
    units = _utf16_offsets(laid)
    ranges = []
    for span in found:
        start = span.start - sum(1 for i in crlf if i < span.start)
        end = span.end - sum(1 for i in crlf if i < span.end)
        background, foreground = mention_colors(c, span.is_me)
        fmt = QTextCharFormat()
        fmt.setBackground(background)
        fmt.setForeground(foreground)
        entry = QTextLayout.FormatRange()
        entry.start = units[start]
        entry.length = units[end] - units[start]
        entry.format = fmt
        ranges.append(entry)
    return ranges


def mention_ranges(index: ModelIndex, shown: str, body: str) -> list[QTextLayout.FormatRange]:
    """The highlight of the row's mentions, or none while it shows other text than its body
    (an edit still being sent)."""
    if shown != body:
        return []
    found = index.data(MessageRoles.MENTIONS)
    if not found:
        return []
    return format_ranges(body, found, theme.colors())
