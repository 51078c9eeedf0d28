"""Turning what the user gives the composer into files to attach: paths from the file dialog,
URLs dropped or pasted, and image data on the clipboard (a screenshot becomes PNG bytes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData
from PySide6.QtGui import QImage, QImageReader

from desktop_app.session.attachments import PendingFile
from desktop_app.ui.files import words

# Formats the server shows as images (docs/protocol.md, "Uploading"): read their size here.
IMAGE_FORMATS = frozenset({b"png", b"jpeg", b"jpg", b"gif", b"webp"})
PASTED_NAME_FORMAT = "Pasted image %Y-%m-%d %H.%M.%S.png"


@dataclass
class Intake:
    """Files read from one gesture, and a sentence for each thing that could not be taken."""

    files: list[PendingFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height of an image file in a format the server keeps as an image (read from
    its header only), else None."""
    reader = QImageReader(str(path))
    if bytes(reader.format().data()).lower() not in IMAGE_FORMATS:
        return None
    size = reader.size()
    if not size.isValid() or size.isEmpty():
        return None
    return size.width(), size.height()


def from_path(path: Path, into: Intake) -> None:
    try:
        if not path.is_file():
            into.problems.append(words.not_a_file(path.name))
            return
        size = path.stat().st_size
    except OSError:
        into.problems.append(words.not_a_file(path.name))
        return
    if size == 0:
        into.problems.append(words.empty_file(path.name))
        return
    dims = image_size(path)
    width, height = dims if dims else (None, None)
    into.files.append(PendingFile(path.name, size, path=path, width=width, height=height))


def from_paths(paths: list[Path]) -> Intake:
    into = Intake()
    for path in paths:
        from_path(path, into)
    return into


def from_image(image: QImage, when: datetime | None = None) -> PendingFile:
    """A clipboard image as a PNG file named after the moment it was pasted."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # str works, bytes does not
    buffer.close()
    raw = bytes(data.data())
    name = (when or datetime.now()).strftime(PASTED_NAME_FORMAT)
    return PendingFile(name, len(raw), data=raw, width=image.width(), height=image.height())


def has_files(mime: QMimeData) -> bool:
    """Whether pasting or dropping `mime` attaches something: local files, or an image that
    comes without text (a screenshot; a web page's copy pastes its text)."""
    if mime.hasUrls() and any(url.isLocalFile() for url in mime.urls()):
        return True
    return mime.hasImage() and not mime.hasText()


def from_mime(mime: QMimeData) -> Intake:
    """Local files named by URLs (a file manager's copy or drag), else image data (a
    screenshot tool's copy)."""
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    if paths:
        return from_paths(paths)
    into = Intake()
    if mime.hasImage():
        image = QImage(mime.imageData())
        if not image.isNull():
            into.files.append(from_image(image))
    return into
