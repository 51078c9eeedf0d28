"""Read means seen: a message is read once its row was in view of an active, unminimised window."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication

from desktop_app.app import DesktopApp, sign_in_with_password
from desktop_app.models.bridge import SessionBridge
from desktop_app.settings import Profile
from desktop_app.ui.main_window import MainWindow
from tests.client.seed import seed_history
from tests.support.server import PASSWORD, ServerProcess, register, unique_name
from tests.support.session import FAST_SESSION
from tests.ui.helpers import bodies

UNREAD = 301
# Long enough for a read marker to have reached the server, had one been sent.
QUIET_SECONDS = 0.6


def _activate(window: MainWindow, wait_for: Callable[..., None]) -> None:
    window.showNormal()
    window.raise_()
    window.activateWindow()
    wait_for(lambda: window.isActiveWindow() and not window.isMinimized(), timeout=5)


def _idle(seconds: float = QUIET_SECONDS) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def _server_marker(window: MainWindow, group: int, arun: Callable[..., Any]) -> int:
    """bob's last_read_seq as the server keeps it."""
    return int(arun(window.bridge.session.rest.group(group)).last_read_seq)


def _pair(
    desktop: DesktopApp,
    url: str,
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
) -> tuple[MainWindow, MainWindow, int]:
    alice_name, bob_name = unique_name("rd"), unique_name("rd")
    register(url, alice_name)
    register(url, bob_name)
    alice = sign_in(desktop, url, alice_name)
    bob = sign_in(desktop, url, bob_name)
    group = arun(alice.bridge.create_group("Seen", [bob_name])).id
    wait_for(lambda: bob.bridge.groups.row_of(group) is not None)
    _activate(bob, wait_for)
    bob.open_group(group)
    return alice, bob, group


def test_a_message_in_a_minimised_or_unfocused_window_stays_unread_until_seen(
    desktop: DesktopApp,
    roomy_server: ServerProcess,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
) -> None:
    alice, bob, group = _pair(desktop, roomy_server.url, sign_in, arun, wait_for)

    bob.showMinimized()
    wait_for(bob.isMinimized)
    alice.bridge.send(group, "while minimised")
    wait_for(lambda: "while minimised" in bodies(bob))
    _idle()

    assert bob.bridge.groups.unread(group) == 1
    wait_for(lambda: bob.windowTitle().startswith("(1) "))
    assert _server_marker(bob, group, arun) == 0, "nobody saw it: the server must not count it"

    _activate(bob, wait_for)
    wait_for(lambda: bob.bridge.groups.unread(group) == 0)
    wait_for(lambda: _server_marker(bob, group, arun) == 1)
    wait_for(lambda: not bob.windowTitle().startswith("("))

    # Another window has the focus: bob's open group is not in front of him either.
    _activate(alice, wait_for)
    alice.bridge.send(group, "while alice's window has the focus")
    wait_for(lambda: "while alice's window has the focus" in bodies(bob))
    _idle()
    assert bob.bridge.groups.unread(group) == 1
    assert _server_marker(bob, group, arun) == 1

    _activate(bob, wait_for)
    wait_for(lambda: _server_marker(bob, group, arun) == 2)
    assert bob.bridge.groups.unread(group) == 0


