"""The admin key: read from the data dir, or created there (mode 0600) on first start."""

from __future__ import annotations

import os
from pathlib import Path

from chat_server.private_files import PRIVATE_FILE_MODE, private_dir, private_file
from chat_server.security import new_admin_key


def load_or_create_admin_key(path: Path) -> str:
    """The key in `path`; a new random one is written first if the file does not exist."""
    private_dir(path.parent)
    if path.exists():
        private_file(path)  # a key left readable by an older version is tightened
        return path.read_text(encoding="utf-8").strip()
    key = new_admin_key()
    # O_EXCL: if two processes race on first start, one wins and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def read_admin_key(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
