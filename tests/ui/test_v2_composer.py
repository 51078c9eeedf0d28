"""Editing and replying from the composer: Up edits one's last message, Esc gives the draft
back, Ctrl+R replies; what the other member then sees (edited, quote, deleted, reactions)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from desktop_app.models.roles import MessageRoles
from desktop_app.session.extras import Ticks
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.timeline import message_extras as mx
from desktop_app.ui.timeline import message_menu
from tests.ui.helpers import bodies
from tests.ui.v2_helpers import UiKit, answer_modal, pair, row_data, row_of_body


def _type(qtbot: QtBot, window: MainWindow, text: str) -> None:
    qtbot.keyClicks(window.chat.composer.edit, text)
    qtbot.keyClick(window.chat.composer.edit, Qt.Key.Key_Return)


def test_up_edits_the_last_message_esc_gives_the_draft_back_and_bob_sees_edited(ui: UiKit) -> None:
    _, _, _, _, arun, wait_for, qtbot = ui
    alice, bob, _gid = pair(ui)
    composer = alice.chat.composer
    _type(qtbot, alice, "helo wrld")
    wait_for(lambda: "helo wrld" in bodies(bob))
    # Up in an empty composer: the last message comes up for editing, under an "Editing" bar.
    qtbot.keyClick(composer.edit, Qt.Key.Key_Up)
    assert composer.editing is not None
    assert composer.mode_bar.isVisible() and composer.mode_bar.title.text() == "Editing"
    assert composer.text() == "helo wrld"
    # Esc cancels and the composer is empty again (it was, before Up).
    alice.showNormal()
    alice.activateWindow()
    wait_for(alice.isActiveWindow, timeout=5)
    qtbot.keyClick(composer.edit, Qt.Key.Key_Escape)
    assert composer.editing is None and not composer.mode_bar.isVisible()
    assert composer.text() == ""
    # A draft survives an edit, even one given up by switching groups.
    qtbot.keyClicks(composer.edit, "draft")
    message_menu.edit_last_own(alice.chat.view)
    other = arun(alice.bridge.create_group("Other", [])).id
    wait_for(lambda: alice.bridge.groups.row_of(other) is not None)
    alice.open_group(other)
    alice.open_group(_gid)
    assert composer.text() == "draft" and composer.editing is None
    message_menu.edit_last_own(alice.chat.view)
    assert composer.text() == "helo wrld"
    composer.edit.selectAll()
    _type(qtbot, alice, "hello world")
    assert composer.text() == "draft"
    wait_for(lambda: "hello world" in bodies(bob), timeout=10)
    row = row_of_body(bob, "hello world")
    assert row is not None
    assert row_data(bob, MessageRoles.EDITED_AT)[row] is not None
    assert "helo wrld" not in bodies(alice)


def test_reply_shows_a_quote_delete_leaves_a_tombstone_and_reactions_toggle(ui: UiKit) -> None:
    _, _, _, _, _, wait_for, qtbot = ui
    alice, bob, _gid = pair(ui)
    _type(qtbot, bob, "lunch at noon?")
    wait_for(lambda: "lunch at noon?" in bodies(alice))
    wait_for(lambda: row_data(alice, MessageRoles.ID)[-1] is not None)
    # Ctrl+R replies to the newest message: the composer says to whom.
    composer = alice.chat.composer
    alice.showNormal()
    alice.activateWindow()
    wait_for(alice.isActiveWindow, timeout=5)
    qtbot.keyClick(composer.edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert composer.replying is not None
    assert composer.mode_bar.title.text().startswith("Reply to ")
    _type(qtbot, alice, "yes!")
    assert composer.replying is None and not composer.mode_bar.isVisible()
    wait_for(lambda: "yes!" in bodies(bob), timeout=10)
    quote = row_data(bob, MessageRoles.REPLY_TO)[row_of_body(bob, "yes!") or 0]
    assert quote is not None and quote.excerpt == "lunch at noon?"
    # A reaction from bob, shown to alice as a chip with bob's name; alice's click adds hers.
    original = row_data(bob, MessageRoles.ID)[row_of_body(bob, "yes!") or 0]
    bob.chat.view.reaction_toggled.emit(original, "👍", True)
    wait_for(lambda: bool(row_data(alice, MessageRoles.REACTIONS)[-1]), timeout=10)
    chip = row_data(alice, MessageRoles.REACTIONS)[-1][0]
    assert chip.emoji == "👍" and chip.count == 1 and not chip.mine
    assert bob.bridge.user.display_name in mx.chip_tooltip(chip)
    # alice clicks the chip: her 👍 joins bob's, highlighted as hers; a second click takes it back.
    alice.show()
    view = alice.chat.view
    view.scroll_to_newest()

    def chip_center() -> QPoint:
        model = view.model()
        assert model is not None
        index = model.index(model.rowCount() - 1, 0)
        option = QStyleOptionViewItem()
        view.initViewItemOption(option)
        option.rect = view.visualRect(index)
        return view.itemDelegate().geometry(option, index).chips[0].center()

    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=chip_center())
    wait_for(
        lambda: [c.count for c in row_data(bob, MessageRoles.REACTIONS)[-1]] == [2], timeout=10
    )
    wait_for(lambda: row_data(alice, MessageRoles.REACTIONS)[-1][0].mine, timeout=10)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=chip_center())
    wait_for(
        lambda: [c.count for c in row_data(bob, MessageRoles.REACTIONS)[-1]] == [1], timeout=10
    )
    # Deleting asks first; everyone then sees a tombstone in its place.
    answer_modal("Delete")
    message_menu.confirm_delete(alice.chat.view, original, "")
    wait_for(lambda: row_data(bob, MessageRoles.DELETED)[-1] is True, timeout=10)


def test_own_message_shows_one_tick_then_two_once_bob_has_read_it(ui: UiKit) -> None:
    _, _, _, _, _, wait_for, qtbot = ui
    alice, bob, gid = pair(ui)
    bob.close_group()
    _type(qtbot, alice, "did you see this?")
    wait_for(lambda: row_data(alice, MessageRoles.ID)[-1] is not None, timeout=10)
    wait_for(lambda: row_data(alice, MessageRoles.TICKS)[-1] == Ticks.ONE, timeout=10)
    bob.open_group(gid)
    bob.showNormal()
    bob.raise_()
    bob.activateWindow()
    wait_for(lambda: row_data(alice, MessageRoles.TICKS)[-1] == Ticks.TWO, timeout=10)
    model = alice.chat.view.model()
    assert model is not None
    extras = mx.extras_of(model.index(model.rowCount() - 1, 0))
    assert mx.ticks_tooltip(extras) == f"Read by everyone: {bob.bridge.user.display_name}"


def test_message_menu_offers_reply_edit_delete_and_reactions_and_the_hover_button_opens_them(
    ui: UiKit,
) -> None:
    _, _, _, _, _, wait_for, qtbot = ui
    alice, bob, _gid = pair(ui)
    alice.show()
    _type(qtbot, bob, "from bob")
    wait_for(lambda: "from bob" in bodies(alice))
    _type(qtbot, alice, "from alice")
    wait_for(lambda: None not in row_data(alice, MessageRoles.ID)[-2:])
    view = alice.chat.view
    model = view.model()
    assert model is not None

    def texts(row: int) -> list[str]:
        menu = message_menu.context_menu(view, model.index(row, 0))
        actions = [a.text() for a in menu.actions() if not a.isSeparator() and a.text()]
        emoji = [b.text() for b in message_menu.reaction_buttons(menu)]
        return actions[1:] + emoji  # after Copy text

    own, other = model.rowCount() - 1, model.rowCount() - 2
    assert texts(own) == ["Reply", "Edit", "Delete…", *message_menu.REACTION_CHOICES]
    assert texts(other) == ["Reply", *message_menu.REACTION_CHOICES]
    # A click on a reaction button of the menu reacts with it.
    menu = message_menu.context_menu(view, model.index(other, 0))
    other_id = model.index(other, 0).data(MessageRoles.ID)
    with qtbot.waitSignal(view.reaction_toggled) as reacted:
        message_menu.reaction_buttons(menu)[1].click()
    assert reacted.args == [other_id, message_menu.REACTION_CHOICES[1], True]
    # Hovering a stored message shows the reactions button; a click there opens the picker.
    rect = view.visualRect(model.index(other, 0))
    # From elsewhere first: a move to where the pointer already is sends no event (an
    # earlier test may have left it there).
    qtbot.mouseMove(view.viewport(), rect.topLeft() + QPoint(1, 1))
    qtbot.mouseMove(view.viewport(), rect.center())
    wait_for(lambda: view.itemDelegate().hovered_row == other)
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = rect
    geo = view.itemDelegate().geometry(option, model.index(other, 0))
    assert (
        view.itemDelegate().link_at(
            option, model.index(other, 0), QPointF(geo.react_button.center())
        )
        == "react"
    )
