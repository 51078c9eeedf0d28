"""Leaving a group from the UI: asked first, gone from every window of the session, and the
others keep talking; a refusal is said in plain words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from chat_protocol import limits
from desktop_app.app import DesktopApp
from desktop_app.ui.dialogs.undeliverable import UndeliverableDialog
from desktop_app.ui.groups.group_dialogs import LeaveGroupDialog
from desktop_app.ui.main_window import MainWindow
from tests.ui.helpers import bodies, shown_rows


def _setup(
    desktop: DesktopApp,
    server: Any,
    users: Callable[[int], list[str]],
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
    names: tuple[str, ...],
) -> tuple[MainWindow, MainWindow, list[int]]:
    alice_name, bob_name = users(2)
    alice = sign_in(desktop, server.url, alice_name)
    bob = sign_in(desktop, server.url, bob_name)
    ids = [arun(alice.bridge.create_group(n, [bob_name])).id for n in names]
    wait_for(lambda: all(bob.bridge.groups.row_of(g) is not None for g in ids))
    wait_for(lambda: all(alice.bridge.groups.row_of(g) is not None for g in ids))
    return alice, bob, ids


def _menu_action(menu: QMenu, text: str) -> Any:
    return next(a for a in menu.actions() if a.text() == text)


def _closed(dialog: LeaveGroupDialog) -> bool:
    # The dialog deletes itself on closing.
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def _open_dialog(window: MainWindow, wait_for: Callable[..., None]) -> LeaveGroupDialog:
    wait_for(lambda: window._leave_dialog is not None and window._leave_dialog.isVisible())
    dialog = window._leave_dialog
    assert dialog is not None
    return dialog


def test_leaving_from_the_group_list_asks_then_every_window_drops_the_group(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (alpha, beta, gamma) = _setup(
        desktop, server, users, sign_in, arun, wait_for, ("Alpha", "Beta", "Gamma")
    )
    desktop.new_window(alice)
    wait_for(lambda: len(desktop.windows) == 3)
    second = desktop.windows[-1]
    assert second.bridge is alice.bridge
    for window in (alice, second, bob):
        window.open_group(beta)
    # An unsent (refused) message of alice's in Beta: leaving drops it, and the dialog says so.
    too_long = "w" * (limits.BODY_MAX + 1)
    alice.bridge.send(beta, too_long)
    wait_for(lambda: [r["state"] for r in shown_rows(alice) if r["body"] == too_long] == ["failed"])
    order = alice.groups.visible_group_ids()
    position = order.index(beta)
    expected_next = order[position + 1] if position + 1 < len(order) else order[position - 1]

    # Right click on Beta in the list: "Leave Group…".
    menu = alice.groups.context_menu(beta)
    _menu_action(menu, "Leave Group…").trigger()
    dialog = _open_dialog(alice, wait_for)
    assert dialog.question.text() == "Leave “Beta”?"
    assert "“Beta”" in dialog.details.text()
    assert "Your 1 unsent message to it will be dropped." in dialog.details.text()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)

    wait_for(lambda: alice.bridge.groups.row_of(beta) is None)
    wait_for(lambda: _closed(dialog))
    assert beta not in alice.groups.visible_group_ids()
    assert beta not in second.groups.visible_group_ids()
    assert alice.current_group == expected_next
    assert second.current_group not in (beta, None)
    assert not alice.windowTitle().startswith("Beta")
    assert alice.bridge.outbox_length == 0
    assert {alpha, gamma} <= set(alice.groups.visible_group_ids())

    # Bob's Beta still works, and alice hears nothing more from it.
    bob.bridge.send(beta, "bob is still here")
    wait_for(
        lambda: (
            [r["state"] for r in shown_rows(bob) if r["body"] == "bob is still here"] == ["sent"]
        )
    )
    bob.bridge.send(alpha, "and in alpha")
    alice.open_group(alpha)
    wait_for(lambda: "and in alpha" in bodies(alice))
    assert alice.bridge.groups.row_of(beta) is None
    assert bob.bridge.groups.row_of(beta) is not None


def test_cancel_and_enter_keep_the_group(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, _bob, (team,) = _setup(desktop, server, users, sign_in, arun, wait_for, ("Team",))
    alice.open_group(team)
    alice.leave_group_action.trigger()
    dialog = _open_dialog(alice, wait_for)
    # Enter answers the default, which is Cancel: a group is never left by accident.
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    wait_for(lambda: _closed(dialog))
    assert alice.bridge.groups.row_of(team) is not None
    assert alice.current_group == team


def test_leaving_the_last_group_from_the_menu_shows_the_empty_state(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (team,) = _setup(desktop, server, users, sign_in, arun, wait_for, ("Team",))
    alice.open_group(team)
    assert alice.leave_group_action.isEnabled()
    alice.leave_group_action.trigger()
    dialog = _open_dialog(alice, wait_for)
    assert "unsent" not in dialog.details.text()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)

    wait_for(lambda: alice.current_group is None)
    assert alice.chat.empty.isVisible()
    assert alice.chat.empty.text() == "You left that group."
    assert not alice.leave_group_action.isEnabled()
    assert not alice.add_member_action.isEnabled()
    assert bob.bridge.groups.row_of(team) is not None


def test_leaving_while_the_server_is_down_says_so_and_keeps_the_group(
    desktop: DesktopApp,
    make_server: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    from tests.support.server import register, unique_name

    down = make_server()
    alice_name, bob_name = unique_name("ui"), unique_name("ui")
    register(down.url, alice_name)
    register(down.url, bob_name)
    alice = sign_in(desktop, down.url, alice_name)
    team = arun(alice.bridge.create_group("Team", [bob_name])).id
    wait_for(lambda: alice.bridge.groups.row_of(team) is not None)
    alice.open_group(team)
    down.stop()

    menu = alice.groups.context_menu(team)
    _menu_action(menu, "Leave Group…").trigger()
    dialog = _open_dialog(alice, wait_for)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)

    wait_for(lambda: dialog.error.isVisible())
    assert dialog.error.text().startswith("Can't reach the server right now")
    assert "still in the group" in dialog.error.text()
    assert dialog.isVisible()
    assert dialog.ok.isEnabled()  # it can be tried again
    assert alice.bridge.groups.row_of(team) is not None
    assert alice.current_group == team


def test_unsent_messages_to_a_group_left_on_another_device_are_handed_back(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    """Alice leaves a group on another device while this window still holds unsent messages
    to it: they cannot be delivered any more, so one window shows their text, copyable, and
    the outbox no longer counts them."""
    alice, _bob, (alpha, beta) = _setup(
        desktop, server, users, sign_in, arun, wait_for, ("Alpha", "Beta")
    )
    desktop.new_window(alice)  # a second window of the same session
    second = desktop.windows[-1]
    assert second.bridge is alice.bridge
    alice.open_group(beta)
    alice.bridge.session.sender.pause()  # as while the server is unreachable
    alice.bridge.send(beta, "first thought")
    alice.bridge.send(beta, "second thought\nwith two lines")
    alice.bridge.send(alpha, "this one stays")
    assert alice.bridge.outbox_length == 3

    other_device = httpx.delete(
        f"{server.url}/api/groups/{beta}/members/me",
        headers={"Authorization": f"Bearer {alice.bridge.session.token}"},
    )
    assert other_device.status_code == 204

    wait_for(lambda: alice.bridge.groups.row_of(beta) is None)
    dialogs = [w.undeliverable_dialog for w in (alice, second) if w.undeliverable_dialog]
    assert len(dialogs) == 1, "shown once, not once per window"
    dialog = dialogs[0]
    assert isinstance(dialog, UndeliverableDialog)
    wait_for(dialog.isVisible)
    assert "“Beta”" in dialog.explanation.text()
    assert dialog.text.toPlainText() == "first thought\n\nsecond thought\nwith two lines"
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.text.toPlainText()
    assert alice.bridge.outbox_length == 1, "only the message to Alpha is still queued"
    alice.bridge.session.sender.resume()
    alice.open_group(alpha)
    wait_for(
        lambda: [r["state"] for r in shown_rows(alice) if r["body"] == "this one stays"] == ["sent"]
    )
    assert any(
        "cannot be delivered" in text for text in alice.bridge.journal.texts("undeliverable")
    )


def test_a_notice_that_came_before_any_window_is_shown_by_the_next_window(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    wait_for: Any,
) -> None:
    """At start-up the session can find undeliverable messages before a window listens:
    the notice waits in the bridge and the first window to open shows it."""
    from desktop_app.session.session import Undeliverable

    (alice_name,) = users(1)
    alice = sign_in(desktop, server.url, alice_name)
    notice = Undeliverable(99, "Gone", ["kept for you"])
    alice.bridge.undelivered.append(notice)  # as if emitted before any window connected
    desktop.new_window(alice)
    second = desktop.windows[-1]
    assert second.undeliverable_dialog is not None
    wait_for(second.undeliverable_dialog.isVisible)
    assert second.undeliverable_dialog.text.toPlainText() == "kept for you"
    assert notice.shown and alice.bridge.take_undelivered() == []
