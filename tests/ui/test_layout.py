"""A demanding user's details: long names, small windows, menus, filter and dialog keys."""

from __future__ import annotations

from typing import Any

import httpx
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.app import DesktopApp
from desktop_app.models.group_list_model import GroupRoles
from desktop_app.session.state import ConnState
from desktop_app.ui.groups.group_dialogs import NewGroupDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import ThemeChoice
from tests.ui.v2_helpers import UiKit

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


def test_enter_in_the_new_group_member_box_adds_the_member_and_does_not_create_the_group(
    ui: UiKit,
) -> None:
    desktop, server, users, sign_in, _, wait_for, qtbot = ui
    alice_name, bob_name, carol_name = users(3)
    alice: MainWindow = sign_in(desktop, server.url, alice_name)
    dialog = NewGroupDialog(alice.bridge, alice)
    dialog.open()
    dialog.activateWindow()
    wait_for(dialog.isActiveWindow, timeout=5)
    dialog.name.set_text("Typed by hand")
    dialog.member.setFocus()
    # The placeholder says "username, then Enter": Enter adds the name, nothing more.
    qtbot.keyClicks(dialog.member, carol_name)
    qtbot.keyClick(dialog.member, Qt.Key.Key_Return)
    assert dialog.member_names() == [carol_name]
    assert dialog.member.text() == ""
    assert dialog.isVisible()
    assert dialog.ok.isEnabled()  # "Create group" was not pressed
    assert not dialog.error.isVisible()
    # A suggestion picked with the keyboard joins the list and leaves the box empty.
    qtbot.keyClicks(dialog.member, bob_name[:10])  # unique among the module's users
    popup = dialog.member.completer().popup()
    wait_for(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    wait_for(lambda: dialog.member_names() == [carol_name, bob_name])
    wait_for(lambda: dialog.member.text() == "")
    assert dialog.ok.isEnabled()
    qtbot.wait(200)  # both look-ups answered: both names are real, nothing was taken out
    assert dialog.member_names() == [carol_name, bob_name] and not dialog.error.isVisible()
    dialog.reject()


def test_the_theme_ticked_in_every_window_menu_is_the_one_in_use(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any
) -> None:
    (name,) = users(1)
    first: MainWindow = sign_in(desktop, server.url, name)
    desktop.new_window(first)
    second = desktop.windows[-1]
    try:
        second.theme_actions[ThemeChoice.DARK].trigger()  # View → Theme → Dark, in one window
        for window in (first, second):
            assert window.theme_actions[ThemeChoice.DARK].isChecked()
            assert not window.theme_actions[ThemeChoice.LIGHT].isChecked()
    finally:
        desktop.set_theme(ThemeChoice.LIGHT)
    assert first.theme_actions[ThemeChoice.LIGHT].isChecked()


def test_quitting_keeps_the_first_window_layout_of_a_profile(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any
) -> None:
    (name,) = users(1)
    first: MainWindow = sign_in(desktop, server.url, name)
    first.resize(700, 500)
    desktop.new_window(first)  # File → New Window: same profile
    desktop.windows[-1].resize(580, 430)
    profile_name = first.profile.name
    arun(desktop.shutdown(), timeout=20)
    desktop._quitting = False  # the fixture's app opens the profile again, as a restart would
    again = arun(desktop.open_profile(profile_name))
    assert isinstance(again, MainWindow)
    assert (again.width(), again.height()) == (700, 500)


def test_the_group_filter_enter_opens_the_first_match_and_escape_clears_it(ui: UiKit) -> None:
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)
    ids = [arun(window.bridge.create_group(n, [])).id for n in ("Front desk", "Back office")]
    wait_for(lambda: all(window.bridge.groups.row_of(g) is not None for g in ids))
    window.open_group(ids[0])
    window.show()
    window.activateWindow()
    wait_for(window.isActiveWindow, timeout=5)
    window.groups.focus_filter()
    qtbot.keyClicks(window.groups.filter_edit, "back")
    assert window.groups.visible_group_ids() == [ids[1]]
    qtbot.keyClick(window.groups.filter_edit, Qt.Key.Key_Return)
    assert window.current_group == ids[1]
    assert window.chat.title.text() == "Back office"
    window.groups.focus_filter()
    qtbot.keyClick(window.groups.filter_edit, Qt.Key.Key_Escape)
    assert window.groups.filter_edit.text() == ""
    assert sorted(window.groups.visible_group_ids()) == sorted(ids)


