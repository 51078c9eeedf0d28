"""The Settings window: theme, notifications, text size, start in tray; the server address (read-only).

Every change applies at once and is saved in the profile (desktop_app/ui/preferences.py);
there is nothing to confirm. The server can only be changed by signing out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.icons import icon
from desktop_app.ui.preferences import (
    FONT_SIZE_MAX,
    FONT_SIZE_MIN,
    SYSTEM_FONT_SIZE,
    Preferences,
    system_point_size,
)
from desktop_app.ui.theme import ThemeChoice

THEME_LABELS = (
    (ThemeChoice.SYSTEM, "Follow the system"),
    (ThemeChoice.LIGHT, "Light"),
    (ThemeChoice.DARK, "Dark"),
)
NO_TRAY_NOTE = "This desktop has no system tray."
SERVER_NOTE = "To use another server, sign out and sign in there."


class SettingsHost(Protocol):
    """What the window asks of the application (app.py's DesktopApp)."""

    def preferences(self) -> Preferences: ...
    def set_preferences(self, preferences: Preferences) -> None: ...
    def has_tray(self) -> bool: ...


class SettingsWindow(QDialog):
    """Applies each change as it is made."""

    def __init__(
        self,
        host: SettingsHost,
        server_url: str,
        sign_out: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._host = host
        self.setObjectName("settingsWindow")
        self.setWindowTitle("Settings")
        self.setWindowIcon(icon("settings"))
        self.theme = QComboBox(self)
        for choice, label in THEME_LABELS:
            self.theme.addItem(label, choice.value)
        self.notifications = QCheckBox("Show a notification for new messages", self)
        self.font_size = QSpinBox(self)
        self.font_size.setRange(FONT_SIZE_MIN - 1, FONT_SIZE_MAX)
        # The value below the range means "the system's size".
        self.font_size.setSpecialValueText(f"System ({system_point_size()} pt)")
        self.font_size.setSuffix(" pt")
        self.start_in_tray = QCheckBox("Start in the tray (no window until you open it)", self)
        self.show_preferences()
        if not host.has_tray():
            self.start_in_tray.setEnabled(False)
            self.start_in_tray.setToolTip(NO_TRAY_NOTE)
        self.server = QLabel(server_url, self)
        self.server.setObjectName("settingsServer")
        self.server.setToolTip(SERVER_NOTE)
        sign_out_button = QPushButton("Sign Out…", self)
        self._sign_out = sign_out
        sign_out_button.clicked.connect(self._on_sign_out)
        server_row = QHBoxLayout()
        server_row.addWidget(self.server, 1)
        server_row.addWidget(sign_out_button)
        form = QFormLayout()
        form.addRow("Theme:", self.theme)
        form.addRow("Text size:", self.font_size)
        form.addRow("", self.notifications)
        form.addRow("", self.start_in_tray)
        form.addRow("Server:", server_row)
        note = QLabel(SERVER_NOTE, self)
        note.setObjectName("settingsNote")
        note.setWordWrap(True)
        form.addRow("", note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.theme.currentIndexChanged.connect(self._apply)
        self.notifications.toggled.connect(self._apply)
        self.font_size.valueChanged.connect(self._apply)
        self.start_in_tray.toggled.connect(self._apply)

    def show_preferences(self) -> None:
        """Set the controls to the preferences in force (they may have changed elsewhere:
        View → Theme, another window's Settings)."""
        prefs = self._host.preferences()
        controls = (self.theme, self.notifications, self.font_size, self.start_in_tray)
        for control in controls:
            control.blockSignals(True)
        try:
            self.theme.setCurrentIndex([c for c, _ in THEME_LABELS].index(prefs.theme))
            self.notifications.setChecked(prefs.notifications)
            self.font_size.setValue(
                prefs.font_size if prefs.font_size != SYSTEM_FONT_SIZE else FONT_SIZE_MIN - 1
            )
            self.start_in_tray.setChecked(prefs.start_in_tray)
        finally:
            for control in controls:
                control.blockSignals(False)

    def showEvent(self, event: QShowEvent) -> None:
        self.show_preferences()
        super().showEvent(event)

    def chosen(self) -> Preferences:
        """What the controls say now."""
        size = self.font_size.value()
        return replace(
            self._host.preferences(),
            theme=ThemeChoice(self.theme.currentData()),
            notifications=self.notifications.isChecked(),
            font_size=SYSTEM_FONT_SIZE if size < FONT_SIZE_MIN else size,
            start_in_tray=self.start_in_tray.isChecked(),
        )

    def _on_sign_out(self) -> None:
        self.close()
        self._sign_out()

    def _apply(self, *_args: object) -> None:
        self._host.set_preferences(self.chosen())
