"""Owner-only data: the data directory 0700 and its files 0600, whatever the umask or an old mode."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# Bits that let anyone but the owner in.
OTHERS_BITS = 0o077
# SQLite's companions of a database file: write-ahead log, shared memory index, rollback journal.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> None:
    """Create `path` (and parents) as 0700, or tighten it to 0700 with a warning if it is looser."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & OTHERS_BITS:
        log.warning(
            "data directory was readable by others; made owner-only",
            extra={"path": str(path), "old_mode": oct(mode), "new_mode": oct(PRIVATE_DIR_MODE)},
        )
        os.chmod(path, PRIVATE_DIR_MODE)


def private_file(path: Path) -> None:
    """Make `path` exist as an owner-only file (an existing one is tightened to 0600).

    Created here rather than by SQLite: SQLite creates a database with 0666 & ~umask, and
    gives its -wal and -shm files the database file's mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        _tighten(fd, path)
    finally:
        os.close(fd)


def private_sqlite(database: Path) -> None:
    """The data dir 0700, the database and whichever of its companions exist 0600."""
    private_dir(database.parent)
    private_file(database)
    for suffix in SQLITE_COMPANIONS:
        companion = database.with_name(database.name + suffix)
        try:
            fd = os.open(companion, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            _tighten(fd, companion)
        finally:
            os.close(fd)


def _tighten(fd: int, path: Path) -> None:
    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    if mode != PRIVATE_FILE_MODE:
        if mode & OTHERS_BITS:
            log.warning(
                "data file was readable by others; made owner-only",
                extra={"path": str(path), "old_mode": oct(mode)},
            )
        os.fchmod(fd, PRIVATE_FILE_MODE)
