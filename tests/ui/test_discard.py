"""Discarding a failed message gives its text back to the composer: nothing typed is lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from chat_protocol import limits
from desktop_app.app import DesktopApp
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.timeline.message_delegate import MessageDelegate
from tests.ui.helpers import bodies, shown_rows
from tests.ui.v2_helpers import UiKit

# The server refuses a body over the limit (422); the composer would not send it, the core does.
REFUSED_BODY = "A long reply I wrote with care.\nSecond line.\n" + "z" * limits.BODY_MAX


def _alice_in_a_group(
    desktop: DesktopApp,
    server: Any,
    users: Callable[[int], list[str]],
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
    names: tuple[str, ...] = ("Team",),
) -> tuple[MainWindow, list[int]]:
    alice_name, bob_name = users(2)
    alice = sign_in(desktop, server.url, alice_name)
    ids = [arun(alice.bridge.create_group(name, [bob_name])).id for name in names]
    wait_for(lambda: all(alice.bridge.groups.row_of(g) is not None for g in ids))
    alice.show()
    alice.activateWindow()
    wait_for(alice.isActiveWindow, timeout=5)
    return alice, ids


def _fail(alice: MainWindow, group: int, body: str, wait_for: Callable[..., None]) -> None:
    alice.bridge.send(group, body)
    wait_for(lambda: [r["state"] for r in shown_rows(alice) if r["body"] == body] == ["failed"])


def _click_discard(alice: MainWindow, body: str, qtbot: QtBot) -> None:
    """Click the red message's "Discard" link, where the user sees it."""
    view = alice.chat.view
    model = view.model()
    assert model is not None
    index = model.index(bodies(alice).index(body), 0)
    view.scrollTo(index)
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    discard = delegate.geometry(option, index).discard
    assert not discard.isNull()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=discard.center())


def test_discard_into_an_empty_composer_gives_the_text_back_with_caret_and_focus(ui: UiKit) -> None:
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    alice, (team,) = _alice_in_a_group(desktop, server, users, sign_in, arun, wait_for)
    alice.open_group(team)
    _fail(alice, team, REFUSED_BODY, wait_for)
    alice.chat.view.setFocus()  # the user's focus is on the chat, where the link is

    _click_discard(alice, REFUSED_BODY, qtbot)

    edit = alice.chat.composer.edit
    assert REFUSED_BODY not in bodies(alice)
    assert alice.chat.composer.text() == REFUSED_BODY
    assert edit.textCursor().position() == len(REFUSED_BODY)
    wait_for(lambda: QApplication.focusWidget() is edit, timeout=5)
    # Still too long: the composer says so rather than sending it again.
    assert not alice.chat.composer.send_button.isEnabled()
    assert "too long" in alice.chat.composer.count_label.text()
    assert alice.profile.ui["drafts"][str(team)] == REFUSED_BODY


def test_discard_appends_after_the_draft_never_over_it_and_undo_takes_it_out(ui: UiKit) -> None:
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    alice, (team,) = _alice_in_a_group(desktop, server, users, sign_in, arun, wait_for)
    alice.open_group(team)
    _fail(alice, team, REFUSED_BODY, wait_for)
    edit = alice.chat.composer.edit
    qtbot.keyClicks(edit, "a draft I am halfway through")

    _click_discard(alice, REFUSED_BODY, qtbot)

    expected = "a draft I am halfway through\n\n" + REFUSED_BODY
    assert alice.chat.composer.text() == expected
    assert edit.textCursor().position() == len(expected)
    wait_for(lambda: QApplication.focusWidget() is edit, timeout=5)
    assert alice.profile.ui["drafts"][str(team)] == expected
    # The failed row is gone and nothing else went with it.
    assert REFUSED_BODY not in bodies(alice)
    assert alice.bridge.outbox_length == 0

    qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert alice.chat.composer.text() == "a draft I am halfway through"


def test_a_draft_ending_in_a_newline_gets_just_one_more(ui: UiKit) -> None:
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    alice, (team,) = _alice_in_a_group(desktop, server, users, sign_in, arun, wait_for)
    alice.open_group(team)
    _fail(alice, team, REFUSED_BODY, wait_for)
    edit = alice.chat.composer.edit
    qtbot.keyClicks(edit, "first")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)

    _click_discard(alice, REFUSED_BODY, qtbot)

    assert alice.chat.composer.text() == "first\n\n" + REFUSED_BODY


def test_a_message_of_a_group_not_on_screen_goes_back_to_that_groups_draft(ui: UiKit) -> None:
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    alice, (one, two) = _alice_in_a_group(
        desktop, server, users, sign_in, arun, wait_for, ("One", "Two")
    )
    alice.open_group(one)
    qtbot.keyClicks(alice.chat.composer.edit, "draft in one")
    _fail(alice, one, REFUSED_BODY, wait_for)
    (item,) = alice.bridge.session.outbox.items()
    alice.open_group(two)
    qtbot.keyClicks(alice.chat.composer.edit, "draft in two")

    alice.chat.view.discard_requested.emit(item.client_msg_id)

    assert alice.chat.composer.text() == "draft in two"
    alice.open_group(one)
    assert alice.chat.composer.text() == "draft in one\n\n" + REFUSED_BODY
    assert REFUSED_BODY not in bodies(alice)
