"""Mentions and mute in the desktop app against a real server (issue 12): `@` completion in
the composer, mentions highlighted in the timeline, a muted group's grey badge and silence
except for a mention, and the mute setting following the user to their other windows."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from chat_protocol.models import Group
from desktop_app.app import DesktopApp, sign_in_with_password
from desktop_app.models.group_list_model import GroupRoles
from desktop_app.models.message_model import MessageRoles
from desktop_app.session.mentions import MentionSpan
from desktop_app.settings import Profile
from desktop_app.ui import theme
from desktop_app.ui.composer.mention_completer import Candidate, matches, typed_token
from desktop_app.ui.groups.badges import count_color
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.timeline.mention_marks import mention_colors
from tests.support.server import PASSWORD
from tests.ui.helpers import bodies, post
from tests.ui.test_messaging import _pair as messaging_pair


def _pair(
    desktop: DesktopApp,
    server: Any,
    users: Callable[[int], list[str]],
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
    names: tuple[str, ...] = ("Team",),
) -> tuple[MainWindow, MainWindow, list[int]]:
    """Alice and bob in groups `names` (test_messaging's pair), their members known."""
    alice, bob, ids = messaging_pair(desktop, server, users, sign_in, arun, wait_for, names)
    for window in (alice, bob):
        for gid in ids:
            wait_for(lambda w=window, g=gid: len(w.bridge.session.members(g)) == 2)
    return alice, bob, ids


def _activate(window: MainWindow, wait_for: Callable[..., None]) -> None:
    window.show()
    window.raise_()
    window.activateWindow()
    window.chat.composer.edit.setFocus()
    wait_for(window.isActiveWindow, timeout=5)


def _group_data(window: MainWindow, group_id: int, role: int) -> Any:
    model = window.bridge.groups
    row = model.row_of(group_id)
    assert row is not None
    return model.index(row, 0).data(role)


def _menu_action(menu: QMenu, text: str) -> Any:
    return next(a for a in menu.actions() if a.text() == text)


def test_typing_at_completes_a_member_and_enter_then_sends(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (team,) = _pair(desktop, server, users, sign_in, arun, wait_for)
    bob.open_group(team)
    _activate(bob, wait_for)
    composer = bob.chat.composer
    completer = composer.mentions
    alice_name = alice.bridge.user.username
    qtbot.keyClicks(composer.edit, "hey @" + alice_name[:4])
    wait_for(completer.is_open)
    assert completer.shown() == [alice_name], "only the others: bob is not offered to himself"
    # Esc closes the list and leaves the text; typing opens it again.
    qtbot.keyClick(composer.edit, Qt.Key.Key_Escape)
    assert not completer.is_open() and composer.text() == "hey @" + alice_name[:4]
    qtbot.keyClicks(composer.edit, alice_name[4:6])
    wait_for(completer.is_open)
    qtbot.keyClick(composer.edit, Qt.Key.Key_Down)
    qtbot.keyClick(composer.edit, Qt.Key.Key_Up)
    assert composer.edit.hasFocus()
    qtbot.keyClick(composer.edit, Qt.Key.Key_Tab)
    assert composer.text() == f"hey @{alice_name} "
    assert composer.edit.hasFocus(), "Tab took the suggestion, it did not move the focus"
    assert not completer.is_open()
    assert bodies(bob) == [], "Tab completed; nothing was sent"
    # The list is closed: Enter sends as ever.
    qtbot.keyClicks(composer.edit, "look")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    wait_for(lambda: f"hey @{alice_name} look" in bodies(alice))
    assert composer.text() == ""
    # Enter accepts a suggestion while the list is open, instead of sending.
    qtbot.keyClicks(composer.edit, "@" + alice_name[:5])
    wait_for(completer.is_open)
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert composer.text() == f"@{alice_name} "
    assert bodies(bob).count(f"hey @{alice_name} look") == 1 and len(bodies(bob)) == 1
    # A click on a suggestion takes it too; the list sits above the caret.
    composer.edit.clear()
    qtbot.keyClicks(composer.edit, "@")
    wait_for(completer.is_open)
    caret = composer.edit.viewport().mapToGlobal(composer.edit.cursorRect().topLeft())
    assert completer.popup.geometry().bottom() < caret.y()
    item = completer.popup.item(0)
    qtbot.mouseClick(
        completer.popup.viewport(),
        Qt.MouseButton.LeftButton,
        pos=completer.popup.visualItemRect(item).center(),
    )
    assert composer.text() == f"@{alice_name} " and not completer.is_open()


def test_completion_rules() -> None:
    people = [Candidate("bob", "Robert Smith"), Candidate("bobby", "B"), Candidate("ann", "Bo Li")]
    assert [c.username for c in matches(people, "bo")] == ["bob", "bobby", "ann"]
    assert [c.username for c in matches(people, "SMI")] == ["bob"]
    assert matches(people, "zed") == []
    assert typed_token("hi @bo") == (3, "bo")
    assert typed_token("@") == (0, "")
    assert typed_token("mail me at a@bo") is None, "an @ inside a word starts no mention"
    assert typed_token("@bob done") is None


def test_mentions_are_highlighted_stronger_for_me(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (team,) = _pair(desktop, server, users, sign_in, arun, wait_for)
    bob.open_group(team)
    _activate(bob, wait_for)
    me, other = bob.bridge.user, alice.bridge.user
    body = f"😀 @{me.username} and @{other.username}, and mail@{me.username}"
    arun(post(server.url, alice.bridge.session.rest.token, team, body))
    wait_for(lambda: body in bodies(bob))
    model = bob.chat.view.model()
    assert model is not None
    index = model.index(model.rowCount() - 1, 0)
    spans = index.data(MessageRoles.MENTIONS)
    start_me = body.index("@" + me.username)
    start_other = body.index("@" + other.username)
    assert spans == [
        MentionSpan(start_me, start_me + 1 + len(me.username), me.id, True),
        MentionSpan(start_other, start_other + 1 + len(other.username), other.id, False),
    ]
    # On screen: the background behind the mention of bob is the strong tint.
    bob.chat.view.viewport().update()
    wait_for(lambda: _has_color(_grab(bob), _over_base(mention_colors(theme.colors(), True)[0])))
    assert _has_color(_grab(bob), _over_base(mention_colors(theme.colors(), False)[0]))


def _grab(window: MainWindow) -> QImage:
    return window.chat.view.viewport().grab().toImage()


def _over_base(tint: QColor) -> QColor:
    """The colour a translucent tint shows over the chat's background."""
    base = theme.colors().base
    a = tint.alphaF()
    return QColor(
        round(tint.red() * a + base.red() * (1 - a)),
        round(tint.green() * a + base.green() * (1 - a)),
        round(tint.blue() * a + base.blue() * (1 - a)),
    )


def _has_color(image: QImage, color: QColor, tolerance: int = 3) -> bool:
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - color.red()) <= tolerance
                and abs(pixel.green() - color.green()) <= tolerance
                and abs(pixel.blue() - color.blue()) <= tolerance
            ):
                return True
    return False


def test_a_muted_group_is_silent_and_grey_except_for_a_mention(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (front, back) = _pair(
        desktop, server, users, sign_in, arun, wait_for, ("Front", "Back")
    )
    bob.open_group(front)
    alice.open_group(back)
    menu = bob.groups.context_menu(back)
    _menu_action(menu, "Mute").trigger()
    wait_for(lambda: _group_data(bob, back, GroupRoles.MUTED) is True)
    assert _menu_action(bob.groups.context_menu(back), "Unmute") is not None
    token = alice.bridge.session.rest.token
    arun(post(server.url, token, back, "nobody in particular"))
    arun(post(server.url, token, back, f"@{bob.bridge.user.username} look here"))
    wait_for(lambda: any(text.endswith("look here") for _t, text in desktop.notifier.shown))
    texts = [text for _t, text in desktop.notifier.shown]
    assert "nobody in particular" not in texts
    title = next(t for t, text in desktop.notifier.shown if text.endswith("look here"))
    assert title == f"{alice.bridge.user.display_name} mentioned you in Back"
    wait_for(lambda: _group_data(bob, back, GroupRoles.UNREAD) == 2)
    assert _group_data(bob, back, GroupRoles.UNREAD_MENTION) is True
    c = theme.colors()
    assert count_color(c, muted=True) == c.muted and count_color(c, muted=False) == c.accent
    # Unmuted again, a plain message notifies as before.
    _menu_action(bob.groups.context_menu(back), "Unmute").trigger()
    wait_for(lambda: _group_data(bob, back, GroupRoles.MUTED) is False)
    arun(post(server.url, token, back, "back to normal"))
    wait_for(lambda: any(text == "back to normal" for _t, text in desktop.notifier.shown))
    # Reading the group clears the @ marker.
    bob.open_group(back)
    _activate(bob, wait_for)
    wait_for(lambda: _group_data(bob, back, GroupRoles.UNREAD) == 0)
    assert _group_data(bob, back, GroupRoles.UNREAD_MENTION) is False


def test_mute_in_one_window_shows_in_another_of_the_same_user(
    desktop: DesktopApp,
    server: Any,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    alice, bob, (team,) = _pair(desktop, server, users, sign_in, arun, wait_for)
    # A second session of bob (another device): a profile and a token of its own.
    signed = arun(sign_in_with_password(server.url, bob.bridge.user.username, PASSWORD))
    other = desktop.open_window(Profile.load("bob-elsewhere"), signed)
    assert other.bridge is not bob.bridge
    wait_for(lambda: other.bridge.groups.row_of(team) is not None)
    wait_for(lambda: other.status.state_text() == "● Live" and bob.status.state_text() == "● Live")
    _menu_action(bob.groups.context_menu(team), "Mute").trigger()
    wait_for(lambda: _group_data(other, team, GroupRoles.MUTED) is True)
    assert _group_data(bob, team, GroupRoles.MUTED) is True
    assert _group_data(alice, team, GroupRoles.MUTED) is False, "her own setting"
    _menu_action(other.groups.context_menu(team), "Unmute").trigger()
    wait_for(lambda: _group_data(bob, team, GroupRoles.MUTED) is False)
    # A refusal is told, not swallowed (here: a group that is not bob's).
    with qtbot.waitSignal(bob.bridge.intent_failed, timeout=10_000) as refused:
        bob.bridge.request_mute(987_654_321, True)
    assert refused.args[:2] == [987_654_321, "mute"]
    # The setting is kept in the local cache: a restart shows it before the server answers.
    _menu_action(other.groups.context_menu(team), "Mute").trigger()
    wait_for(lambda: _group_data(other, team, GroupRoles.MUTED) is True)
    other.bridge.session.flush_cache()
    path = other.bridge.session.cache.path
    db = sqlite3.connect(path)
    try:
        (payload,) = db.execute("SELECT payload FROM groups WHERE group_id = ?", (team,)).fetchone()
    finally:
        db.close()
    assert Group.model_validate_json(payload).muted is True
