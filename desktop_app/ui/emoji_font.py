"""The emoji font that ships with the app (resources/fonts/ChatEmoji.ttf), so emoji are never boxes.

Registered with Qt at start-up and made the application's emoji family: Qt then draws every
emoji (and emoji sequence) of any widget with it, whatever the system has installed. It is
Noto Color Emoji in its CBDT (bitmap) form, the one Qt draws on X11, Wayland and offscreen,
without the skin-tone sequences (packaging/emoji_font.py builds it; the licence is
resources/fonts/OFL.txt). Registering it takes a few milliseconds (measured 3 ms).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFontDatabase

from desktop_app.ui.paths import resource_path

log = logging.getLogger(__name__)

FONT_FILE = ("fonts", "ChatEmoji.ttf")
LICENCE_FILE = ("fonts", "OFL.txt")
FAMILY = "Chat Emoji"

_family: str | None = None


def font_path() -> Path:
    return resource_path(*FONT_FILE)


def licence_path() -> Path:
    return resource_path(*LICENCE_FILE)


def install() -> str | None:
    """Register the bundled emoji font (once) as Qt's first emoji family; returns its family,
    None when the file is missing or unreadable (emoji then come from the system's fonts)."""
    global _family
    if _family is not None:
        return _family
    path = font_path()
    font_id = QFontDatabase.addApplicationFont(str(path)) if path.is_file() else -1
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        log.warning("emoji font %s could not be loaded; emoji use the system's fonts", path)
        return None
    _family = families[0]
    others = [f for f in QFontDatabase.applicationEmojiFontFamilies() if f != _family]
    QFontDatabase.setApplicationEmojiFontFamilies([_family, *others])
    return _family


def family() -> str | None:
    """The family of the bundled emoji font once installed."""
    return _family
