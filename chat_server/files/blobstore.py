"""Where stored bytes live, by SHA-256: files in a directory, or chunk rows in the database.

Both keep a `blobs` row per content (the files table refers to it, so the database knows
what is referenced; storage/files.py). `dir` writes each content once under
`<data dir>/files/<2 hex>/<sha256>` (temporary file, fsync, rename, fsync of the directory;
0600 in 0700 directories): for one node. `database` puts the bytes in `blob_chunks` rows
in the transaction that records the file: every node of a multi-node deployment serves every
file, and a backup of the database is a backup of the files.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.private_files import private_dir
from chat_server.storage.db import Database
from chat_server.storage.schema import blob_chunks, blobs

# Rows of the database store, and pieces read from disk per await.
CHUNK_BYTES = 1024 * 1024
READ_BYTES = 256 * 1024
FILES_DIR = "files"
TEMP_DIR = "tmp"


class BlobStore(Protocol):
    """Bytes by SHA-256. `stage` runs before the recording transaction, `record` in it;
    `forget` in the transaction that deletes a blob's row, `discard` after it commits."""

    kind: str
    temp_dir: Path

    async def stage(self, sha256: str, path: Path) -> None: ...

    async def record(
        self, conn: AsyncConnection, sha256: str, path: Path, size: int, now: datetime
    ) -> None: ...

    def read(self, sha256: str, start: int, stop: int) -> AsyncIterator[bytes]: ...

    async def forget(self, conn: AsyncConnection, sha256: str) -> None: ...

    async def discard(self, sha256: str) -> None: ...


async def _insert_blob_row(conn: AsyncConnection, sha256: str, size: int, now: datetime) -> bool:
    """True when the row is new (the content was not stored yet)."""
    found = await conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha256))
    if found.first() is not None:
        return False
    await conn.execute(insert(blobs).values(sha256=sha256, size=size, created_at=now))
    return True


class DirBlobStore:
    kind = "dir"

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / FILES_DIR
        self.temp_dir = self.root / TEMP_DIR
        private_dir(self.root)
        private_dir(self.temp_dir)
        self._remove_leftovers()

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    async def stage(self, sha256: str, path: Path) -> None:
        await asyncio.to_thread(self._place, sha256, path)

    def _place(self, sha256: str, path: Path) -> None:
        """Hard-link the caller's file (in temp_dir, the same file system) to its final name:
        no copy, and an existing content is never overwritten."""
        final = self.path_of(sha256)
        if final.exists():
            return
        private_dir(final.parent)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(path, final)
        _fsync_dir(final.parent)

    async def record(
        self, conn: AsyncConnection, sha256: str, path: Path, size: int, now: datetime
    ) -> None:
        await _insert_blob_row(conn, sha256, size, now)

    async def read(self, sha256: str, start: int, stop: int) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self.path_of(sha256).open, "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            left = stop - start
            while left > 0:
                block = await asyncio.to_thread(handle.read, min(READ_BYTES, left))
                if not block:
                    break
                left -= len(block)
                yield block
        finally:
            handle.close()

    async def forget(self, conn: AsyncConnection, sha256: str) -> None:
        await conn.execute(delete(blobs).where(blobs.c.sha256 == sha256))

    async def discard(self, sha256: str) -> None:
        await asyncio.to_thread(self.path_of(sha256).unlink, True)

    def _remove_leftovers(self) -> None:
        """Temporary files of uploads a stopped server was receiving: never recorded."""
        for leftover in self.temp_dir.glob("*.part"):
            with contextlib.suppress(OSError):
                leftover.unlink()


class DatabaseBlobStore:
    kind = "database"

    def __init__(self, db: Database, data_dir: Path) -> None:
        self.db = db
        self.temp_dir = data_dir / FILES_DIR / TEMP_DIR
        private_dir(data_dir)
        private_dir(self.temp_dir)

    async def stage(self, sha256: str, path: Path) -> None:
        return None

    async def record(
        self, conn: AsyncConnection, sha256: str, path: Path, size: int, now: datetime
    ) -> None:
        if not await _insert_blob_row(conn, sha256, size, now):
            return
        with path.open("rb") as source:
            index = 0
            while block := await asyncio.to_thread(source.read, CHUNK_BYTES):
                await conn.execute(insert(blob_chunks).values(sha256=sha256, idx=index, data=block))
                index += 1

    async def read(self, sha256: str, start: int, stop: int) -> AsyncIterator[bytes]:
        # One short read per chunk: a slow download never holds a pooled connection.
        index, skip = divmod(start, CHUNK_BYTES)
        left = stop - start
        while left > 0:
            async with self.db.read() as conn:
                query = select(blob_chunks.c.data).where(
                    blob_chunks.c.sha256 == sha256, blob_chunks.c.idx == index
                )
                block = (await conn.execute(query)).scalar_one_or_none()
            if not block:
                break
            piece = bytes(block[skip : skip + left])
            skip = 0
            index += 1
            left -= len(piece)
            yield piece

    async def forget(self, conn: AsyncConnection, sha256: str) -> None:
        await conn.execute(delete(blob_chunks).where(blob_chunks.c.sha256 == sha256))
        await conn.execute(delete(blobs).where(blobs.c.sha256 == sha256))

    async def discard(self, sha256: str) -> None:
        return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
