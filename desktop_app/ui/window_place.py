"""Where a window with no remembered place opens: its default size, fitted to the screen."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# Room for a window manager's title bar and borders, which frameGeometry() knows only once
# the window is shown: a first window must fit the screen with them.
FRAME_ALLOWANCE = (16, 48)


def fit_to_screen(window: QWidget, size: tuple[int, int]) -> None:
    """`size`, made to fit the free area of the window's screen with a frame, centred in it
    (not left wherever the window system puts a new window)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    area = screen.availableGeometry()
    room_w, room_h = area.width() - FRAME_ALLOWANCE[0], area.height() - FRAME_ALLOWANCE[1]
    width = max(window.minimumWidth(), min(size[0], room_w))
    height = max(window.minimumHeight(), min(size[1], room_h))
    window.resize(width, height)
    window.move(
        area.left() + max(0, (area.width() - width) // 2),
        area.top() + max(0, (room_h - height) // 2),
    )
