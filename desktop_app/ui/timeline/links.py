"""Links in message text: finding them, eliding long ones in the middle, and opening them safely.

Only http, https and mailto links are recognised and only those are ever opened; a bare
`www.` link opens as https. A link wider than the line it is drawn on is shown shortened in
its middle ("https://example.com/a/…/end") so it never wraps or widens the row; the whole
address is what a click opens, a tooltip shows and "Copy link" copies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QFontMetricsF,
    QTextCharFormat,
    QTextLayout,
)

# The only schemes a click may open (never file:, javascript:, data:, custom handlers...).
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
# A link: a scheme we open, or a bare "www." host; not glued to a word before it.
_LINK = re.compile(r"(?<![\w@./])(?:(?:https?://|mailto:)|www\.)[^\s<>\"]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the link ("see https://x.org/a.").
_TRAILING = ".,;:!?'\"*_"
# Closing brackets belong to the link only when it opened them ("(https://x.org/a_(b))").
_PAIRS = {")": "(", "]": "[", "}": "{"}
# Room kept on a line beside an elided link (cursor rounding, the ellipsis' own width).
ELIDE_SLACK_PX = 4.0
# Never shorten a link below this many pixels (a very narrow window still shows its ends).
MIN_LINK_PX = 40.0

FormatRange = QTextLayout.FormatRange


@dataclass(frozen=True)
class Link:
    """A link in shown text: characters [start, end) and the address it opens."""

    start: int
    end: int
    url: str


@dataclass(frozen=True)
class Shown:
    """Message text as drawn (long links shortened) and where its links are in it."""

    text: str
    links: tuple[Link, ...]


def _trim(candidate: str) -> str:
    """Drop sentence punctuation and unmatched closing brackets from the end of a match."""
    while candidate:
        last = candidate[-1]
        if last in _TRAILING:
            candidate = candidate[:-1]
        elif last in _PAIRS and candidate.count(last) > candidate.count(_PAIRS[last]):
            candidate = candidate[:-1]
        else:
            break
    return candidate


def target_of(written: str) -> str:
    """The address a written link opens ("www.x.org" opens https://www.x.org)."""
    if written[:4].lower() == "www.":
        return "https://" + written
    return written


def find_links(text: str) -> list[Link]:
    """The links written in `text`, in order, with positions in `text`."""
    found: list[Link] = []
    for match in _LINK.finditer(text):
        written = _trim(match.group(0))
        if written.lower().rstrip("/") in ("http:", "https:", "mailto:", "www."):
            continue
        url = target_of(written)
        if safe_url(url) is None:
            continue
        found.append(Link(match.start(), match.start() + len(written), url))
    return found


def safe_url(url: str) -> QUrl | None:
    """The QUrl to open for `url`, or None when it is not a well-formed http/https/mailto one."""
    parsed = QUrl(url, QUrl.ParsingMode.TolerantMode)
    if not parsed.isValid() or parsed.scheme().lower() not in ALLOWED_SCHEMES:
        return None
    if parsed.scheme().lower() != "mailto" and not parsed.host():
        return None
    if parsed.scheme().lower() == "mailto" and not parsed.path():
        return None
    return parsed


def open_link(url: str) -> bool:
    """Open `url` in the system's browser or mail program; refuses any other kind of link."""
    parsed = safe_url(url)
    if parsed is None:
        return False
    return QDesktopServices.openUrl(parsed)


def shown(text: str, font: QFont, width: float) -> Shown:
    """`text` with every link wider than `width` shortened in its middle to fit a line."""
    links = find_links(text)
    if not links:
        return Shown(text, ())
    metrics = QFontMetricsF(font)
    room = max(MIN_LINK_PX, width - ELIDE_SLACK_PX)
    parts: list[str] = []
    placed: list[Link] = []
    pos = 0
    length = 0
    for link in links:
        before = text[pos : link.start]
        parts.append(before)
        length += len(before)
        written = text[link.start : link.end]
        if metrics.horizontalAdvance(written) > room:
            written = metrics.elidedText(written, Qt.TextElideMode.ElideMiddle, room)
        parts.append(written)
        placed.append(Link(length, length + len(written), link.url))
        length += len(written)
        pos = link.end
    parts.append(text[pos:])
    return Shown("".join(parts), tuple(placed))


def formats(links: tuple[Link, ...], color: QColor) -> list[FormatRange]:
    """Underlined, in the link colour: how the links of a laid-out text are drawn."""
    ranges: list[FormatRange] = []
    for link in links:
        char_format = QTextCharFormat()
        char_format.setForeground(color)
        char_format.setFontUnderline(True)
        span = FormatRange()
        span.start = link.start
        span.length = link.end - link.start
        span.format = char_format
        ranges.append(span)
    return ranges
