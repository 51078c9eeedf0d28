"""The status bar: coloured connection state, round-trip time, server and user; click → diagnostics."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from desktop_app.session.state import ConnectionStatus, ConnState
from desktop_app.ui import theme
from desktop_app.ui.widgets.elided_label import ElidedLabel

COUNTDOWN_TICK_MS = 250


def describe(status: ConnectionStatus, now: float | None = None, since: float | None = None) -> str:
    """The state in the words the status bar shows ("reconnecting in 3s (attempt 2)")."""
    state = status.state
    if state is ConnState.LIVE:
        return "Live"
    if state is ConnState.SYNCING:
        return "Syncing…"
    if state is ConnState.CONNECTING:
        return "Connecting…"
    if state is ConnState.AUTH_FAILED:
        return "Signed out"
    if state is ConnState.NOT_RESPONDING:
        return "Not responding…"
    if state is ConnState.RECONNECTING:
        attempt = f"attempt {status.attempt}" if status.attempt else "retrying"
        if status.retry_in is None:
            return f"Reconnecting ({attempt})"
        elapsed = (now - since) if now is not None and since is not None else 0.0
        left = max(0, math.ceil(status.retry_in - elapsed))
        if left <= 0:
            return f"Reconnecting now ({attempt})"
        return f"Reconnecting in {left}s ({attempt})"
    return "Offline"


def state_color_kind(state: ConnState) -> str:
    """ "live", "busy" or "down": which of the theme's three state colours to use."""
    if state is ConnState.LIVE:
        return "live"
    if state in (
        ConnState.SYNCING,
        ConnState.CONNECTING,
        ConnState.RECONNECTING,
        ConnState.NOT_RESPONDING,
    ):
        return "busy"
    return "down"


class ConnectionStatusBar(QStatusBar):
    """Shows the session's connection; `diagnostics_requested` when the state is clicked."""

    diagnostics_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self._status = ConnectionStatus(state=ConnState.OFFLINE)
        self._since = time.monotonic()
        self.state_button = QPushButton("Offline", self)
        self.state_button.setObjectName("statusState")
        self.state_button.setFlat(True)
        self.state_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.state_button.setToolTip("Connection details and the diagnostics journal")
        self.state_button.clicked.connect(self.diagnostics_requested)
        self.rtt_label = QLabel("", self)
        self.rtt_label.setToolTip("Round-trip time of the last ping")
        # Elided, so a long URL or display name cannot set the window's minimum width.
        self.server_label = ElidedLabel("", self)
        self.user_label = ElidedLabel("", self)
        for elided in (self.server_label, self.user_label):
            elided.tooltip_when_elided = False  # set_identity's tooltips say it all
        # Names and URLs are data, never markup.
        for label in (self.rtt_label, self.server_label, self.user_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.addWidget(self.state_button)
        self.addWidget(self.rtt_label)
        self.addPermanentWidget(self.server_label)
        self.addPermanentWidget(self.user_label)
        self._tick = QTimer(self, interval=COUNTDOWN_TICK_MS)
        self._tick.timeout.connect(self._render)
        manager = theme.manager()
        if manager is not None:
            manager.changed.connect(lambda _c: self._render())
        self._render()

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    def state_text(self) -> str:
        return self.state_button.text()

    def set_identity(self, server_url: str, user_label: str) -> None:
        self.server_label.setText(server_url)
        self.server_label.setToolTip(f"Server: {server_url}")
        self.user_label.setText(user_label)
        self.user_label.setToolTip(f"Signed in as {user_label}")

    def set_status(self, status: ConnectionStatus) -> None:
        self._status = status
        self._since = time.monotonic()
        if status.state is ConnState.RECONNECTING and status.retry_in is not None:
            self._tick.start()
        else:
            self._tick.stop()
        self._render()

    def _render(self) -> None:
        status = self._status
        c = theme.colors()
        kind = state_color_kind(status.state)
        color = {"live": c.state_live, "busy": c.state_busy, "down": c.state_down}[kind]
        self.state_button.setText("● " + describe(status, time.monotonic(), self._since))
        self.state_button.setStyleSheet(f"color: {color.name()};")
        if status.rtt_ms is not None and status.state is ConnState.LIVE:
            self.rtt_label.setText(f"{status.rtt_ms:.0f} ms")
        else:
            self.rtt_label.setText("")
        tip = "Connection details and the diagnostics journal"
        if status.last_error:
            tip += f"\nLast error: {status.last_error}"
        self.state_button.setToolTip(tip)
