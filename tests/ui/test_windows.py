"""Keyboard, several windows, titles, themes, failed sends, typing and notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from desktop_app.app import DesktopApp
from desktop_app.ui import theme
from desktop_app.ui.groups.group_dialogs import AddMemberDialog, NewGroupDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import DARK, LIGHT, ThemeChoice
from desktop_app.ui.timeline.message_delegate import MessageDelegate
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


def _activate(window: MainWindow, wait_for: Callable[..., None]) -> None:
    window.show()
    window.raise_()
    window.activateWindow()
    wait_for(window.isActiveWindow, timeout=5)


def test_keyboard_switcher_group_steps_unread_steps_and_escape(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (north, south, east) = _setup(
        desktop, server, users, sign_in, arun, wait_for, ("North", "South", "East")
    )
    _activate(bob, wait_for)
    bob.open_group(north)

    # Ctrl+K, type part of a name, Enter.
    qtbot.keyClick(bob, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    switcher = bob._switcher
    assert switcher is not None
    wait_for(switcher.isVisible)
    qtbot.keyClicks(switcher.input, "sou")
    qtbot.keyClick(switcher.input, Qt.Key.Key_Return)
    assert bob.current_group == south

    # Alt+Down / Alt+Up walk the list as shown.
    order = bob.groups.visible_group_ids()
    position = order.index(south)
    qtbot.keyClick(bob.chat.composer.edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    expected = order[min(position + 1, len(order) - 1)]
    assert bob.current_group == expected
    qtbot.keyClick(bob.chat.composer.edit, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert bob.current_group == order[position] if position + 1 < len(order) else True

    # Alt+Shift+Up/Down go to the nearest group with unread messages.
    _activate(bob, wait_for)
    bob.open_group(north)
    alice.bridge.send(east, "unread in east")
    wait_for(lambda: bob.groups.unread_of(east) == 1)
    ids = bob.groups.visible_group_ids()
    key = Qt.Key.Key_Down if ids.index(east) > ids.index(north) else Qt.Key.Key_Up
    qtbot.keyClick(
        bob.chat.composer.edit,
        key,
        Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert bob.current_group == east
    assert "unread in east" in bodies(bob)

    # Esc jumps back to the newest message.
    bob.resize(900, 420)
    for i in range(15):
        alice.bridge.send(east, f"filler {i}\nwith a second line\nand a third")
    wait_for(lambda: any(b.startswith("filler 14") for b in bodies(bob)))
    bar = bob.chat.view.verticalScrollBar()
    wait_for(lambda: bar.maximum() > 100)
    bar.setValue(bar.maximum() - 80)
    assert not bob.chat.view.is_pinned
    qtbot.keyClick(bob.chat.composer.edit, Qt.Key.Key_Escape)
    assert bob.chat.view.is_pinned
    assert bar.value() == bar.maximum()


def test_new_window_same_user_shares_the_session_and_titles_tell_windows_apart(
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
    bob.open_group(team)
    user = alice.bridge.user
    assert alice.windowTitle() == f"Team — {user.display_name} ({user.username}) — desktop-app"
    assert bob.windowTitle() != alice.windowTitle()
    _activate(alice, wait_for)
    qtbot.keyClick(alice, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    wait_for(lambda: len(desktop.windows) == 3)
    second = desktop.windows[-1]
    assert second.bridge is alice.bridge
    second.open_group(team)
    bob.bridge.send(team, "to both of alice's windows")
    wait_for(lambda: "to both of alice's windows" in bodies(second))
    assert "to both of alice's windows" in bodies(alice)
    second.close()
    assert alice.bridge in desktop.sessions.values()  # the first window still uses it


def test_failed_send_shows_red_with_retry_and_discard(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
    qtlog: Any,
) -> None:
    from PySide6.QtTest import QAbstractItemModelTester

    alice, _bob, (team,) = _setup(desktop, server, users, sign_in, arun, wait_for, ("Team",))
    alice.open_group(team)
    # Qt's own checker follows the chat's model through the send, the failure and the discard.
    tester = QAbstractItemModelTester(
        alice.chat.view.model(), QAbstractItemModelTester.FailureReportingMode.Warning
    )
    too_long = "y" * 4001  # the composer refuses this; the server would too (422)
    alice.bridge.send(team, too_long)
    wait_for(lambda: [r["state"] for r in shown_rows(alice) if r["body"] == too_long] == ["failed"])
    view = alice.chat.view
    model = view.model()
    assert model is not None
    row = bodies(alice).index(too_long)
    index = model.index(row, 0)
    view.scrollTo(index)
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    geo = delegate.geometry(option, index)
    assert not geo.retry.isNull() and not geo.discard.isNull()
    # Painted in the theme's failure red.
    image = view.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    reds = 0
    for x in range(geo.body.left(), min(geo.body.right(), geo.body.left() + 200)):
        pixel = image.pixelColor(int(x * ratio), int(geo.body.center().y() * ratio))
        if pixel.red() > 150 and pixel.green() < 110 and pixel.blue() < 110:
            reds += 1
    assert reds > 5
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=geo.discard.center())
    wait_for(lambda: too_long not in bodies(alice))
    alice.bridge.send(team, "after the discard")
    wait_for(lambda: bodies(alice)[-1:] == ["after the discard"])
    assert model.rowCount() == len(bodies(alice))
    problems = [
        r.message for r in qtlog.records if "FAIL" in r.message or "ModelTester" in r.message
    ]
    assert problems == []
    del tester


def test_typing_notice_shows_under_the_chat(
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
    bob.open_group(team)
    wait_for(lambda: bob.status.state_text() == "● Live" and alice.status.state_text() == "● Live")
    qtbot.keyClicks(bob.chat.composer.edit, "hel")
    name = bob.bridge.user.display_name
    wait_for(lambda: alice.chat.typing_label.text() == f"{name} is typing…")
    # A message from bob ends the notice.
    qtbot.keyClick(bob.chat.composer.edit, Qt.Key.Key_Return)
    wait_for(lambda: "hel" in bodies(alice))
    wait_for(lambda: alice.chat.typing_label.text() == "")


def test_background_message_notifies_and_title_counts_unread(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (front, back) = _setup(
        desktop, server, users, sign_in, arun, wait_for, ("Front", "Back")
    )
    bob.open_group(front)
    alice.open_group(back)
    alice.bridge.send(back, "ping from the back")
    wait_for(lambda: any(text == "ping from the back" for _t, text in desktop.notifier.shown))
    title, _ = next(n for n in desktop.notifier.shown if n[1] == "ping from the back")
    assert title == f"{alice.bridge.user.display_name} in Back"
    wait_for(lambda: bob.windowTitle().startswith("(1) Front — "))


def test_new_group_and_add_member_dialogs(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice_name, bob_name, carol_name = users(3)
    alice = sign_in(desktop, server.url, alice_name)
    dialog = NewGroupDialog(alice.bridge, alice)
    dialog.open()
    dialog.name.set_text("Made in the dialog")
    # Lookup: typing the start of a username offers the matching users.
    dialog.member.setFocus()
    qtbot.keyClicks(dialog.member, bob_name[:7])
    wait_for(lambda: bob_name in dialog.member.completer().model().stringList())  # type: ignore[attr-defined]
    dialog.member.setText(bob_name)
    dialog.add_typed_member()
    assert dialog.member_names() == [bob_name]
    created: list[Any] = []
    dialog.created.connect(created.append)
    dialog.submit()
    wait_for(lambda: bool(created))
    wait_for(lambda: alice.current_group == created[0].id)
    assert alice.chat.title.text() == "Made in the dialog"

    add = AddMemberDialog(alice.bridge, created[0].id, "Made in the dialog", alice)
    add.open()
    add.lookup.setText("no_such_user_zz")
    add.submit()
    wait_for(add.error.isVisible)
    assert add.error.text() == "There is no user called no_such_user_zz."
    add.lookup.setText(carol_name)
    added: list[str] = []
    add.added.connect(added.append)
    add.submit()
    wait_for(lambda: added == [carol_name])
    wait_for(lambda: alice.chat.subtitle.text() == "3 members")


def test_theme_switch_repaints_in_dark_and_back(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    (name,) = users(1)
    window = sign_in(desktop, server.url, name)
    desktop.set_theme(ThemeChoice.DARK)
    assert theme.colors() is DARK
    assert QApplication.palette().base().color() == DARK.base
    assert window.profile.ui["theme"] == "dark"
    desktop.set_theme(ThemeChoice.LIGHT)
    assert QApplication.palette().base().color() == LIGHT.base


def test_theme_follows_the_system_scheme_when_asked_to(desktop: DesktopApp, qapp: Any) -> None:
    hints = QApplication.styleHints()
    desktop.set_theme(ThemeChoice.SYSTEM)
    try:
        hints.setColorScheme(Qt.ColorScheme.Dark)
        if hints.colorScheme() != Qt.ColorScheme.Dark:
            import pytest

            pytest.skip("this Qt platform cannot change its colour scheme")
        assert theme.colors() is DARK
        hints.setColorScheme(Qt.ColorScheme.Light)
        assert theme.colors() is LIGHT
    finally:
        hints.unsetColorScheme()
        desktop.set_theme(ThemeChoice.LIGHT)


def test_window_size_and_splitter_are_remembered_per_profile(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    (name,) = users(1)
    window = sign_in(desktop, server.url, name)
    window.resize(777, 555)
    window.splitter.setSizes([250, 527])
    profile_name = window.profile.name
    desktop.new_window(window)  # keeps the app running while the first window closes
    window.close()
    assert not desktop._quitting
    reopened = arun(desktop.open_profile(profile_name))
    assert isinstance(reopened, MainWindow)
    assert (reopened.width(), reopened.height()) == (777, 555)
    assert reopened.splitter.sizes()[0] == 250


def test_new_window_as_another_user_asks_to_sign_in_with_a_profile_of_its_own(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    from desktop_app.ui.dialogs.sign_in import SignInDialog

    (name,) = users(1)
    window = sign_in(desktop, server.url, name)
    desktop.new_window_other_user(window)
    wait_for(lambda: bool(desktop._dialogs))
    dialog = desktop._dialogs[-1]
    assert isinstance(dialog, SignInDialog)
    assert dialog.server.text() == server.url
    assert dialog._profile.name != window.profile.name


def test_new_group_dialog_checks_each_name_as_it_is_added(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    wait_for: Any,
) -> None:
    alice_name, bob_name = users(2)
    alice = sign_in(desktop, server.url, alice_name)
    dialog = NewGroupDialog(alice.bridge, alice)
    dialog.open()
    for typed in ("zed_nobody_here", bob_name, bob_name, alice_name):
        dialog.member.setText(typed)
        dialog.add_typed_member()
        if typed == "zed_nobody_here":
            wait_for(lambda: dialog.error.isVisible())
            assert dialog.error.text() == "There is no user called zed_nobody_here."
            assert dialog.member_names() == []
    assert dialog.member_names() == [bob_name]
    assert dialog.error.isVisible()
    assert dialog.error.text() == "You are in the group anyway; no need to add yourself."
    dialog.member.setText(bob_name)
    dialog.add_typed_member()
    assert dialog.error.text() == f"{bob_name} is already in the list."
    dialog.members.setCurrentRow(0)
    dialog.remove.click()
    assert dialog.member_names() == [] and not dialog.error.isVisible()
    dialog.reject()
