"""Helpers for the v2 UI tests: the `ui` fixture's bundle, two members of a group, answering a
modal box, reading v2 roles of the shown rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop_app.app import DesktopApp
from desktop_app.models.roles import MessageRoles
from desktop_app.ui.main_window import MainWindow


class UiKit(NamedTuple):
    """The fixtures most UI tests take, as one (`ui`); unpacks in this order."""

    desktop: DesktopApp
    server: Any
    users: Callable[[int], list[str]]
    sign_in: Callable[..., MainWindow]
    arun: Callable[..., Any]
    wait_for: Callable[..., None]
    qtbot: QtBot


def pair(ui: UiKit, name: str = "Team") -> tuple[MainWindow, MainWindow, int]:
    """Alice and bob, each in a window of their own, with alice's group `name` (bob in it)
    open in both windows."""
    alice_name, bob_name = ui.users(2)
    alice = ui.sign_in(ui.desktop, ui.server.url, alice_name)
    bob = ui.sign_in(ui.desktop, ui.server.url, bob_name)
    gid = ui.arun(alice.bridge.create_group(name, [bob_name])).id
    ui.wait_for(lambda: bob.bridge.groups.row_of(gid) is not None)
    ui.wait_for(lambda: alice.bridge.groups.row_of(gid) is not None)
    alice.open_group(gid)
    bob.open_group(gid)
    return alice, bob, gid


# A modal box is looked for this often until it shows.
MODAL_POLL_MS = 20


def answer_modal(button_text: str, text: str | None = None) -> None:
    """When the next modal box shows, press its `button_text` button (an input dialog gets
    `text` typed first)."""

    def attempt() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None:
            QTimer.singleShot(MODAL_POLL_MS, attempt)
            return
        if isinstance(modal, QInputDialog) and text is not None:
            modal.setTextValue(text)
            modal.accept()
            return
        if isinstance(modal, QMessageBox):
            for button in modal.buttons():
                if isinstance(button, QAbstractButton) and button.text().replace("&", "") == (
                    button_text
                ):
                    button.click()
                    return
        modal.close()

    QTimer.singleShot(MODAL_POLL_MS, attempt)


def row_data(window: MainWindow, role: MessageRoles) -> list[Any]:
    """One role of every shown row, top to bottom."""
    model = window.chat.view.model()
    if model is None:
        return []
    return [model.index(r, 0).data(role) for r in range(model.rowCount())]


def row_of_body(window: MainWindow, body: str) -> int | None:
    model = window.chat.view.model()
    if model is None:
        return None
    for r in range(model.rowCount()):
        if model.index(r, 0).data(MessageRoles.BODY) == body:
            return r
    return None
