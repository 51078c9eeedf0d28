"""Thumbnails for the timeline, never loaded on the GUI thread's time: a stored file's comes
from `GET /api/files/{id}/thumbnail` once and is then kept on disk in the profile; a pending
message's comes from its staged copy. Reading and decoding run in a worker thread; the
painter asks, gets None until the picture is ready, and `ready` says when to repaint."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
import uuid
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

from chat_protocol.limits import THUMBNAIL_MAX_PX
from desktop_app.net.errors import ApiError
from desktop_app.net.files import FilesClient
from desktop_app.session.attachments import FileRef
from desktop_app.tasks import spawn

log = logging.getLogger(__name__)

CACHE_DIR = "thumbnails"
# Decoded pictures kept in memory (each at most 320×320: ~400 KB).
MEMORY_ITEMS = 200
# A thumbnail that could not be fetched is asked for again after this long.
RETRY_SECONDS = 20.0

Key = tuple[str, str]


def _read(path: Path, max_px: int) -> QImage | None:
    """A picture file decoded at most `max_px` on its longer side (None: absent/unreadable)."""
    if not path.is_file():
        return None
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > max_px:
        size.scale(QSize(max_px, max_px), Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(size)
    image = reader.read()
    return None if image.isNull() else image


def _store(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")  # two windows may race
    part.write_bytes(data)
    os.replace(part, path)


class ThumbnailCache(QObject):
    """One session's thumbnails; `folder` is per server (file ids are a server's)."""

    ready = Signal()

    def __init__(self, files: FilesClient, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._files = files
        self.folder = folder
        self._memory: OrderedDict[Key, QPixmap] = OrderedDict()
        self._loading: set[Key] = set()
        self._failed: dict[Key, float] = {}
        self.fetched = 0  # thumbnails fetched from the server (tests, diagnostics)

    @staticmethod
    def folder_for(data_dir: Path, server_url: str, instance_id: str | None) -> Path:
        digest = hashlib.sha256(f"{server_url}\n{instance_id or ''}".encode()).hexdigest()
        return data_dir / CACHE_DIR / digest[:16]

    def pixmap(self, ref: FileRef) -> QPixmap | None:
        """The picture if it is ready; else None, and it is loaded (once) in the background."""
        key = _key(ref)
        hit = self._memory.get(key)
        if hit is not None:
            self._memory.move_to_end(key)
            return hit
        failed_at = self._failed.get(key)
        if key in self._loading or (
            failed_at is not None and time.monotonic() - failed_at < RETRY_SECONDS
        ):
            return None
        self._loading.add(key)
        spawn(self._load(key, ref), name=f"thumbnail-{key[1][-24:]}")
        return None

    async def _load(self, key: Key, ref: FileRef) -> None:
        loop = asyncio.get_running_loop()
        try:
            if ref.id is None and ref.local_path:
                image = await loop.run_in_executor(
                    None, _read, Path(ref.local_path), THUMBNAIL_MAX_PX
                )
            else:
                path = self.folder / str(ref.id)
                image = await loop.run_in_executor(None, _read, path, THUMBNAIL_MAX_PX)
                if image is None and ref.id is not None:
                    data = await self._files.thumbnail(ref.id)
                    self.fetched += 1
                    await loop.run_in_executor(None, _store, path, data)
                    image = await loop.run_in_executor(None, _read, path, THUMBNAIL_MAX_PX)
        except (ApiError, OSError) as exc:
            log.info("thumbnail of %s not loaded: %s", ref.name, exc)
            image = None
        finally:
            self._loading.discard(key)
        if image is None:
            self._failed[key] = time.monotonic()
            return
        self._failed.pop(key, None)
        self._memory[key] = QPixmap.fromImage(image)
        if len(self._memory) > MEMORY_ITEMS:
            self._memory.popitem(last=False)
        self.ready.emit()


def _key(ref: FileRef) -> Key:
    if ref.id is not None:
        return ("id", str(ref.id))
    return ("local", ref.local_path or "")
