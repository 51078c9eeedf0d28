"""Helpers for the files UI tests: two signed-in windows in one group, files on disk,
the rows' attachments, and a check that the server has the upload routes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from desktop_app.app import DesktopApp
from desktop_app.models.roles import MessageRoles
from desktop_app.session.attachments import FileRef
from desktop_app.ui.main_window import MainWindow


def require_upload_routes(url: str) -> None:
    """Skip (with the reason) when the server has no `/api/uploads` yet: the server side of
    files is built on branch `filesrv`; these tests run once it is merged."""
    # Without a token an existing route answers 401; a route the server lacks, 404.
    answer = httpx.get(f"{url}/api/uploads/{uuid.uuid4()}", timeout=5)
    if answer.status_code != 401:
        pytest.skip("the server has no /api/uploads route yet (branch filesrv not merged)")


def two_in_a_group(
    desktop: DesktopApp,
    url: str,
    users: Callable[[int], list[str]],
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
    *,
    alice_url: str | None = None,
) -> tuple[MainWindow, MainWindow, int]:
    """alice (optionally through another address, a proxy) and bob, both in "Files"."""
    alice_name, bob_name = users(2)
    alice = sign_in(desktop, alice_url or url, alice_name)
    bob = sign_in(desktop, url, bob_name)
    gid = arun(alice.bridge.create_group("Files", [bob_name])).id
    wait_for(lambda: bob.bridge.groups.row_of(gid) is not None)
    wait_for(lambda: alice.bridge.groups.row_of(gid) is not None)
    alice.open_group(gid)
    bob.open_group(gid)
    return alice, bob, gid


def picture(width: int = 400, height: int = 300) -> QImage:
    """A picture with some detail (a gradient and a disc), so it compresses like a photo."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    for y in range(height):
        for x in range(0, width, 4):
            color = QColor((x * 255) // width, (y * 255) // height, 160)
            for dx in range(4):
                image.setPixelColor(min(width - 1, x + dx), y, color)
    painter = QPainter(image)
    painter.setBrush(QColor("#ffcc00"))
    painter.drawEllipse(width // 4, height // 4, width // 2, height // 2)
    painter.end()
    return image


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def files_of_rows(window: MainWindow) -> list[tuple[str, tuple[FileRef, ...]]]:
    """(body, attachments) of every shown row that has files."""
    model = window.chat.view.model()
    if model is None:
        return []
    out = []
    for r in range(model.rowCount()):
        index = model.index(r, 0)
        files = index.data(MessageRoles.ATTACHMENTS)
        if files:
            out.append((str(index.data(MessageRoles.BODY)), tuple(files)))
    return out


def stored_files(window: MainWindow, body: str) -> tuple[FileRef, ...]:
    """The stored files of the row with `body` (empty until the server has them)."""
    for text, files in files_of_rows(window):
        if text == body and all(f.id is not None for f in files):
            return files
    return ()
