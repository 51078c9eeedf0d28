"""Light and dark themes: a Fusion palette, the colours the delegates paint with, and QSS."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop_app.ui.paths import resource_path


class ThemeChoice(StrEnum):
    """What the user picked in View → Theme (stored in Profile.ui["theme"])."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True)
class ThemeColors:
    """Colours the custom delegates and the status bar paint with."""

    dark: bool
    window: QColor
    base: QColor
    text: QColor
    muted: QColor
    accent: QColor
    accent_text: QColor
    own_bubble: QColor
    other_bubble: QColor
    separator: QColor
    failed: QColor
    selection: QColor
    state_live: QColor
    state_busy: QColor
    state_down: QColor
    sender_palette: tuple[QColor, ...]

    def sender_color(self, sender_id: int) -> QColor:
        """A stable colour per sender, so grouped names are told apart at a glance."""
        return self.sender_palette[sender_id % len(self.sender_palette)]


LIGHT = ThemeColors(
    dark=False,
    window=QColor("#f3f4f6"),
    base=QColor("#ffffff"),
    text=QColor("#1f2328"),
    muted=QColor("#6b7280"),
    accent=QColor("#2563eb"),
    accent_text=QColor("#ffffff"),
    own_bubble=QColor("#dbeafe"),
    other_bubble=QColor("#f1f3f5"),
    separator=QColor("#d0d5dc"),
    failed=QColor("#c62828"),
    selection=QColor("#e0e7ff"),
    state_live=QColor("#15803d"),
    state_busy=QColor("#b45309"),
    state_down=QColor("#b91c1c"),
    sender_palette=(
        QColor("#1d4ed8"),
        QColor("#047857"),
        QColor("#b45309"),
        QColor("#7c3aed"),
        QColor("#be185d"),
        QColor("#0f766e"),
    ),
)

DARK = ThemeColors(
    dark=True,
    window=QColor("#1e1f22"),
    base=QColor("#26282c"),
    text=QColor("#e6e7e9"),
    muted=QColor("#9aa0a6"),
    accent=QColor("#4f8cff"),
    accent_text=QColor("#ffffff"),
    own_bubble=QColor("#1f3a5f"),
    other_bubble=QColor("#33363b"),
    separator=QColor("#44474d"),
    failed=QColor("#ff6b6b"),
    selection=QColor("#2f3b52"),
    state_live=QColor("#4ade80"),
    state_busy=QColor("#fbbf24"),
    state_down=QColor("#f87171"),
    sender_palette=(
        QColor("#7fb0ff"),
        QColor("#5fd3a6"),
        QColor("#f5b85c"),
        QColor("#c4a1ff"),
        QColor("#f78fbf"),
        QColor("#5ed0c8"),
    ),
)


def _palette(c: ThemeColors) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window,
        QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.base,
        QPalette.ColorRole.AlternateBase: c.other_bubble,
        QPalette.ColorRole.Text: c.text,
        QPalette.ColorRole.Button: c.base if c.dark else QColor("#f8f9fa"),
        QPalette.ColorRole.ButtonText: c.text,
        QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.accent_text,
        QPalette.ColorRole.ToolTipBase: c.base,
        QPalette.ColorRole.ToolTipText: c.text,
        QPalette.ColorRole.PlaceholderText: c.muted,
        QPalette.ColorRole.Link: c.accent,
        QPalette.ColorRole.Mid: c.separator,
        QPalette.ColorRole.Midlight: c.separator,
    }
    for role, color in roles.items():
        p.setColor(role, color)
    disabled = QColor(c.muted)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def system_prefers_dark() -> bool:
    """Whether the desktop asks for a dark scheme (Qt ≥ 6.5 reports it via QStyleHints)."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def _stylesheet(name: str, c: ThemeColors) -> str:
    """The theme's QSS from `resources/themes/<name>.qss`, with `@token` colours filled in."""
    path = resource_path("themes", f"{name}.qss")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    tokens = {
        "@window": c.window.name(),
        "@base": c.base.name(),
        "@text": c.text.name(),
        "@muted": c.muted.name(),
        "@accent_text": c.accent_text.name(),
        "@accent": c.accent.name(),
        "@separator": c.separator.name(),
        "@selection": c.selection.name(),
        "@failed": c.failed.name(),
        # Images the sheets draw with (url(@themes/check.svg)), wherever resources/ lives.
        "@themes": resource_path("themes").as_posix(),
    }
    # Longest first so "@accent_text" is not eaten by "@accent".
    for token in sorted(tokens, key=len, reverse=True):
        text = text.replace(token, tokens[token])
    return text


class ThemeManager(QObject):
    """Applies the chosen theme to the whole application and follows the system's scheme."""

    changed = Signal(object)  # ThemeColors

    def __init__(self, app: QApplication, choice: ThemeChoice = ThemeChoice.SYSTEM) -> None:
        super().__init__(app)
        self._app = app
        self._choice = choice
        self._colors = LIGHT
        app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        self.apply()

    @property
    def choice(self) -> ThemeChoice:
        return self._choice

    @property
    def colors(self) -> ThemeColors:
        return self._colors

    def set_choice(self, choice: ThemeChoice) -> None:
        self._choice = choice
        self.apply()

    def apply(self) -> None:
        dark = (
            system_prefers_dark()
            if self._choice is ThemeChoice.SYSTEM
            else self._choice is ThemeChoice.DARK
        )
        self._colors = DARK if dark else LIGHT
        name = "dark" if dark else "light"
        self._app.setPalette(_palette(self._colors))
        self._app.setStyleSheet(_stylesheet("base", self._colors) + _stylesheet(name, self._colors))
        self.changed.emit(self._colors)

    def _on_system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._choice is ThemeChoice.SYSTEM:
            self.apply()


_manager: ThemeManager | None = None


def install(app: QApplication, choice: ThemeChoice = ThemeChoice.SYSTEM) -> ThemeManager:
    """Create (once) the app-wide theme manager."""
    global _manager
    if _manager is None:
        _manager = ThemeManager(app, choice)
    else:
        _manager.set_choice(choice)
    return _manager


def manager() -> ThemeManager | None:
    """The app-wide theme manager, if installed."""
    return _manager


def colors() -> ThemeColors:
    """The colours in force (light before a manager exists)."""
    return _manager.colors if _manager is not None else LIGHT
