"""Fixtures both Qt suites share (tests/client and tests/ui import them into their conftest):
`wait_for` (qtbot.waitUntil on a real bool), `arun` (run a coroutine on the suite's `qloop`)
and `app_home` (DESKTOP_APP_HOME in a temp dir, so profiles never touch the real ones)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from pytestqt.qtbot import QtBot

from desktop_app.settings import HOME_ENV

T = TypeVar("T")

WAIT_SECONDS = 15.0
# Threads of a suite loop's default executor (what `run_in_executor(None, …)` uses: the DNS
# lookups of asyncio and aiohttp, among others).
EXECUTOR_WORKERS = 4


@contextmanager
def stopped_default_executor(loop: qasync.QEventLoop) -> Iterator[None]:
    """Give a suite's loop a default executor that is shut down when the suite ends.

    A suite's loop runs for the whole session and is never closed, so qasync's own default
    executor (QThreads, made by the first `run_in_executor(None, …)`, e.g. resolving a host
    name) was never stopped either: at interpreter exit Qt destroyed the still running
    QThreads and aborted the process ("QThread: Destroyed while thread '' is still
    running", exit 134) after every test had passed. The app closes its loop (`run_loop`),
    which stops the executor; this does the same for a loop that stays open."""
    executor = qasync.QThreadExecutor(EXECUTOR_WORKERS)
    loop.set_default_executor(executor)
    try:
        yield
    finally:
        executor.shutdown(wait=True)


@pytest.fixture
def wait_for(qtbot: QtBot) -> Callable[..., None]:
    def wait(predicate: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
        qtbot.waitUntil(lambda: bool(predicate()), timeout=int(timeout * 1000))

    return wait


@pytest.fixture
def arun(qloop: qasync.QEventLoop, qtbot: QtBot) -> Callable[..., Any]:
    def run(coro: Coroutine[Any, Any, T], timeout: float = WAIT_SECONDS) -> T:
        task = qloop.create_task(coro)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    return run


@pytest.fixture
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "app-home"
    monkeypatch.setenv(HOME_ENV, str(home))
    return home
