"""The smaller items of issue 10: keys, wording, titles and where the first window opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.app import DesktopApp, sign_in_with_password
from desktop_app.settings import Profile
from desktop_app.ui.dialogs.sign_in import SignInDialog, remember_user
from desktop_app.ui.dialogs.sign_out_prompt import ask_sign_out
from desktop_app.ui.groups.group_dialogs import NewGroupDialog
from desktop_app.ui.main_window import MainWindow
from tests.support.server import PASSWORD
from tests.ui.v2_helpers import UiKit


def _activate(window: Any, wait_for: Callable[..., None]) -> None:
    window.show()
    window.activateWindow()
    wait_for(window.isActiveWindow, timeout=5)


def test_enter_on_a_name_the_completer_shows_adds_it_at_once_and_typing_clears_the_error(
    desktop: DesktopApp,
    server: Any,
    users: Callable[[int], list[str]],
    sign_in: Callable[..., MainWindow],
    wait_for: Callable[..., None],
    qtbot: QtBot,
) -> None:
    alice_name, bob_name = users(2)
    alice = sign_in(desktop, server.url, alice_name)
    _activate(alice, wait_for)
    alice.new_group()
    dialog = alice.findChild(NewGroupDialog)
    assert dialog is not None
    _activate(dialog, wait_for)
    dialog.member.setFocus()

    # An error from the last name stays only until the next one is typed.
    qtbot.keyClicks(dialog.member, alice_name)
    qtbot.keyClick(dialog.member, Qt.Key.Key_Return)
    wait_for(dialog.error.isVisible)
    qtbot.keyClicks(dialog.member, bob_name[:4])
    assert not dialog.error.isVisible(), "the old error goes as the next name is typed"

    qtbot.keyClicks(dialog.member, bob_name[4:])
    popup = dialog.member.completer().popup()
    wait_for(popup.isVisible)
    # The popup has the keyboard while it shows: Enter goes to it, once.
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    wait_for(lambda: dialog.member_names() == [bob_name], timeout=3)
    assert dialog.member.text() == ""
    assert dialog.isVisible(), "Enter in the member box does not press Create group"
    dialog.reject()


def test_a_new_profiles_first_window_fits_the_screen(
    desktop: DesktopApp,
    server: Any,
    users: Callable[[int], list[str]],
    arun: Callable[..., Any],
) -> None:
    (name,) = users(1)
    signed = arun(sign_in_with_password(server.url, name, PASSWORD))
    profile = Profile.load(f"new-{name}")
    remember_user(profile, signed)
    window = desktop.open_window(profile, signed)  # no remembered place, as on a first run
    screen = window.screen()
    area = screen.availableGeometry()

    assert area.contains(window.frameGeometry()), (
        f"{window.frameGeometry()} does not fit the free area {area} of the screen"
    )
    assert window.width() >= window.minimumWidth()


def test_esc_undoes_one_thing_at_a_time_then_closes_the_chat(ui: UiKit) -> None:
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    (name,) = users(1)
    window = sign_in(desktop, server.url, name)
    group = arun(window.bridge.create_group("Esc", [])).id
    wait_for(lambda: window.bridge.groups.row_of(group) is not None)
    _activate(window, wait_for)
    window.open_group(group)
    window.bridge.send(group, "select me")
    wait_for(lambda: window.chat.view.model().rowCount() == 1)
    view = window.chat.view
    view.selectAll()
    edit = window.chat.composer.edit

    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert not view.selectionModel().hasSelection(), "first Esc: the selection goes"
    assert window.current_group == group

    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert window.current_group is None, "at the newest with nothing selected, Esc closes it"
    assert not window.chat.view.reading
    assert window.windowTitle().startswith(f"{window.bridge.user.display_name} (")
    assert not window.groups.list.selectionModel().selectedIndexes()


def test_next_unread_group_goes_round_to_one_above(ui: UiKit) -> None:
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    alice_name, bob_name = users(2)
    alice = sign_in(desktop, server.url, alice_name)
    bob = sign_in(desktop, server.url, bob_name)
    ids = [arun(alice.bridge.create_group(n, [bob_name])).id for n in ("One", "Two", "Three")]
    wait_for(lambda: all(bob.bridge.groups.row_of(g) is not None for g in ids))
    order = bob.groups.visible_group_ids()
    top, bottom = order[0], order[-1]
    alice.bridge.send(top, "unread up here")
    wait_for(lambda: bob.bridge.groups.unread(top) == 1)
    order = bob.groups.visible_group_ids()
    bottom = order[-1]
    _activate(bob, wait_for)
    bob.open_group(bottom)

    qtbot.keyClick(
        bob.chat.composer.edit,
        Qt.Key.Key_Down,
        Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert bob.current_group == top, "past the last group it goes on from the first"


def test_the_sign_out_question_says_it_for_one_message(
    desktop: DesktopApp,
    server: Any,
    users: Callable[[int], list[str]],
    sign_in: Callable[..., MainWindow],
) -> None:
    (name,) = users(1)
    window = sign_in(desktop, server.url, name)
    one = ask_sign_out(window, 1, name, lambda: None)
    assert one.text().startswith("1 message hasn't been sent yet. It stays on this computer")
    assert "They" not in one.text()
    one.reject()
    three = ask_sign_out(window, 3, name, lambda: None)
    assert three.text().startswith("3 messages haven't been sent yet. They stay")
    three.reject()


def test_the_sign_in_dialog_is_titled_create_account_while_creating_one(
    qapp: Any, app_home: Any
) -> None:
    dialog = SignInDialog(Profile.load("fresh"))
    assert dialog.windowTitle().startswith("Sign in")
    dialog.create_account.setChecked(True)
    assert dialog.windowTitle().startswith("Create account"), dialog.windowTitle()
    assert dialog.heading.text().startswith("Create an account")
    dialog.create_account.setChecked(False)
    assert dialog.windowTitle().startswith("Sign in")
    dialog.deleteLater()
