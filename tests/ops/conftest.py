"""One real server process for the operator-tool tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ops.server_process import RunningServer, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("ops-server")) as running:
        yield running
