"""Diagnostics that explain: attempts counted once, what failed and when, whole journal lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from desktop_app.app import DesktopApp
from desktop_app.session.state import ConnState
from desktop_app.ui.main_window import MainWindow
from tests.support.server import ServerProcess, register, unique_name

ATTEMPTS = 4


def test_a_stopped_server_is_explained_with_attempts_counted_once_and_the_time(
    desktop: DesktopApp,
    fresh_server: ServerProcess,
    sign_in: Callable[..., MainWindow],
    wait_for: Callable[..., None],
) -> None:
    name = unique_name("dg")
    register(fresh_server.url, name)
    window = sign_in(desktop, fresh_server.url, name)
    wait_for(lambda: window.bridge.status.state is ConnState.LIVE)
    window.show_diagnostics()
    diag = window._diagnostics
    assert diag is not None

    fresh_server.stop()
    wait_for(lambda: window.bridge.status.attempt >= ATTEMPTS, timeout=30)
    diag._refresh_numbers()
    # Read together, with no event in between: the counter and the status bar agree.
    status = window.bridge.status
    counted = int(diag._counter_labels["reconnect_attempt"].text())
    # "attempt 4, next try in 0.3 s" means three were made; "attempt 4" alone, four.
    made = status.attempt - 1 if status.retry_in is not None else status.attempt
    assert counted == made, f"{counted} attempts counted while the status says {status.describe()}"

    error = diag.error_label.text()
    assert "connection refused" in error, error
    assert re.search(r" — at \d\d:\d\d:\d\d$", error), error


def test_a_long_journal_line_wraps_instead_of_being_cut_off(
    desktop: DesktopApp,
    server: ServerProcess,
    sign_in: Callable[..., MainWindow],
    wait_for: Callable[..., None],
    qapp: Any,
) -> None:
    name = unique_name("dg")
    register(server.url, name)
    window = sign_in(desktop, server.url, name)
    window.show_diagnostics()
    diag = window._diagnostics
    assert diag is not None
    diag.resize(700, 500)
    sentence = "The end of this sentence is what matters: " + "detail " * 80 + "THE END."
    window.bridge.journal.record("error", sentence)
    wait_for(lambda: "THE END." in diag.shown_text())
    qapp.processEvents()

    assert diag.log.horizontalScrollBar().maximum() == 0, "no part of a line is out of sight"
    last_block = diag.log.document().lastBlock()
    assert last_block.layout().lineCount() > 1, "the long line wraps"
