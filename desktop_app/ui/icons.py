"""Icons for the UI, loaded from `resources/icons/<name>.svg` with a graceful fallback.

Names the UI uses (each one `resources/icons/<name>.svg`):
app, send, new-group, add-member, leave-group, search, settings, diagnostics, retry, discard,
pending, failed, arrow-down, sun, moon, new-window, quit, tray, tray-unread, attach, file,
mute, unmute.

A missing file falls back to a theme icon of the platform, then to a standard Qt
icon, then to an empty icon, so the app runs before (or without) the icon set.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyle

from desktop_app.ui import theme
from desktop_app.ui.paths import resource_path

ICON_NAMES = (
    "app",
    "send",
    "new-group",
    "add-member",
    "leave-group",
    "search",
    "settings",
    "diagnostics",
    "retry",
    "discard",
    "pending",
    "failed",
    "arrow-down",
    "sun",
    "moon",
    "new-window",
    "quit",
    "tray",
    "tray-unread",
    "reply",
    "edit",
    "react",
    "group",
    "attach",
    "file",
    "mute",
    "unmute",
)

# Freedesktop theme names, used where a desktop theme exists (Linux) and no SVG does.
_THEME_FALLBACK = {
    "send": "mail-send",
    "new-group": "list-add",
    "add-member": "contact-new",
    "leave-group": "list-remove",
    "search": "edit-find",
    "settings": "preferences-system",
    "diagnostics": "utilities-system-monitor",
    "retry": "view-refresh",
    "discard": "edit-delete",
    "pending": "appointment-soon",
    "failed": "dialog-error",
    "arrow-down": "go-down",
    "new-window": "window-new",
    "quit": "application-exit",
    "reply": "mail-reply-sender",
    "edit": "document-edit",
}

_STANDARD_FALLBACK = {
    "app": QStyle.StandardPixmap.SP_MessageBoxInformation,
    "tray": QStyle.StandardPixmap.SP_MessageBoxInformation,
    "tray-unread": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "send": QStyle.StandardPixmap.SP_ArrowRight,
    "retry": QStyle.StandardPixmap.SP_BrowserReload,
    "discard": QStyle.StandardPixmap.SP_DialogDiscardButton,
    "failed": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "arrow-down": QStyle.StandardPixmap.SP_ArrowDown,
    "diagnostics": QStyle.StandardPixmap.SP_FileDialogDetailedView,
    "new-window": QStyle.StandardPixmap.SP_TitleBarNormalButton,
    "quit": QStyle.StandardPixmap.SP_DialogCloseButton,
}


# Sizes rendered for a recoloured icon (menus, tool buttons, HiDPI).
_TINT_SIZES = (16, 20, 24, 32, 48)
# The icon set draws with this stroke colour; tinted icons replace it.
_SOURCE_COLOR = "#5f6368"


def _tinted(svg: str, color: str) -> QIcon:
    renderer = QSvgRenderer(QByteArray(svg.replace(_SOURCE_COLOR, color).encode()))
    if not renderer.isValid():
        return QIcon()
    result = QIcon()
    for size in _TINT_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(QPixmap.fromImage(image))
    return result


@cache
def icon(name: str, color: str | None = None) -> QIcon:
    """The icon called `name` (recoloured to `color`, "#rrggbb", when given); never raises."""
    path = resource_path("icons", f"{name}.svg")
    if path.is_file():
        if color is not None:
            try:
                tinted = _tinted(path.read_text(encoding="utf-8"), color)
            except OSError:
                tinted = QIcon()
            if not tinted.isNull():
                return tinted
        loaded = QIcon(str(path))
        if not loaded.isNull():
            return loaded
    themed = _THEME_FALLBACK.get(name)
    if themed and QIcon.hasThemeIcon(themed):
        return QIcon.fromTheme(themed)
    standard = _STANDARD_FALLBACK.get(name)
    app = QApplication.instance()
    if standard is not None and isinstance(app, QApplication):
        return app.style().standardIcon(standard)
    return QIcon()


def menu_icon(name: str) -> QIcon:
    """`name` in the theme's muted colour: the icon set's own grey is lost on a dark menu.
    Whoever keeps one should ask again when the theme changes."""
    return icon(name, theme.colors().muted.name())


def has_svg(name: str) -> bool:
    """Whether the icon set ships `name` (the screenshot tool and tests report missing ones)."""
    return resource_path("icons", f"{name}.svg").is_file()
