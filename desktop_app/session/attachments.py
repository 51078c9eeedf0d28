"""Files of a message (issue 12), Qt-free: what a row shows of each (`FileRef`), what the
composer hands over (`PendingFile`), and the staged copies of an unsent message's files.

At the moment of sending, every file is copied into the profile's data folder
(`outbox-files/<client_msg_id>/`), so a quit, a reboot or the original being deleted or
changed loses nothing; the outbox row records each file's copy, size and the upload id it
will be sent under (`data["attachments"]`, see `stage`). The copies go with the row."""

from __future__ import annotations

import mimetypes
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chat_protocol.models import Attachment

# Where the staged copies live, next to the outbox's file.
STAGING_DIR = "outbox-files"
# Types the server turns into images with a thumbnail (docs/protocol.md, "Uploading").
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class FileRef:
    """One file of a row: a stored one (`id`), or a staged copy on a pending echo
    (`local_path`). `width`/`height` are known for images."""

    name: str
    size: int
    content_type: str = OCTET_STREAM
    id: int | None = None
    width: int | None = None
    height: int | None = None
    thumbnail: bool = False
    local_path: str | None = None

    @property
    def is_image(self) -> bool:
        """Shown inline as a picture (else as a chip with the name and size)."""
        if self.id is not None:
            return self.thumbnail and bool(self.width) and bool(self.height)
        return self.content_type in IMAGE_TYPES and bool(self.width) and bool(self.height)

    @classmethod
    def of(cls, attachment: Attachment) -> FileRef:
        return cls(
            attachment.name,
            attachment.size,
            attachment.content_type,
            attachment.id,
            attachment.width,
            attachment.height,
            attachment.thumbnail,
        )

    def to_json(self) -> list[Any]:
        return [
            self.name,
            self.size,
            self.content_type,
            self.id,
            self.width,
            self.height,
            self.thumbnail,
            self.local_path,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> FileRef:
        name, size, ctype, fid, width, height, thumb, local = data
        return cls(str(name), int(size), str(ctype), fid, width, height, bool(thumb), local)


@dataclass(frozen=True, slots=True)
class PendingFile:
    """A file the user attached in the composer: a path on disk, or bytes (a pasted image).
    `width`/`height` are filled in by the UI for images it could read."""

    name: str
    size: int
    path: Path | None = None
    data: bytes | None = None
    width: int | None = None
    height: int | None = None

    @property
    def content_type(self) -> str:
        guessed, _ = mimetypes.guess_type(self.name)
        return guessed or OCTET_STREAM


def preview_body(body: str, files: Sequence[FileRef] | Sequence[Attachment] | None) -> str:
    """The text a group list previews for a message: a message of only files names them."""
    if body or not files:
        return body
    if len(files) == 1:
        return f"📎 {files[0].name}"
    return f"📎 {len(files)} files"


def staging_root(outbox_path: Path) -> Path:
    return outbox_path.parent / STAGING_DIR


def stage(root: Path, client_msg_id: str, files: list[PendingFile]) -> list[dict[str, Any]]:
    """Copy the files into `root/<client_msg_id>/` and describe each for the outbox row:
    {upload_id, path, name, size, content_type, width, height, attachment_id (None until
    the server stored it)}. Raises OSError (nothing left behind) if a copy fails."""
    folder = root / client_msg_id
    folder.mkdir(parents=True, exist_ok=True)
    specs: list[dict[str, Any]] = []
    try:
        for n, f in enumerate(files):
            target = folder / str(n)
            if f.data is not None:
                target.write_bytes(f.data)
            elif f.path is not None:
                shutil.copyfile(f.path, target)
            size = target.stat().st_size
            specs.append(
                {
                    "upload_id": str(uuid.uuid4()),
                    "path": str(target),
                    "name": f.name,
                    "size": size,
                    "content_type": f.content_type,
                    "width": f.width,
                    "height": f.height,
                    "attachment_id": None,
                }
            )
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return specs


def unstage(root: Path, client_msg_id: str) -> None:
    """The message left the outbox (sent, discarded, handed back): its copies go."""
    shutil.rmtree(root / client_msg_id, ignore_errors=True)


def refs_of(specs: list[dict[str, Any]] | None) -> tuple[FileRef, ...] | None:
    """What a pending echo shows of its staged files."""
    if not specs:
        return None
    return tuple(
        FileRef(
            s["name"],
            int(s["size"]),
            s.get("content_type") or OCTET_STREAM,
            None,
            s.get("width"),
            s.get("height"),
            False,
            s["path"],
        )
        for s in specs
    )


def attachment_specs(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The staged files recorded on an outbox row (none for a plain message)."""
    return list((data or {}).get("attachments") or [])
