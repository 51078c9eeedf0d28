"""Fixtures for Qt + asyncio client tests: a qasync loop inside pytest-qt, and signed-in bridges.

Reusable by other suites (`from tests.client.conftest import *` or copy):

`qloop`        qasync.QEventLoop(qapp, already_running=True), installed as the running loop;
               tasks progress whenever Qt processes events (qtbot.waitUntil / waitSignal).
               At teardown every task still pending on it is cancelled.
`arun`         `arun(coro, timeout=15.0)`: run a coroutine on qloop and return its result
               (spins Qt with qtbot.waitUntil until the task is done).
`wait_for`     `wait_for(predicate, timeout=15.0)`: qtbot.waitUntil for a predicate returning
               a real bool (a None would count as success in pytest-qt).
`app_home`     DESKTOP_APP_HOME pointed at a temp dir, so profiles never touch the real ones.
`make_bridge`  (with CLIENT_JOURNAL_DUMP=1 and pytest -s, prints each bridge's journal)
               `await`-free factory: `make_bridge(url, auth, profile="p1", **options)` -> a
               started SessionBridge with fast reconnect/retry settings; stopped at teardown.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QDeadlineTimer

from chat_protocol.models import User
from desktop_app.models.bridge import SessionBridge
from desktop_app.settings import Profile
from tests.client.v2 import ClientKit
from tests.support.qt_fixtures import stopped_default_executor
from tests.support.session import FAST_SESSION

T = TypeVar("T")

JOURNAL_DUMP_ENV = "CLIENT_JOURNAL_DUMP"  # set it and run pytest -s to read each test's story
TEARDOWN_MS = 3000


@pytest.fixture(scope="session")
def _session_loop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    # One loop for the whole run: a second QEventLoop on the same QApplication after the
    # first was stopped does not get its callbacks run (stop() calls app.exit()).
    loop = qasync.QEventLoop(qapp, already_running=True)
    # The constructor marks it as the thread's running loop; that is done per test below,
    # so suites using pytest-asyncio (which refuses a running loop) are not disturbed.
    asyncio.events._set_running_loop(None)
    with stopped_default_executor(loop):
        yield loop


@pytest.fixture
def qloop(_session_loop: qasync.QEventLoop) -> Iterator[qasync.QEventLoop]:
    loop = _session_loop
    asyncio.events._set_running_loop(loop)
    asyncio.set_event_loop(loop)
    before = set(asyncio.all_tasks(loop))
    try:
        yield loop
    finally:
        # Cancel what this test left running and let the cancellations run (Qt must spin).
        pending = [t for t in asyncio.all_tasks(loop) if not t.done() and t not in before]
        for task in pending:
            task.cancel()
        timer = QDeadlineTimer(TEARDOWN_MS)
        while any(not t.done() for t in pending) and not timer.hasExpired():
            QCoreApplication.processEvents()
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)


@pytest.fixture
def kit(request: pytest.FixtureRequest) -> ClientKit:
    """`server`, `register`, `make_bridge` and `wait_for` as one (tests/client/v2.py)."""
    return ClientKit(*(request.getfixturevalue(name) for name in ClientKit._fields))


@pytest.fixture
def fresh_kit(request: pytest.FixtureRequest) -> ClientKit:
    """`kit` on a server of the test's own (`fresh_server`)."""
    names = ("fresh_server", *ClientKit._fields[1:])
    return ClientKit(*(request.getfixturevalue(name) for name in names))


@pytest.fixture
def make_bridge(
    app_home: Path, arun: Callable[..., Any], qloop: qasync.QEventLoop
) -> Iterator[Callable[..., SessionBridge]]:
    bridges: list[SessionBridge] = []

    def make(
        url: str, auth: tuple[dict[str, Any], str], profile: str = "p1", **options: Any
    ) -> SessionBridge:
        user_dict, token = auth
        prof = Profile.load(profile)
        prof.server_url, prof.username, prof.token = url, user_dict["username"], token
        prof.save()
        bridge = SessionBridge(
            url, token, User.model_validate(user_dict), prof, **{**FAST_SESSION, **options}
        )
        bridges.append(bridge)
        arun(bridge.start())
        return bridge

    yield make
    for bridge in bridges:
        arun(bridge.stop())
        if os.environ.get(JOURNAL_DUMP_ENV):
            print(f"\n--- journal of {bridge.user.username} ({bridge.profile.name}) ---")
            for entry in bridge.journal.entries():
                print(f"{entry.at:%H:%M:%S.%f} [{entry.kind}] {entry.text}")
