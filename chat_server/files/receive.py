"""An upload's body streamed to a private temporary file, hashed on the way, cut off at a limit."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from chat_server import errors


@dataclass(frozen=True, slots=True)
class Received:
    path: Path
    size: int
    sha256: str


async def receive_to_file(chunks: AsyncIterator[bytes], directory: Path, limit: int) -> Received:
    """Write `chunks` to a new 0600 file in `directory`; FileTooLarge past `limit` bytes (the
    partial file removed). Only one chunk is ever held in memory."""
    fd, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
    path = Path(name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise errors.FileTooLarge(limit)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    return Received(path, size, digest.hexdigest())