def test_opening_a_group_with_301_unread_starts_at_a_new_messages_line_and_reads_as_scrolled(
    desktop: DesktopApp,
    roomy_server: ServerProcess,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
) -> None:
    alice_name, bob_name = unique_name("rd"), unique_name("rd")
    register(roomy_server.url, alice_name)
    register(roomy_server.url, bob_name)
    alice = sign_in(desktop, roomy_server.url, alice_name)
    group = arun(alice.bridge.create_group("Backlog", [bob_name])).id
    for i in range(5):
        alice.bridge.send(group, f"read before {i}")
    wait_for(lambda: alice.bridge.outbox_length == 0)
    bob = sign_in(desktop, roomy_server.url, bob_name)
    wait_for(lambda: bob.bridge.groups.row_of(group) is not None)
    _activate(bob, wait_for)
    bob.open_group(group)
    wait_for(lambda: _server_marker(bob, group, arun) == 5)
    bob.close()
    seed_history(roomy_server, group, alice.bridge.user.id, UNREAD)  # seqs 6 … 306

    bob = sign_in(desktop, roomy_server.url, bob_name)
    _activate(bob, wait_for)
    wait_for(lambda: bob.bridge.groups.unread(group) > 0)
    if bob.current_group != group:
        bob.open_group(group)
    view = bob.chat.view
    bar = view.verticalScrollBar()

    wait_for(lambda: view.divider_seq == 6, timeout=30)
    _idle(0.3)
    model = view.model()
    assert model is not None
    rows = [model.index(r, 0) for r in range(model.rowCount())]
    divider_row = next(i for i in rows if i.data() == "history 6")
    top = view.visualRect(divider_row).top()
    assert 0 <= top <= 4, f"the first unread message is at the top of the chat, not at {top}"
    assert bar.value() < bar.maximum(), "it does not jump to the bottom"
    groups = bob.bridge.groups
    wait_for(lambda: 0 < groups.unread(group) < UNREAD)
    # The server hears of the read in the background, after the count here dropped.
    wait_for(lambda: _server_marker(bob, group, arun) >= 6)
    marker = _server_marker(bob, group, arun)
    assert 6 <= marker < 30, "only what was in view is read"
    assert groups.unread(group) == 306 - marker
    assert view.new_messages_button.text() == f"{groups.unread(group)} new messages ↓"
    assert bob.windowTitle().startswith(f"({groups.unread(group)}) ")

    # Reading down to the end reads everything, and the server agrees.
    for _ in range(200):
        if groups.unread(group) == 0:
            break
        bar.setValue(bar.value() + view.viewport().height() // 2)
        _idle(0.05)
    wait_for(lambda: groups.unread(group) == 0)
    wait_for(lambda: _server_marker(bob, group, arun) == 306)
    assert not view.new_messages_button.isVisible()
    assert view.divider_seq == 6, "the line stays where the new messages began"


def test_new_messages_while_scrolled_up_stay_unread_here_and_on_the_other_device(
    desktop: DesktopApp,
    roomy_server: ServerProcess,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
) -> None:
    alice, bob, group = _pair(desktop, roomy_server.url, sign_in, arun, wait_for)
    for i in range(40):
        alice.bridge.send(group, f"earlier {i:02d} " + "words " * (i % 5))
    wait_for(lambda: alice.bridge.outbox_length == 0, timeout=30)
    view = bob.chat.view
    bar = view.verticalScrollBar()
    wait_for(lambda: "earlier 39" in " ".join(bodies(bob)))
    view.scroll_to_newest()  # a burst scrolls past faster than read: bob jumps to the end
    wait_for(lambda: bob.bridge.groups.unread(group) == 0)
    wait_for(lambda: _server_marker(bob, group, arun) == 40)
    signed = arun(sign_in_with_password(roomy_server.url, bob.bridge.user.username, PASSWORD))
    laptop = SessionBridge(
        roomy_server.url, signed.token, signed.user, Profile.load("bob-laptop"), **FAST_SESSION
    )
    arun(laptop.start())
    try:
        wait_for(lambda: laptop.groups.row_of(group) is not None)
        bar.setValue(bar.maximum() - 400)  # bob scrolls up to read something older
        _idle(0.2)
        assert not view.is_pinned

        for i in range(4):
            alice.bridge.send(group, f"new {i}")
        wait_for(lambda: laptop.groups.unread(group) == 4)
        wait_for(lambda: view.new_messages_button.text() == "4 new messages ↓")
        _idle()
        assert bob.bridge.groups.unread(group) == 4
        assert _server_marker(bob, group, arun) == 40
        assert laptop.groups.unread(group) == 4, "the other device keeps its badge"

        view.scroll_to_newest()
        wait_for(lambda: bob.bridge.groups.unread(group) == 0)
        wait_for(lambda: laptop.groups.unread(group) == 0)
        assert _server_marker(bob, group, arun) == 44
    finally:
        arun(laptop.stop())


def test_offline_the_chat_opens_at_the_oldest_unread_message_held_without_asking_again(
    desktop: DesktopApp,
    fresh_server: ServerProcess,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
) -> None:
    url = fresh_server.url
    alice_name, bob_name = unique_name("rd"), unique_name("rd")
    register(url, alice_name)
    register(url, bob_name)
    alice = sign_in(desktop, url, alice_name)
    backlog = arun(alice.bridge.create_group("Backlog", [bob_name])).id
    quiet = arun(alice.bridge.create_group("Quiet", [bob_name])).id
    seed_history(fresh_server, backlog, alice.bridge.user.id, 120)
    profile = Profile.load(f"p-{bob_name}")
    profile.ui["last_group"] = quiet  # bob left the app on the quiet group
    profile.save()
    bob = sign_in(desktop, url, bob_name)
    wait_for(lambda: bob.current_group == quiet)
    held = bob.bridge.session.timeline(backlog)
    wait_for(lambda: held.lo is not None and held.max_seq == 120)
    first_held = held.lo
    assert first_held is not None and first_held > 1, "only the newest page is held"
    fresh_server.stop()

    bob.open_group(backlog)  # the page with the first unread message cannot come now
    view = bob.chat.view
    wait_for(lambda: view.divider_seq == first_held)
    _idle(1.0)

    failed = [t for t in bob.bridge.journal.texts("error") if "older messages failed" in t]
    assert 1 <= len(failed) <= 2, f"asked {len(failed)} times for a page that cannot come"
    model = view.model()
    assert model is not None
    top = view.indexAt(view.viewport().rect().topLeft())
    assert top.data() == f"history {first_held}", "it shows from the oldest unread one held"