def test_the_highlight_stays_on_the_group_on_screen_while_filtering(ui: UiKit) -> None:
    """A filter that hides the open group highlights nothing (not another group), and
    clearing it puts the highlight back on the group the chat shows."""
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)
    ids = [arun(window.bridge.create_group(n, [])).id for n in ("Project X", "Random")]
    wait_for(lambda: all(window.bridge.groups.row_of(g) is not None for g in ids))
    window.open_group(ids[0])

    def highlighted() -> Any:
        return window.groups.list.currentIndex().data(GroupRoles.GROUP_ID)

    assert highlighted() == ids[0]
    window.groups.focus_filter()
    qtbot.keyClicks(window.groups.filter_edit, "ran")
    assert window.groups.visible_group_ids() == [ids[1]]
    assert not window.groups.list.selectionModel().selectedIndexes(), "nothing else lit"
    qtbot.keyClick(window.groups.filter_edit, Qt.Key.Key_Escape)
    assert window.current_group == ids[0]
    assert highlighted() == ids[0]
    assert [i.data(GroupRoles.GROUP_ID) for i in window.groups.list.selectedIndexes()] == [ids[0]]


def test_before_the_first_connection_an_empty_list_is_not_called_no_groups(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, wait_for: Any
) -> None:
    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)  # the session has not connected yet
    assert window.bridge.status.state is not ConnState.LIVE
    waiting = window.chat.empty.text()
    assert waiting.startswith(f"Waiting for the server at {server.url}")
    assert "No groups yet" not in waiting
    wait_for(lambda: window.bridge.status.state is ConnState.LIVE)
    wait_for(lambda: window.chat.empty.text().startswith("No groups yet."))


def test_add_member_is_offered_only_with_a_group_on_screen(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)
    assert not window.groups.add_button.isEnabled()
    assert not window.add_member_action.isEnabled()
    group = arun(window.bridge.create_group("Somewhere", []))
    wait_for(lambda: window.current_group == group.id)
    assert window.groups.add_button.isEnabled()
    assert window.add_member_action.isEnabled()


def test_an_empty_group_says_so_and_a_loading_one_does_not(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    from desktop_app.ui.main_window import NO_MESSAGES_HINT
    from tests.ui.helpers import bodies, post

    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)
    quiet = arun(window.bridge.create_group("Quiet", []))
    busy = arun(window.bridge.create_group("Busy", []))
    token = window.profile.token
    assert token is not None
    arun(post(server.url, token, busy.id, "already here"))

    def busy_preview() -> str:
        row = window.bridge.groups.row_of(busy.id)
        groups = window.bridge.groups
        return "" if row is None else str(groups.index(row, 0).data(GroupRoles.PREVIEW) or "")

    wait_for(lambda: "already here" in busy_preview())
    window.open_group(quiet.id)
    wait_for(lambda: window.chat.view.empty_hint_shown() == NO_MESSAGES_HINT)
    window.open_group(busy.id)
    assert window.chat.view.empty_hint_shown() == ""
    wait_for(lambda: bodies(window) == ["already here"])
    window.open_group(quiet.id)
    window.chat.composer.edit.setPlainText("first words")
    window.chat.composer.submit()
    wait_for(lambda: bodies(window) == ["first words"])
    assert window.chat.view.empty_hint_shown() == ""


def test_the_quick_switcher_is_as_tall_as_its_matches_and_says_when_none_match(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)
    ids = [arun(window.bridge.create_group(n, [])).id for n in ("North", "South", "East")]
    wait_for(lambda: all(window.bridge.groups.row_of(g) is not None for g in ids))
    window.show_switcher()
    switcher = window._switcher
    assert switcher is not None
    wait_for(switcher.isVisible)
    all_three = switcher.height()
    switcher.input.setText("nor")
    one = switcher.height()
    assert switcher.list.isVisible() and switcher.list.model().rowCount() == 1
    assert one < all_three
    switcher.input.setText("zzz")
    assert not switcher.list.isVisible()
    assert switcher.no_match.isVisible()
    assert switcher.no_match.text() == "No group matches “zzz”."
    assert switcher.height() < one


