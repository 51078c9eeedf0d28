"""Fixtures for the desktop UI tests: a qasync loop in pytest-qt, the real app, real servers.

`qloop`      qasync.QEventLoop(qapp, already_running=True) (one per run), as the running loop.
`wait_for`   `wait_for(predicate, timeout=15)` — qtbot.waitUntil on a real bool.
`arun`       run a coroutine on the loop and return its result.
`desktop`    a DesktopApp with fast reconnects, DESKTOP_APP_HOME in a temp dir; shut down after.
`sign_in`    `sign_in(desktop, url, username, password) -> MainWindow`: a window of its own
             profile, exactly as the sign-in dialog would leave it.
`ui`         the fixtures most tests take (desktop … qtbot) as one `UiKit` (v2_helpers).
`roomy_server` a module's server that lets one user post a long history quickly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QDeadlineTimer

from desktop_app.app import AppOptions, DesktopApp, make_qapplication, sign_in_with_password
from desktop_app.settings import Profile
from desktop_app.ui.dialogs.sign_in import remember_user
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import ThemeChoice
from tests.support.qt_fixtures import stopped_default_executor
from tests.support.server import PASSWORD, ServerProcess, register, unique_name
from tests.support.session import FAST_SESSION
from tests.ui.v2_helpers import UiKit

T = TypeVar("T")

TEARDOWN_MS = 3000


@pytest.fixture(scope="session")
def qapp_cls() -> type:
    from PySide6.QtWidgets import QApplication

    return QApplication


@pytest.fixture(scope="session")
def _session_loop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    make_qapplication()
    # One loop per run: a second QEventLoop on the same QApplication is not driven.
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    with stopped_default_executor(loop):
        yield loop
    asyncio.set_event_loop(None)


@pytest.fixture
def qloop(_session_loop: qasync.QEventLoop) -> Iterator[qasync.QEventLoop]:
    loop = _session_loop
    asyncio.set_event_loop(loop)
    before = set(asyncio.all_tasks(loop))
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done() and t not in before]
    for task in pending:
        task.cancel()
    timer = QDeadlineTimer(TEARDOWN_MS)
    while any(not t.done() for t in pending) and not timer.hasExpired():
        QCoreApplication.processEvents()


@pytest.fixture
def desktop(
    qapp: Any, qloop: qasync.QEventLoop, app_home: Path, arun: Callable[..., Any]
) -> Iterator[DesktopApp]:
    app = DesktopApp(qapp, AppOptions(theme=ThemeChoice.LIGHT, session_options=FAST_SESSION))
    yield app
    arun(app.shutdown(), timeout=20)
    app.deleteLater()


@pytest.fixture
def sign_in(arun: Callable[..., Any]) -> Callable[..., MainWindow]:
    def open_window(
        app: DesktopApp, url: str, username: str, password: str = PASSWORD
    ) -> MainWindow:
        signed = arun(sign_in_with_password(url, username, password))
        profile = Profile.load(f"p-{username}")
        remember_user(profile, signed)
        window = app.open_window(profile, signed)
        window.resize(900, 640)
        return window

    return open_window


@pytest.fixture(scope="module")
def roomy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server that lets one user post a long history quickly."""
    proc = ServerProcess(tmp_path_factory.mktemp("roomy"), args=["--send-burst", "2000"])
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def ui(request: pytest.FixtureRequest) -> UiKit:
    """`desktop`, `server`, `users`, `sign_in`, `arun`, `wait_for` and `qtbot` as one."""
    return UiKit(*(request.getfixturevalue(name) for name in UiKit._fields))


@pytest.fixture
def users(server: Any) -> Callable[[int], list[str]]:
    """`users(n)`: n fresh usernames registered on the module's server."""

    def make(n: int) -> list[str]:
        names = [unique_name("ui") for _ in range(n)]
        for name in names:
            register(server.url, name)
        return names

    return make
