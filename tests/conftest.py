"""Fixtures shared by every test suite.

`server`         a running ServerProcess (temp SQLite data dir), one per test module;
                 `server.url` is the base URL. Tests must not assume an empty server:
                 create your own users (`register`) and groups.
`fresh_server`   a ServerProcess of its own for one test (for kill/restart and limit tests).
`register`       the `tests.support.server.register(url, name=None, password=PASSWORD)`
                 function: `user, token = register(server.url)`.
`make_server`    factory: `make_server(args=[...], env={...})` -> started ServerProcess,
                 stopped at the end of the test.
See tests/support/server.py for the helpers' details.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ServerProcess
from tests.support.server import register as _register

# wait_for, arun and app_home for the Qt suites (tests/client, tests/ui).
pytest_plugins = ["tests.support.qt_fixtures"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("server"))
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def make(
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
        data_dir: Path | None = None,
    ) -> ServerProcess:
        proc = ServerProcess(
            data_dir or tmp_path / f"server{len(started)}", env=env, args=args or []
        )
        started.append(proc)
        return proc.start()

    yield make
    for proc in started:
        proc.stop()


@pytest.fixture
def fresh_server(make_server: Callable[..., ServerProcess]) -> ServerProcess:
    return make_server()


@pytest.fixture
def register() -> Callable[..., tuple[dict[str, Any], str]]:
    return _register