def test_dark_theme_draws_field_and_check_box_outlines_that_can_be_seen(
    desktop: DesktopApp, qtbot: QtBot
) -> None:
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QCheckBox, QLineEdit, QVBoxLayout, QWidget

    from desktop_app.ui import theme

    desktop.set_theme(ThemeChoice.DARK)
    try:
        form = QWidget()
        qtbot.addWidget(form)
        edit = QLineEdit(form)
        box = QCheckBox("Create a new account", form)
        layout = QVBoxLayout(form)
        layout.addWidget(edit)
        layout.addWidget(box)
        form.show()
        qtbot.waitExposed(form)
        window = QColor(theme.colors().window)

        def contrast(widget: QWidget) -> int:
            image = widget.grab().toImage()
            y = image.height() // 2
            return max(
                abs(image.pixelColor(x, y).lightness() - window.lightness())
                for x in range(min(20, image.width()))
            )

        # The outline (or the box) stands out from the window by a visible step.
        assert contrast(edit) > 25
        assert contrast(box) > 25
    finally:
        desktop.set_theme(ThemeChoice.LIGHT)


def test_a_long_paste_grows_the_composer_like_typing_does(ui: UiKit) -> None:
    """Pasting 1,500 characters at once shows the composer at its full height at once, not
    squashed to a line or two until the next keystroke."""
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    from PySide6.QtGui import QGuiApplication

    from desktop_app.ui.composer.composer import MAX_VISIBLE_LINES

    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)
    group = arun(window.bridge.create_group("Paste here", [])).id
    wait_for(lambda: window.bridge.groups.row_of(group) is not None)
    window.open_group(group)
    window.resize(900, 640)
    window.show()
    edit = window.chat.composer.edit
    one_line = edit.height()
    QGuiApplication.clipboard().setText("word " * 300)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(50)
    pasted = edit.height()
    full = one_line + (MAX_VISIBLE_LINES - 1) * edit.fontMetrics().lineSpacing()
    assert pasted >= full - 2, (one_line, pasted, full)
    qtbot.keyClicks(edit, "x")
    assert edit.height() == pasted, "a keystroke does not change what the paste showed"


def test_sign_out_with_unsent_messages_asks_first(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
) -> None:
    from PySide6.QtWidgets import QMessageBox

    (name,) = users(1)
    window: MainWindow = sign_in(desktop, server.url, name)
    group = arun(window.bridge.create_group("Waiting", [])).id
    wait_for(lambda: window.bridge.groups.row_of(group) is not None)
    window.bridge.session.sender.pause()  # as while the server is unreachable
    window.bridge.send(group, "not yet sent")
    assert window.bridge.outbox_length == 1
    window.confirm_sign_out()
    box = window.sign_out_box
    assert box is not None and box.isVisible()
    assert box.text().startswith("1 message hasn't been sent yet.")
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Cancel).click()
    wait_for(lambda: not box.isVisible())
    assert window in desktop.windows and window.isVisible(), "still signed in"
    assert window.bridge.outbox_length == 1


def test_the_group_open_at_the_last_quit_opens_again(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, wait_for: Any
) -> None:
    """Groups arrive one row at a time; the remembered one wins over whichever came first."""
    from desktop_app.settings import Profile
    from tests.client.peer import Peer
    from tests.support.server import PASSWORD

    alice_name, bob_name = users(2)
    auth = httpx.post(
        f"{server.url}/api/auth/login", json={"username": bob_name, "password": PASSWORD}
    ).json()
    peer = Peer(server.url, (auth["user"], auth["token"]))
    ids = [peer.create_group(n, [alice_name]) for n in ("First", "Second", "Third")]
    peer.send(ids[0], "newest activity, so First sorts on top")
    profile = Profile.load(f"p-{alice_name}")
    profile.ui["last_group"] = ids[2]
    profile.save()
    window: MainWindow = sign_in(desktop, server.url, alice_name)
    wait_for(lambda: window.current_group is not None)
    wait_for(lambda: len(window.groups.visible_group_ids()) == 3)
    assert window.current_group == ids[2]
    peer.close()
