"""The data directory is 0700 and every file in it 0600, whatever the umask or an existing mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.server import ServerProcess, auth_headers, register

LOOSE_UMASK = 0o022
LOOSE_DIR_MODE = 0o755
LOOSE_FILE_MODE = 0o644
PRIVATE_FILES = ("chat.db", "chat.db-wal", "chat.db-shm", "admin.key")


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """The server subprocess inherits this process's umask."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _use(server: ServerProcess) -> None:
    """Write a message, so the WAL and its index exist."""
    _user, token = register(server.url)
    headers = auth_headers(token)
    group = httpx.post(f"{server.url}/api/groups", json={"name": "g"}, headers=headers).json()
    sent = httpx.post(
        f"{server.url}/api/groups/{group['id']}/messages",
        json={"client_msg_id": "8d3a4a43-7a38-4c52-9b1f-1c1f0b1a2b3c", "body": "hi"},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text


def _assert_private(data_dir: Path) -> None:
    assert mode(data_dir) == 0o700
    for name in PRIVATE_FILES:
        assert (data_dir / name).exists(), name
        assert mode(data_dir / name) == 0o600, f"{name} is {oct(mode(data_dir / name))}"


def test_existing_open_data_dir_gets_private_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=LOOSE_DIR_MODE)
    os.chmod(data_dir, LOOSE_DIR_MODE)
    # The log goes elsewhere: the test reads it, and it is not the server's data.
    server = ServerProcess(data_dir)
    server.log_path = tmp_path / "server.log"
    with umask(LOOSE_UMASK), server:
        _use(server)
        _assert_private(data_dir)
    log = server.log_path.read_text()
    assert "data directory was readable by others" in log


def test_files_left_open_by_an_older_version_are_tightened(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir)
    server.log_path = tmp_path / "server.log"
    with umask(LOOSE_UMASK):
        with server:
            _use(server)
        for name in PRIVATE_FILES:
            if (data_dir / name).exists():
                os.chmod(data_dir / name, LOOSE_FILE_MODE)
        os.chmod(data_dir, LOOSE_DIR_MODE)
        with server:
            _use(server)
            _assert_private(data_dir)
