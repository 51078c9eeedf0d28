"""Files (issue 12): receiving uploads, cleaning images off the event loop, who may fetch
what, and deleting bytes nothing refers to any more (after a message deletion, and in a
periodic sweep that also expires uploads never sent)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_protocol import limits
from chat_server import errors
from chat_server.config import Settings
from chat_server.files.blobstore import BlobStore
from chat_server.files.detect import OCTET_STREAM, detect_type
from chat_server.files.images import FORMATS, clean_image
from chat_server.files.names import sanitise_name
from chat_server.files.receive import Received, receive_to_file
from chat_server.services.fanout import Caller
from chat_server.storage import files
from chat_server.storage.db import Database
from chat_server.wire import now_utc

log = logging.getLogger(__name__)

# Images cleaned at once: each may hold a decoded 40-megapixel frame (160 MB) in memory.
IMAGE_WORKERS = max(1, min(2, os.cpu_count() or 1))
RECORD_ATTEMPTS = 3
IMAGE_TYPES = frozenset(FORMATS.values())
NOT_FOUND = "No such file."


@dataclass
class Prepared:
    """What an upload becomes: the bytes to store (the upload itself, or the cleaned image),
    an optional thumbnail, and every temporary file to remove afterwards."""

    content_type: str
    path: Path
    sha256: str
    size: int
    width: int | None = None
    height: int | None = None
    thumb_path: Path | None = None
    thumb_sha256: str | None = None
    thumb_type: str | None = None
    temporaries: list[Path] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Download:
    """A file the caller may fetch (or its thumbnail): what to send and how to label it."""

    sha256: str
    size: int
    content_type: str
    name: str


class FileService:
    def __init__(self, db: Database, settings: Settings, store: BlobStore) -> None:
        self.db = db
        self.settings = settings
        self.store = store
        self._images = asyncio.Semaphore(IMAGE_WORKERS)
        # On one node with the `dir` store: placing bytes and recording them, against
        # deleting an unreferenced blob and its bytes (the database store needs no lock:
        # the foreign key to `blobs` settles that race in the transaction).
        self._guard: asyncio.Lock | None = asyncio.Lock() if store.kind == "dir" else None
        self._task: asyncio.Task[None] | None = None

    # --- uploading --------------------------------------------------------------------

    async def find_upload(self, caller: Caller, upload_id: str) -> files.AttachmentDict | None:
        async with self.db.read() as conn:
            row = await files.by_upload_id(conn, caller.id, upload_id)
        return None if row is None else files.attachment_from_row(row)

    async def check_pending(self, caller: Caller) -> None:
        """429 while the caller holds the most uploads not yet in a message."""
        async with self.db.read() as conn:
            await self._check_pending(conn, caller)

    async def _check_pending(self, conn: AsyncConnection, caller: Caller) -> None:
        count, oldest = await files.pending(conn, caller.id)
        if count < self.settings.uploads_pending_max:
            return
        wait = self.settings.upload_pending_seconds
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            wait = (oldest - now_utc()).total_seconds() + self.settings.upload_pending_seconds
        raise errors.RateLimited(
            f"At most {self.settings.uploads_pending_max} uploads may wait to be sent; "
            "send or let some expire first.",
            max(wait, 1.0),
        )

    async def upload(
        self, caller: Caller, upload_id: str, raw_name: str | None, chunks: AsyncIterator[bytes]
    ) -> tuple[files.AttachmentDict, bool]:
        """Receive, clean and store one upload: (attachment, created)."""
        received = await receive_to_file(
            chunks, self.store.temp_dir, self.settings.max_upload_bytes
        )
        prepared: Prepared | None = None
        try:
            if received.size == 0:
                raise errors.ValidationFailed("The file is empty.")
            prepared = await self._prepare(received)
            return await self._record(caller, upload_id, sanitise_name(raw_name), prepared)
        finally:
            for path in [received.path, *(prepared.temporaries if prepared else ())]:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)

    async def _prepare(self, received: Received) -> Prepared:
        detected = await asyncio.to_thread(detect_type, received.path)
        if detected not in IMAGE_TYPES:
            return Prepared(detected, received.path, received.sha256, received.size)
        async with self._images:
            clean = await asyncio.to_thread(
                clean_image,
                received.path,
                limits.IMAGE_MAX_PIXELS,
                limits.THUMBNAIL_MAX_PX,
            )
        if clean is None:
            # An image that does not decode (or is too large to): plain bytes.
            return Prepared(OCTET_STREAM, received.path, received.sha256, received.size)
        image_path = await asyncio.to_thread(self._temporary, clean.data)
        thumb_path = await asyncio.to_thread(self._temporary, clean.thumbnail)
        thumb_sha = await asyncio.to_thread(_sha256, clean.thumbnail)
        return Prepared(
            clean.content_type,
            image_path,
            clean.sha256,
            len(clean.data),
            clean.width,
            clean.height,
            thumb_path,
            thumb_sha,
            clean.thumbnail_type,
            temporaries=[image_path, thumb_path],
        )

    def _temporary(self, data: bytes) -> Path:
        fd, name = tempfile.mkstemp(dir=self.store.temp_dir, prefix="clean-", suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return Path(name)

    async def _record(
        self, caller: Caller, upload_id: str, name: str, prepared: Prepared
    ) -> tuple[files.AttachmentDict, bool]:
        blobs = [(prepared.sha256, prepared.path, prepared.size)]
        if prepared.thumb_path is not None and prepared.thumb_sha256 is not None:
            blobs.append((prepared.thumb_sha256, prepared.thumb_path, _size(prepared.thumb_path)))
        shas = [sha for sha, _path, _size in blobs]
        for _ in range(RECORD_ATTEMPTS):
            async with self._guarded():
                try:
                    for sha, path, _ in blobs:
                        await self.store.stage(sha, path)
                    return await self._insert(caller, upload_id, name, prepared, blobs), True
                except IntegrityError:
                    # The same upload_id stored at once by another request, or (database
                    # store, several nodes) a blob collected meanwhile: look, then retry.
                    await self._unstage(shas)
                except BaseException:
                    await self._unstage(shas)
                    raise
            existing = await self.find_upload(caller, upload_id)
            if existing is not None:
                return existing, False
        raise RuntimeError("could not record the upload after repeated conflicts")

    async def _insert(
        self,
        caller: Caller,
        upload_id: str,
        name: str,
        prepared: Prepared,
        blobs: list[tuple[str, Path, int]],
    ) -> files.AttachmentDict:
        now = now_utc()
        async with self.db.write() as conn:
            await self._check_pending(conn, caller)
            for sha, path, size in blobs:
                await self.store.record(conn, sha, path, size, now)
            values: dict[str, Any] = {
                "uploader_id": caller.id,
                "upload_id": upload_id,
                "name": name,
                "size": prepared.size,
                "content_type": prepared.content_type,
                "width": prepared.width,
                "height": prepared.height,
                "blob_sha256": prepared.sha256,
                "thumb_sha256": prepared.thumb_sha256,
                "thumb_type": prepared.thumb_type,
                "created_at": now,
            }
            file_id = await files.insert_file(conn, **values)
        return {
            "id": file_id,
            "name": name,
            "size": prepared.size,
            "content_type": prepared.content_type,
            "width": prepared.width,
            "height": prepared.height,
            "thumbnail": prepared.thumb_sha256 is not None,
        }

    async def _unstage(self, shas: Sequence[str]) -> None:
        """Bytes placed for an upload that was then refused: gone unless a row records them.
        (Called with the guard held.)"""
        async with self.db.read() as conn:
            orphans = [sha for sha in shas if not await files.blob_exists(conn, sha)]
        for sha in orphans:
            await self.store.discard(sha)

    # --- fetching ---------------------------------------------------------------------

    async def download(self, caller: Caller, file_id: int, *, thumbnail: bool) -> Download:
        """The file (or its thumbnail) if the caller may see it now; 404 otherwise."""
        async with self.db.read() as conn:
            row = await files.visible_to(conn, file_id, caller.id)
            if row is not None and thumbnail and row.thumb_sha256 is not None:
                size = await files.blob_size(conn, row.thumb_sha256)
                return Download(row.thumb_sha256, size, row.thumb_type, _thumb_name(row))
        if row is None or thumbnail:
            raise errors.NotFound(NOT_FOUND)
        return Download(row.blob_sha256, int(row.size), row.content_type, row.name)

    # --- deleting ---------------------------------------------------------------------

    async def collect(self, candidates: Sequence[str] | None = None) -> int:
        """Delete the blobs (of `candidates`, or all) that no file refers to; how many."""
        async with self.db.read() as conn:
            shas = await files.unreferenced(conn, candidates)
        deleted = 0
        for sha in shas:
            async with self._guarded():
                try:
                    async with self.db.write() as conn:
                        if not await files.is_unreferenced(conn, sha):
                            continue
                        await self.store.forget(conn, sha)
                except IntegrityError:
                    continue  # referenced again meanwhile (another node's upload)
                await self.store.discard(sha)
                deleted += 1
        return deleted

    async def sweep(self) -> int:
        """Expire uploads older than the pending time, then collect; uploads removed."""
        before = now_utc() - timedelta(seconds=self.settings.upload_pending_seconds)
        async with self.db.write() as conn:
            released = await files.delete_expired(conn, before)
        await self.collect(None)
        return len(released)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="file-sweeper")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                expired = await self.sweep()
                if expired:
                    log.info("expired uploads removed", extra={"count": expired})
            except Exception:  # a database hiccup or a bug of ours: say so, sweep again later
                log.exception("file sweep failed")
            await asyncio.sleep(self.settings.file_sweep_seconds)

    def _guarded(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self._guard if self._guard is not None else contextlib.nullcontext()


async def claim(
    conn: AsyncConnection, caller_id: int, file_ids: Sequence[int]
) -> list[files.AttachmentDict]:
    """The attachments a new message will carry, in the order given; 422 naming the first id
    that is not an upload of the caller's waiting to be sent (used in the sending transaction)."""
    found = await files.claimable(conn, caller_id, file_ids)
    for file_id in file_ids:
        if file_id not in found:
            raise errors.ValidationFailed(
                f"attachment_ids: {file_id} is not an upload of yours waiting to be sent."
            )
    return [files.attachment_from_row(found[file_id]) for file_id in file_ids]


async def attach(
    conn: AsyncConnection, file_ids: Sequence[int], message_id: int, group_id: int
) -> None:
    """Put the claimed files in the stored message (same transaction as `claim`)."""
    if await files.attach(conn, file_ids, message_id, group_id) != len(file_ids):
        # Another send took one of them between claim and here: this send fails whole.
        raise errors.ValidationFailed("attachment_ids: a file was just sent in another message.")


def _thumb_name(row: Row) -> str:
    stem = str(row.name).rsplit(".", 1)[0] or "file"
    extension = "png" if row.thumb_type == "image/png" else "jpg"
    return f"{stem}.thumbnail.{extension}"


def _size(path: Path) -> int:
    return path.stat().st_size


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
