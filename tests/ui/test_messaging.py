"""Two windows, two users, one real server: what each of them sees when messages flow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from desktop_app.app import DesktopApp
from desktop_app.models.group_list_model import GroupRoles
from desktop_app.models.message_model import MessageRoles
from desktop_app.ui import theme
from desktop_app.ui.main_window import MainWindow
from tests.ui.helpers import bodies, shown_rows


def _pair(
    desktop: DesktopApp,
    server: Any,
    users: Callable[[int], list[str]],
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
    groups: tuple[str, ...] = ("Team",),
) -> tuple[MainWindow, MainWindow, list[int]]:
    alice_name, bob_name = users(2)
    alice = sign_in(desktop, server.url, alice_name)
    bob = sign_in(desktop, server.url, bob_name)
    ids = [arun(alice.bridge.create_group(name, [bob_name])).id for name in groups]
    wait_for(lambda: all(bob.bridge.groups.row_of(g) is not None for g in ids))
    wait_for(lambda: all(alice.bridge.groups.row_of(g) is not None for g in ids))
    return alice, bob, ids


def test_alice_sends_bob_sees_it_alice_sees_it_once_pending_then_sent(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (team,) = _pair(desktop, server, users, sign_in, arun, wait_for)
    alice.open_group(team)
    bob.open_group(team)
    seen_states: list[str] = []
    model = alice.chat.view.model()
    assert model is not None
    model.dataChanged.connect(
        lambda *_: seen_states.extend(
            str(r["state"]) for r in shown_rows(alice) if r["body"] == "hello bob"
        )
    )

    qtbot.keyClicks(alice.chat.composer.edit, "hello bob")
    qtbot.keyClick(alice.chat.composer.edit, Qt.Key.Key_Return)

    # The local echo is there at once, pending, and the composer is empty again.
    assert [r["state"] for r in shown_rows(alice) if r["body"] == "hello bob"] == ["pending"]
    assert alice.chat.composer.text() == ""
    wait_for(lambda: "hello bob" in bodies(bob))
    wait_for(
        lambda: [r["state"] for r in shown_rows(alice) if r["body"] == "hello bob"] == ["sent"]
    )
    assert "sent" in seen_states
    assert bodies(alice).count("hello bob") == 1
    assert bodies(bob).count("hello bob") == 1
    sender = next(r["sender"] for r in shown_rows(bob) if r["body"] == "hello bob")
    assert sender == alice.bridge.user.display_name


def test_background_group_badge_then_switch_shows_message_and_clears_badge(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (group_a, group_b) = _pair(
        desktop, server, users, sign_in, arun, wait_for, groups=("Alpha", "Beta")
    )
    bob.open_group(group_a)
    bob.activateWindow()
    alice.open_group(group_b)
    alice.bridge.send(group_b, "only in beta")

    wait_for(lambda: bob.groups.unread_of(group_b) == 1)
    assert bob.groups.unread_of(group_a) == 0
    wait_for(lambda: bob.windowTitle().startswith("(1) Alpha — "))
    assert "only in beta" not in bodies(bob)  # Alpha is on screen

    # Bob clicks Beta in the list.
    proxy = bob.groups.filter_model
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == "Beta")
    rect = bob.groups.list.visualRect(proxy.index(row, 0))
    qtbot.mouseClick(bob.groups.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    assert bob.current_group == group_b
    assert "only in beta" in bodies(bob)
    wait_for(lambda: bob.groups.unread_of(group_b) == 0)
    wait_for(lambda: not bob.windowTitle().startswith("("))
    assert bob.windowTitle().startswith("Beta — ")


def test_composer_enter_shift_enter_whitespace_and_drafts(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (one, two) = _pair(
        desktop, server, users, sign_in, arun, wait_for, groups=("One", "Two")
    )
    alice.open_group(one)
    edit = alice.chat.composer.edit
    send = alice.chat.composer.send_button

    qtbot.keyClicks(edit, "first line")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "second line")
    assert edit.toPlainText() == "first line\nsecond line"
    assert "first line\nsecond line" not in bodies(alice)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert "first line\nsecond line" in bodies(alice)
    wait_for(lambda: "first line\nsecond line" in bodies(bob) or bob.current_group != one)

    # Whitespace only: the button is disabled and Enter does nothing.
    rows_before = len(bodies(alice))
    qtbot.keyClicks(edit, "   ")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "  ")
    assert not send.isEnabled()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert len(bodies(alice)) == rows_before
    edit.clear()

    # Too long: refused with a visible count.
    edit.setPlainText("x" * 4001)
    assert not send.isEnabled()
    assert alice.chat.composer.count_label.isVisible()
    assert "4001 / 4000" in alice.chat.composer.count_label.text()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert len(bodies(alice)) == rows_before
    edit.clear()

    # Drafts survive switching groups, and are written to the profile.
    qtbot.keyClicks(edit, "draft for one")
    alice.open_group(two)
    assert alice.chat.composer.text() == ""
    qtbot.keyClicks(edit, "draft for two")
    alice.open_group(one)
    assert alice.chat.composer.text() == "draft for one"
    alice.open_group(two)
    assert alice.chat.composer.text() == "draft for two"
    assert alice.profile.ui["drafts"] == {str(one): "draft for one", str(two): "draft for two"}


def _ink_width(window: MainWindow, row: int) -> int:
    """How wide the painted body text of `row` is, in pixels, read off the screen."""
    view = window.chat.view
    model = view.model()
    assert model is not None
    index = model.index(row, 0)
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    body = view.itemDelegate().geometry(option, index).body  # type: ignore[attr-defined]
    image = view.viewport().grab().toImage()
    background = QColor(theme.colors().base)
    ratio = image.devicePixelRatio()
    rightmost = body.left()
    for y in range(body.top(), body.bottom()):
        for x in range(body.left(), min(body.right(), image.width() - 1)):
            pixel = image.pixelColor(int(x * ratio), int(y * ratio))
            if abs(pixel.lightness() - background.lightness()) > 60:
                rightmost = max(rightmost, x)
    return rightmost - body.left()


def _preview(window: MainWindow, group: int) -> object:
    model = window.bridge.groups
    return model.index(model.row_of(group) or 0, 0).data(GroupRoles.PREVIEW)


def test_markup_in_a_message_is_shown_literally(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (team,) = _pair(desktop, server, users, sign_in, arun, wait_for)
    body = '<b>x</b><img src="https://example.invalid/a.png">'
    alice.open_group(team)
    bob.open_group(team)
    alice.bridge.send(team, body)
    wait_for(lambda: body in bodies(bob))
    row = bodies(bob).index(body)
    assert bob.chat.view.model().index(row, 0).data(MessageRoles.BODY) == body  # type: ignore[union-attr]
    # Painted as text: the ink is as wide as the whole literal string, not one bold "x".
    advance = bob.chat.view.fontMetrics().horizontalAdvance(body)
    wait_for(
        lambda: _ink_width(bob, row) > 0.8 * min(advance, bob.chat.view.viewport().width() - 120)
    )
    # Copying the message gives back exactly what was sent.
    view = bob.chat.view
    view.setCurrentIndex(view.model().index(row, 0))  # type: ignore[union-attr]
    view.copy_selection()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == body
    # The group list's preview is literal too.
    wait_for(lambda: "<b>x</b>" in str(_preview(bob, team)))


def test_consecutive_messages_of_one_sender_share_one_header(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    from PySide6.QtWidgets import QStyleOptionViewItem

    from desktop_app.ui.timeline.message_delegate import MessageDelegate

    alice, bob, (team,) = _pair(desktop, server, users, sign_in, arun, wait_for)
    bob.open_group(team)
    for body in ("first of two", "second of two"):
        alice.bridge.send(team, body)
    wait_for(lambda: bodies(bob)[-2:] == ["first of two", "second of two"])
    bob.bridge.send(team, "bob answers")
    wait_for(lambda: bodies(bob)[-3:] == ["first of two", "second of two", "bob answers"])
    view = bob.chat.view
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    model = view.model()
    assert model is not None

    def has_header(row: int) -> bool:
        option = QStyleOptionViewItem()
        view.initViewItemOption(option)
        index = model.index(row, 0)
        option.rect = view.visualRect(index)
        return not delegate.geometry(option, index).header.isNull()

    last = model.rowCount() - 1
    assert [has_header(last - 2), has_header(last - 1), has_header(last)] == [True, False, True]
    # The first row of the day carries the "Today" separator.
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    assert not delegate.geometry(option, model.index(0, 0)).separator.isNull()


def test_the_senders_group_list_shows_their_own_last_message(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    alice, bob, (team,) = _pair(desktop, server, users, sign_in, arun, wait_for)
    alice.open_group(team)
    alice.bridge.send(team, "my own last word")
    wait_for(lambda: "my own last word" in bodies(bob))
    wait_for(lambda: "my own last word" in str(_preview(bob, team)))
    wait_for(lambda: "my own last word" in str(_preview(alice, team)), timeout=3)


def test_a_group_name_with_markup_is_shown_literally(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    name = "<i>Team</i> & <b>co</b>"
    _alice, bob, (team,) = _pair(desktop, server, users, sign_in, arun, wait_for, groups=(name,))
    bob.open_group(team)
    assert bob.chat.title.text() == name
    assert bob.chat.title.textFormat() == Qt.TextFormat.PlainText
    wait_for(lambda: bob.windowTitle().startswith(name + " — "))
