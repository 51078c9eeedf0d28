"""What the UI tests read off the windows: rows shown in the chat, group ids by name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from desktop_app.models.message_model import MessageRoles
from desktop_app.net.rest import RestClient
from desktop_app.ui.main_window import MainWindow


def shown_rows(window: MainWindow) -> list[dict[str, Any]]:
    """The messages the window's chat view holds, top to bottom."""
    model = window.chat.view.model()
    if model is None:
        return []
    rows = []
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        rows.append(
            {
                "body": index.data(MessageRoles.BODY),
                "state": index.data(MessageRoles.STATE),
                "sender": index.data(MessageRoles.SENDER_NAME),
                "id": index.data(MessageRoles.ID),
            }
        )
    return rows


def bodies(window: MainWindow) -> list[str]:
    return [str(r["body"]) for r in shown_rows(window)]


def group_id(window: MainWindow, name: str) -> int | None:
    model = window.bridge.groups
    for row in range(model.rowCount()):
        if model.index(row, 0).data() == name:
            return model.group_id_at(row)
    return None


async def create_group(url: str, token: str, name: str, members: list[str]) -> int:
    rest = RestClient(url, token)
    try:
        group = await rest.create_group(name, members)
    finally:
        await rest.aclose()
    return group.id


async def post(url: str, token: str, group: int, body: str) -> None:
    import uuid

    rest = RestClient(url, token)
    try:
        await rest.send(group, str(uuid.uuid4()), body)
    finally:
        await rest.aclose()


SCREENSHOT_DIR_ENV = "CHAT_TEST_SCREENSHOTS"


def screenshot(widget: QWidget, name: str) -> None:
    """Save what the widget shows as `<name>.png` when CHAT_TEST_SCREENSHOTS names a folder
    (run under Xvfb with QT_QPA_PLATFORM=xcb to look at a story as a person would)."""
    folder = os.environ.get(SCREENSHOT_DIR_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))
