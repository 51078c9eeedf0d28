"""The About window: app, server, Qt, PySide6 and Python versions, and the licences of what ships.

The server's version comes from its /healthz; the list of components and their licence texts
from the installed distributions' metadata (desktop_app/licences.py), plus the emoji font.
"""

from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app import __version__, licences
from desktop_app.tasks import spawn
from desktop_app.ui import emoji_font

DEFAULT_SIZE = (820, 560)
ASKING = "asking…"
UNREACHABLE = "not reachable"


class AboutWindow(QDialog):
    """Versions at the top; the shipped components on the left, the chosen one's licence right."""

    def __init__(self, server_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutWindow")
        self.setWindowTitle("About desktop-app")
        self._server_url = server_url
        self.app_version = QLabel(__version__, self)
        self.server = QLabel(server_url, self)
        self.server_version = QLabel(ASKING, self)
        self.qt_version = QLabel(qVersion(), self)
        self.pyside_version = QLabel(PySide6.__version__, self)
        self.python_version = QLabel(platform.python_version(), self)
        for label in (self.server, self.server_version):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("desktop-app:", self.app_version)
        form.addRow("Server:", self.server)
        form.addRow("Server version:", self.server_version)
        form.addRow("Qt:", self.qt_version)
        form.addRow("PySide6:", self.pyside_version)
        form.addRow("Python:", self.python_version)
        self.items = licences.shipped(
            [licences.font_entry("Chat Emoji (Noto Color Emoji)", emoji_font.licence_path())]
        )
        self.components = QListWidget(self)
        self.components.setObjectName("aboutComponents")
        for item in self.items:
            version = f" {item.version}" if item.version else ""
            self.components.addItem(f"{item.name}{version} — {item.licence}")
        self.licence = QPlainTextEdit(self)
        self.licence.setObjectName("aboutLicence")
        self.licence.setReadOnly(True)
        self.components.currentRowChanged.connect(self._show_licence)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.components)
        split.addWidget(self.licence)
        split.setSizes([340, 480])
        heading = QLabel("Shipped with the app, and their licences:", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(heading)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.resize(*DEFAULT_SIZE)
        if self.items:
            self.components.setCurrentRow(0)

    def _show_licence(self, row: int) -> None:
        if 0 <= row < len(self.items):
            self.licence.setPlainText(self.items[row].text)

    def select(self, name: str) -> bool:
        """Show the licence of the component called `name` (False: none is)."""
        for row, item in enumerate(self.items):
            if item.name.lower() == name.lower():
                self.components.setCurrentRow(row)
                return True
        return False

    def ask_server(self) -> None:
        """Fill in the server's version from its /healthz (in the background)."""
        spawn(self._ask_server(), name="about-healthz")

    async def _ask_server(self) -> None:
        from desktop_app.net.rest import RestClient

        rest = RestClient(self._server_url)
        try:
            health = await rest.health()
        except Exception:
            self.server_version.setText(UNREACHABLE)
            return
        finally:
            await rest.aclose()
        self.server_version.setText(f"{health.version} ({health.status})")
