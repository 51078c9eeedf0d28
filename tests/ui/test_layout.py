"""Layout under a demanding user: long names, small windows, menus that agree across windows."""

from __future__ import annotations

from typing import Any

from desktop_app.app import DesktopApp
from desktop_app.ui.main_window import MainWindow

LONG_NAME = (
    "The quarterly planning and retrospective discussion group for the whole team, all offices"
)
NARROW = 640


def test_a_long_group_name_is_elided_and_does_not_widen_the_window(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)
    group = arun(window.bridge.create_group(LONG_NAME, []))
    wait_for(lambda: window.bridge.groups.row_of(group.id) is not None)
    window.open_group(group.id)
    assert window.minimumSizeHint().width() < NARROW
    window.resize(NARROW, 480)
    wait_for(lambda: window.width() == NARROW)
    title = window.chat.title
    # What the user reads: the start of the name and "…", the whole name on hover.
    assert title.text() == LONG_NAME
    assert title.shown_text().endswith("…")
    assert LONG_NAME.startswith(title.shown_text()[:-1])
    assert title.toolTip() == LONG_NAME
    assert title.geometry().right() <= window.chat.width()


def test_at_its_smallest_the_window_keeps_the_chat_readable_and_the_hint_on_one_line(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)
    group = arun(window.bridge.create_group(LONG_NAME, []))
    wait_for(lambda: window.bridge.groups.row_of(group.id) is not None)
    window.open_group(group.id)
    window.resize(200, 150)  # as small as the user can drag it
    wait_for(lambda: window.width() < NARROW)
    edit = window.chat.composer.edit
    assert edit.hint() == f"Message {LONG_NAME}…"
    shown = edit.placeholderText()
    assert shown.endswith("…") and shown != edit.hint()
    assert edit.fontMetrics().horizontalAdvance(shown) <= edit.viewport().width()
    # Several lines of chat stay visible between the header and the composer.
    assert window.chat.view.viewport().height() >= 5 * window.fontMetrics().lineSpacing()
