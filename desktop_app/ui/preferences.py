"""The user's app preferences (Settings window): read from and written to Profile.ui, applied live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from desktop_app.settings import Profile
from desktop_app.ui.theme import ThemeChoice

# Keys in Profile.ui (the theme's key predates this module: View → Theme writes it too).
THEME_KEY = "theme"
NOTIFICATIONS_KEY = "notifications"
FONT_SIZE_KEY = "font_size"
START_IN_TRAY_KEY = "start_in_tray"
# Message text size in points; 0 means the system's size.
FONT_SIZE_MIN = 7
FONT_SIZE_MAX = 28
SYSTEM_FONT_SIZE = 0

_system_font: QFont | None = None


@dataclass(frozen=True)
class Preferences:
    """What the Settings window changes."""

    theme: ThemeChoice = ThemeChoice.SYSTEM
    notifications: bool = True
    font_size: int = SYSTEM_FONT_SIZE
    start_in_tray: bool = False

    @classmethod
    def from_ui(cls, ui: dict[str, Any]) -> Preferences:
        """Read from a profile's `ui`; anything missing or malformed takes its default."""
        try:
            theme = ThemeChoice(str(ui.get(THEME_KEY, ThemeChoice.SYSTEM.value)))
        except ValueError:
            theme = ThemeChoice.SYSTEM
        size = ui.get(FONT_SIZE_KEY, SYSTEM_FONT_SIZE)
        if not isinstance(size, int) or isinstance(size, bool):
            size = SYSTEM_FONT_SIZE
        if size != SYSTEM_FONT_SIZE:
            size = min(FONT_SIZE_MAX, max(FONT_SIZE_MIN, size))
        return cls(
            theme=theme,
            notifications=ui.get(NOTIFICATIONS_KEY, True) is not False,
            font_size=size,
            start_in_tray=ui.get(START_IN_TRAY_KEY, False) is True,
        )

    def store(self, profile: Profile) -> None:
        """Write into a profile and save it."""
        profile.ui[THEME_KEY] = self.theme.value
        profile.ui[NOTIFICATIONS_KEY] = self.notifications
        profile.ui[FONT_SIZE_KEY] = self.font_size
        profile.ui[START_IN_TRAY_KEY] = self.start_in_tray
        profile.save()


def system_font() -> QFont:
    """The application font as the system gave it (before any size was chosen)."""
    global _system_font
    if _system_font is None:
        _system_font = QFont(QApplication.font())
    return QFont(_system_font)


def system_point_size() -> int:
    size = system_font().pointSize()
    return size if size > 0 else 10


def apply_font_size(size: int) -> None:
    """Set the whole application's font size (SYSTEM_FONT_SIZE: the system's); every widget
    follows, and the chat's rows take their new heights."""
    font = system_font()
    if size != SYSTEM_FONT_SIZE:
        font.setPointSize(size)
    QApplication.setFont(font)
