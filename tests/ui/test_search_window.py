"""Message search in the app against the real server: Ctrl+F searches the open group,
Ctrl+Shift+F every group; hits show group, sender, time and the marked words; scrolling
loads more; choosing a hit opens its group at the message (older history loaded) and
highlights it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_app.app import DesktopApp
from desktop_app.models.roles import MessageRoles
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.search.search_window import MESSAGE_ID_ROLE, HitWidget, SearchWindow
from desktop_app.ui.theme import DARK, ThemeChoice
from tests.client.seed import seed_history
from tests.support.server import ServerProcess, register, unique_name
from tests.ui.v2_helpers import row_data

HISTORY = 300


def hits(window: SearchWindow) -> list[HitWidget]:
    found = []
    for row in range(window.results.count()):
        widget = window.results.itemWidget(window.results.item(row))
        assert isinstance(widget, HitWidget)
        found.append(widget)
    return found


def press(window: MainWindow, keys: str) -> SearchWindow:
    """The search window the shortcut opened (the one open before is closed first, as a
    person goes back to the main window to press it)."""
    if window.search_window is not None:
        window.search_window.close()
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window)
    QTest.keySequence(window, keys)
    search = window.search_window
    assert search is not None
    return search


def test_search_finds_marks_pages_and_jumps(
    desktop: DesktopApp, roomy_server: ServerProcess, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    alice_name, bob_name = unique_name("sr"), unique_name("sr")
    register(roomy_server.url, alice_name)
    register(roomy_server.url, bob_name)
    alice = sign_in(desktop, roomy_server.url, alice_name)
    group = arun(alice.bridge.create_group("Needles", [bob_name])).id
    other = arun(alice.bridge.create_group("Haystack", [bob_name])).id
    alice.bridge.send(group, "the Nëedle is here")
    wait_for(lambda: alice.bridge.outbox_length == 0)
    alice.open_group(group)
    wait_for(lambda: row_data(alice, MessageRoles.ID)[-1:] not in ([], [None]))
    needle = row_data(alice, MessageRoles.ID)[-1]
    seed_history(roomy_server, group, alice.bridge.user.id, HISTORY)
    alice.bridge.send(other, "another needle elsewhere")
    wait_for(lambda: alice.bridge.outbox_length == 0)

    bob = sign_in(desktop, roomy_server.url, bob_name)
    wait_for(lambda: bob.bridge.groups.row_of(group) is not None)
    bob.show()
    bob.open_group(group)
    view = bob.chat.view
    wait_for(lambda: view.model() is not None and view.model().rowCount() > 0, timeout=20)
    assert needle not in row_data(bob, MessageRoles.ID)

    # Ctrl+F: the open group only
    in_group = press(bob, "Ctrl+F")
    assert in_group.group_id == group and "Needles" in in_group.windowTitle()
    in_group.search("NEEDL")
    wait_for(lambda: in_group.status.text() == "1 message", timeout=20)
    (hit,) = hits(in_group)
    assert alice_name in hit.header.text() or "Needles" not in hit.header.text()
    assert ">Nëedle</span>" in hit.body.text()  # the matched word is marked, accent kept
    desktop.set_theme(ThemeChoice.DARK)  # an open window follows the theme
    assert DARK.muted.name() in hit.header.styleSheet()
    assert DARK.selection.name() in hit.body.text()
    desktop.set_theme(ThemeChoice.LIGHT)

    # Ctrl+Shift+F: every group, newest first, each hit naming its group
    everywhere = press(bob, "Ctrl+Shift+F")
    assert everywhere is not in_group and everywhere.group_id is None
    everywhere.search("needle")
    wait_for(lambda: everywhere.status.text() == "2 messages", timeout=20)
    headers = [h.header.text() for h in hits(everywhere)]
    assert headers[0].startswith("Haystack · ") and headers[1].startswith("Needles · ")

    # a page at a time as the list scrolls
    everywhere.search("history")
    wait_for(lambda: everywhere.results.count() >= 20, timeout=20)
    first_page = everywhere.results.count()
    assert first_page < HISTORY
    for _ in range(3):
        shown = everywhere.results.count()
        bar = everywhere.results.verticalScrollBar()
        bar.setValue(bar.maximum())
        wait_for(lambda shown=shown: everywhere.results.count() > shown, timeout=20)
    assert everywhere.results.count() > first_page

    # choosing the first hit opens its group at the message and highlights it
    everywhere.search("needle")
    wait_for(lambda: everywhere.status.text() == "2 messages", timeout=20)
    bob.open_group(other)
    item = everywhere.results.item(1)
    assert item.data(MESSAGE_ID_ROLE) == needle
    everywhere.results.itemClicked.emit(item)
    assert bob.current_group == group
    wait_for(lambda: view.jumper.highlighted == needle, timeout=30)
    model = view.model()
    assert model is not None
    index = next(
        model.index(r, 0)
        for r in range(model.rowCount())
        if model.index(r, 0).data(MessageRoles.ID) == needle
    )
    assert view.viewport().rect().intersects(view.visualRect(index))
    wait_for(lambda: view.jumper.highlighted is None, timeout=5)


def test_a_search_with_no_hits_says_so(
    desktop: DesktopApp, roomy_server: ServerProcess, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    name = unique_name("sr")
    register(roomy_server.url, name)
    window = sign_in(desktop, roomy_server.url, name)
    arun(window.bridge.create_group("Quiet", []))
    window.show()
    search = press(window, "Ctrl+Shift+F")
    search.search('"NEAR( * -')
    wait_for(lambda: search.status.text() == "No messages found.", timeout=20)
    search.input.clear()
    QTest.keyClick(search.input, Qt.Key.Key_Return)
    assert search.status.text() == "" and search.results.count() == 0
    # Closing the main window closes its search window (left open, it would float over the
    # next window as an orphan whose hits belong to a closed session).
    window.close()
    assert not search.isVisible() and window.search_window is None
