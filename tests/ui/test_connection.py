"""The server goes away and comes back: the status bar says so, and nothing typed is lost."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.app import DesktopApp
from desktop_app.session.connection import PING_INTERVAL
from desktop_app.session.state import ConnState
from desktop_app.ui.dialogs.diagnostics import DiagnosticsWindow
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.status import describe
from tests.support.server import ServerProcess, register, unique_name
from tests.ui.helpers import bodies, screenshot, shown_rows
from tests.ui.v2_helpers import UiKit


def test_server_stops_status_walks_offline_reconnecting_then_live_and_typed_message_arrives(
    desktop: DesktopApp,
    fresh_server: ServerProcess,
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
    qtbot: QtBot,
) -> None:
    alice_name, bob_name = unique_name("ui"), unique_name("ui")
    register(fresh_server.url, alice_name)
    register(fresh_server.url, bob_name)
    alice = sign_in(desktop, fresh_server.url, alice_name)
    bob = sign_in(desktop, fresh_server.url, bob_name)
    team = arun(alice.bridge.create_group("Team", [bob_name])).id
    wait_for(lambda: bob.bridge.groups.row_of(team) is not None)
    alice.open_group(team)
    bob.open_group(team)
    wait_for(lambda: alice.status.state_text() == "● Live")
    assert alice.status.server_label.text() == fresh_server.url
    assert alice_name in alice.status.user_label.text()

    shown: list[str] = []
    alice.bridge.status_changed.connect(lambda _s: shown.append(alice.status.state_text()))

    fresh_server.stop()
    wait_for(lambda: alice.bridge.status.state is not ConnState.LIVE)
    wait_for(lambda: any("Reconnecting" in text for text in shown))
    # Pings while still live (before the socket saw the stop) repeat "● Live"; from the first
    # state that is not live on, nothing may claim live while the server is down.
    first_down = next(i for i, text in enumerate(shown) if text != "● Live")
    assert "● Live" not in shown[first_down:], shown

    # Typed while the server is down: shown pending at once.
    qtbot.keyClicks(alice.chat.composer.edit, "typed while down")
    qtbot.keyClick(alice.chat.composer.edit, Qt.Key.Key_Return)
    assert [r["state"] for r in shown_rows(alice) if r["body"] == "typed while down"] == ["pending"]

    fresh_server.start()
    wait_for(lambda: alice.status.state_text() == "● Live", timeout=30)
    wait_for(lambda: bob.status.state_text() == "● Live", timeout=30)
    wait_for(lambda: "typed while down" in bodies(bob), timeout=30)
    wait_for(
        lambda: (
            [r["state"] for r in shown_rows(alice) if r["body"] == "typed while down"] == ["sent"]
        )
    )
    assert bodies(bob).count("typed while down") == 1
    # The walk, in the words of the status bar.
    first_reconnect = next(i for i, t in enumerate(shown) if "Reconnecting" in t)
    assert "● Live" in shown[first_reconnect:]


def test_clicking_the_status_opens_diagnostics_with_the_journal(ui: UiKit) -> None:
    desktop, server, users, sign_in, arun, wait_for, qtbot = ui
    (alice_name,) = users(1)
    alice = sign_in(desktop, server.url, alice_name)
    team = arun(alice.bridge.create_group("Solo", [])).id
    wait_for(lambda: alice.bridge.groups.row_of(team) is not None)
    alice.open_group(team)
    wait_for(lambda: alice.bridge.status.state is ConnState.LIVE)
    qtbot.mouseClick(alice.status.state_button, Qt.MouseButton.LeftButton)
    diag = alice.findChild(DiagnosticsWindow) or alice._diagnostics
    assert isinstance(diag, DiagnosticsWindow)
    assert diag.isVisible()
    alice.bridge.send(team, "journal me")
    wait_for(lambda: "server_confirmed" in diag.shown_text())
    wait_for(lambda: diag._counter_labels["server_confirmed"].text() == "1")
    wait_for(lambda: diag.outbox_label.text() == "0")
    assert describe(alice.bridge.status) in diag.state_label.text()
    # Filtering narrows the journal to what matches.
    diag.filter_edit.setText("zzz-no-such-entry")
    assert diag.shown_text() == ""
    diag.filter_edit.clear()
    assert diag.shown_text() != ""
    diag.copy_all()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == diag.shown_text()
    # Esc closes it, like any tool window.
    diag.activateWindow()
    diag.setFocus()
    qtbot.keyClick(diag, Qt.Key.Key_Escape)
    wait_for(lambda: not diag.isVisible())


def test_a_hung_server_makes_the_status_bar_say_not_responding_not_live(
    desktop: DesktopApp,
    fresh_server: ServerProcess,
    sign_in: Callable[..., MainWindow],
    wait_for: Callable[..., None],
) -> None:
    name = unique_name("ui")
    register(fresh_server.url, name)
    # The app's own ping period (the suite's sessions ping every second).
    desktop.options = replace(
        desktop.options,
        session_options={**desktop.options.session_options, "ping_interval": PING_INTERVAL},
    )
    window = sign_in(desktop, fresh_server.url, name)
    wait_for(lambda: window.status.state_text() == "● Live")
    shown: list[str] = []
    window.bridge.status_changed.connect(lambda _s: shown.append(window.status.state_text()))
    assert fresh_server.proc is not None
    pid = fresh_server.proc.pid
    os.kill(pid, signal.SIGSTOP)  # hung: the socket stays open, nothing answers
    try:
        wait_for(lambda: "● Not responding…" in shown, timeout=20)
        first_down = next(i for i, text in enumerate(shown) if text != "● Live")
        assert shown[first_down] == "● Not responding…", shown
        assert "did not answer a ping" in window.status.state_button.toolTip()
        screenshot(window, "hung-not-responding")
        wait_for(lambda: window.status.state_text().startswith("● Reconnecting"), timeout=20)
        assert "● Live" not in shown[first_down:], shown
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_for(lambda: window.status.state_text() == "● Live", timeout=60)
