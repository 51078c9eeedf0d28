"""The chat keeps the reader's place: new messages while scrolled up, older history at the top."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.app import DesktopApp, sign_in_with_password
from desktop_app.models.message_model import MessageRoles
from desktop_app.net.rest import RestClient
from desktop_app.ui.main_window import MainWindow
from tests.support.server import PASSWORD, ServerProcess, register, unique_name
from tests.ui.helpers import bodies

HISTORY = 260


def _top_row(window: MainWindow) -> tuple[int, int]:
    """(message id, y) of the row at the top edge of the chat."""
    view = window.chat.view
    index = view.indexAt(QPoint(10, 2))
    assert index.isValid()
    return int(index.data(MessageRoles.ID)), view.visualRect(index).top()


def _settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def _two(
    desktop: DesktopApp,
    url: str,
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
    history: int,
) -> tuple[MainWindow, MainWindow, int]:
    alice_name, bob_name = unique_name("ui"), unique_name("ui")
    register(url, alice_name)
    register(url, bob_name)
    alice = sign_in(desktop, url, alice_name)
    team = arun(alice.bridge.create_group("Long", [bob_name])).id
    wait_for(lambda: alice.bridge.groups.row_of(team) is not None)
    for i in range(history):
        alice.bridge.send(team, f"m{i:03d} " + "words " * (i % 7))
    wait_for(lambda: alice.bridge.outbox_length == 0, timeout=60)
    # Bob read the history elsewhere: the chat opens at the newest message.
    signed = arun(sign_in_with_password(url, bob_name, PASSWORD))
    rest = RestClient(url, signed.token)
    arun(rest.mark_read(team, history))
    arun(rest.aclose())
    bob = sign_in(desktop, url, bob_name)
    wait_for(lambda: bob.bridge.groups.row_of(team) is not None)
    bob.show()
    bob.activateWindow()
    wait_for(bob.isActiveWindow)
    bob.open_group(team)
    wait_for(lambda: len(bodies(bob)) > 0)
    # Qt's own model checker follows the chat's model for the rest of the test.
    bob.model_tester = QAbstractItemModelTester(  # type: ignore[attr-defined]
        bob.chat.view.model(), QAbstractItemModelTester.FailureReportingMode.Warning
    )
    return alice, bob, team


def _model_problems(qtlog: Any) -> list[str]:
    return [r.message for r in qtlog.records if "FAIL" in r.message]


def test_scrolled_up_new_message_does_not_move_the_view_and_shows_the_button(
    desktop: DesktopApp,
    roomy_server: ServerProcess,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
    qtlog: Any,
) -> None:
    alice, bob, team = _two(desktop, roomy_server.url, sign_in, arun, wait_for, history=40)
    view = bob.chat.view
    bar = view.verticalScrollBar()
    wait_for(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    assert view.is_pinned

    bar.setValue(bar.maximum() - 300)  # the reader scrolls up a little
    _settle()
    assert not view.is_pinned
    before_value = bar.value()
    before_top = _top_row(bob)
    count = len(bodies(bob))

    alice.bridge.send(team, "while you were reading")
    wait_for(lambda: len(bodies(bob)) == count + 1)
    _settle()

    assert bar.value() == before_value
    assert _top_row(bob) == before_top
    button = view.new_messages_button
    assert button.isVisible()
    assert button.text() == "1 new message ↓"

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    _settle()
    assert view.is_pinned
    assert bar.value() == bar.maximum()
    assert not button.isVisible()
    assert _model_problems(qtlog) == []

    # Pinned at the bottom, a new message keeps the newest in view.
    alice.bridge.send(team, "and another")
    wait_for(lambda: "and another" in bodies(bob))
    _settle()
    assert bar.value() == bar.maximum()
    assert not button.isVisible()
    assert _model_problems(qtlog) == []


def test_older_history_loads_at_the_top_without_moving_what_the_reader_sees(
    desktop: DesktopApp,
    roomy_server: ServerProcess,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
    qtlog: Any,
) -> None:
    _alice, bob, _team = _two(desktop, roomy_server.url, sign_in, arun, wait_for, history=HISTORY)
    view = bob.chat.view
    bar = view.verticalScrollBar()
    wait_for(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    first_count = len(bodies(bob))
    assert first_count < HISTORY  # one page, not everything

    loads = 0
    while not bodies(bob)[0].startswith("m000"):
        count = len(bodies(bob))
        bar.setValue(0)  # the reader reaches the top
        _settle()
        top_id, top_y = _top_row(bob)
        wait_for(lambda c=count: len(bodies(bob)) > c, timeout=20)  # type: ignore[misc]
        _settle()
        # The row the reader was looking at is still where it was.
        model = view.model()
        assert model is not None
        row = next(
            r for r in range(model.rowCount()) if model.index(r, 0).data(MessageRoles.ID) == top_id
        )
        assert view.visualRect(model.index(row, 0)).top() == top_y
        assert bar.value() > 0
        loads += 1
        assert loads < 20
    shown = [b.split()[0] for b in bodies(bob)]
    assert shown == [f"m{i:03d}" for i in range(HISTORY)]
    assert loads >= 2
    assert _model_problems(qtlog) == []


def test_a_flood_while_scrolled_up_is_held_and_revealed_as_the_reader_scrolls_down(
    desktop: DesktopApp,
    roomy_server: ServerProcess,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
    qtlog: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop_app.ui.timeline import tail_window

    monkeypatch.setattr(tail_window, "MAX_WINDOW_ROWS", 50)
    alice, bob, team = _two(desktop, roomy_server.url, sign_in, arun, wait_for, history=40)
    view = bob.chat.view
    bar = view.verticalScrollBar()
    wait_for(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    bar.setValue(bar.maximum() // 3)
    _settle()
    assert not view.is_pinned
    before = (bar.value(), _top_row(bob))

    for i in range(80):
        alice.bridge.send(team, f"flood {i:02d}")
    wait_for(lambda: view.new_message_count == 80, timeout=30)
    _settle()
    window = view.window_model
    assert window is not None
    assert window.rowCount() <= 50  # held beyond the cap: no layout of rows nobody sees yet
    assert (bar.value(), _top_row(bob)) == before
    assert view.new_messages_button.text() == "80 new messages ↓"

    # The reader scrolls down; the held rows join as they come near, in order.
    for _ in range(40):
        if view.is_pinned:
            break
        bar.setValue(bar.maximum())
        _settle()
    assert view.is_pinned
    assert bodies(bob)[-1] == "flood 79"
    floods = [b for b in bodies(bob) if b.startswith("flood")]
    assert floods == sorted(floods)
    assert _model_problems(qtlog) == []
