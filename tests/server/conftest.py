"""Server-suite fixtures: `backend_server` runs a module's tests on SQLite and, when
CHAT_TEST_DATABASE_URL is set, again on a fresh PostgreSQL database (skipped otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.support.cluster import DATABASE_URL, postgres_database
from tests.support.server import ServerProcess


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not DATABASE_URL, reason="set CHAT_TEST_DATABASE_URL to run on PostgreSQL"
                ),
            ],
        ),
    ],
)
def backend_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A module's server, once per database backend."""
    with ExitStack() as stack:
        args: list[str] = []
        if request.param == "postgres":
            args = ["--database", stack.enter_context(postgres_database())]
        proc = ServerProcess(tmp_path_factory.mktemp(f"server-{request.param}"), args=args)
        stack.callback(proc.stop)
        proc.start()
        yield proc
