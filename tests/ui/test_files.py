"""Files and images in the desktop app (issue 12), against a real server: the composer's tray
(paste, drop, remove, limits), sending with upload progress, the other member's thumbnail and
viewer, Save as, and a quit in the middle of an upload that still sends exactly once."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from chat_protocol import limits
from desktop_app.app import AppOptions, DesktopApp
from desktop_app.models.roles import MessageRoles
from desktop_app.net.files import FilesClient
from desktop_app.net.rest import RestClient
from desktop_app.session.attachments import PendingFile, stage
from desktop_app.session.outbox import Outbox, OutboxItem
from desktop_app.ui.files import row_files
from desktop_app.ui.files.intake import from_paths
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import ThemeChoice
from tests.support.server import ServerProcess
from tests.support.session import FAST_SESSION
from tests.support.tcp_proxy import TcpProxy
from tests.ui.files_helpers import (
    picture,
    random_file,
    require_upload_routes,
    stored_files,
    two_in_a_group,
)
from tests.ui.helpers import bodies

# The slow uplink of the quit-mid-upload test: a 1.5 MB file takes ~6 s through it.
SLOW_UPLOAD_BYTES_PER_SECOND = 250_000
DIALOG_POLL_MS = 20


def _drop(window: MainWindow, paths: list[Path]) -> bool:
    """Drag `paths` onto the chat and drop them there, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    viewport = window.chat.view.viewport()
    point = viewport.rect().center()
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(viewport, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def _paste_picture(window: MainWindow, width: int = 400, height: int = 300) -> None:
    QApplication.clipboard().setImage(picture(width, height))
    window.chat.composer.edit.setFocus()
    window.chat.composer.edit.paste()


def _send(qtbot: QtBot, window: MainWindow, text: str) -> None:
    edit = window.chat.composer.edit
    if text:
        qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_tray_takes_pasted_and_dropped_files_removes_one_and_refuses_past_the_limits(
    desktop: DesktopApp,
    server: ServerProcess,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    alice, _bob, _gid = two_in_a_group(desktop, server.url, users, sign_in, arun, wait_for)
    composer = alice.chat.composer
    tray = composer.files.tray
    assert not tray.isVisible() and not composer.send_button.isEnabled()
    # A screenshot on the clipboard: pasted, it becomes a PNG in the tray, shown as a picture.
    _paste_picture(alice, 64, 48)
    assert tray.count() == 1 and tray.isVisible()
    pasted = tray.items[0]
    assert pasted.is_image and pasted.file.name.endswith(".png")
    assert (pasted.file.width, pasted.file.height) == (64, 48)
    assert pasted.file.data is not None and pasted.file.data.startswith(b"\x89PNG")
    assert composer.text() == "", "the image is attached, not pasted as text"
    assert composer.send_button.isEnabled(), "files need no text"
    # Two files dropped on the chat: a chip for the text file, a picture for the PNG.
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting notes\n")
    photo = tmp_path / "photo.png"
    assert picture(120, 90).save(str(photo))
    assert _drop(alice, [notes, photo])
    assert [i.file.name for i in tray.items] == [pasted.file.name, "notes.txt", "photo.png"]
    assert [i.is_image for i in tray.items] == [True, False, True]
    # × takes one out.
    qtbot.mouseClick(tray.items[0].remove_button, Qt.MouseButton.LeftButton)
    assert [i.file.name for i in tray.items] == ["notes.txt", "photo.png"]
    # A file over the server's limit is refused at once, in words.
    big = tmp_path / "huge.iso"
    with big.open("wb") as f:
        f.truncate(limits.UPLOAD_MAX_BYTES + 1)
    assert composer.files.attach(from_paths([big])) == 0
    assert "huge.iso" in tray.notice.text() and "at most 25 MB" in tray.notice.text()
    assert tray.notice.isVisible() and tray.count() == 2
    # Nine more: eight fit (ten in all), the ninth is the eleventh file and is refused.
    more = [random_file(tmp_path / f"f{n}.bin", 10) for n in range(9)]
    assert composer.files.attach(from_paths(more)) == 8
    assert tray.count() == limits.ATTACHMENTS_MAX
    assert tray.notice.text() == "A message can carry at most 10 files; 1 file was not added."
    # A dropped folder is not a file.
    assert _drop(alice, [tmp_path])
    assert "folder" in tray.notice.text() and tray.count() == limits.ATTACHMENTS_MAX
    # The files belong to this group's message: another group's composer has none.
    other = arun(alice.bridge.create_group("Other", [])).id
    wait_for(lambda: alice.bridge.groups.row_of(other) is not None)
    alice.open_group(other)
    assert tray.count() == 0
    alice.open_group(_gid)
    assert tray.count() == limits.ATTACHMENTS_MAX


def test_pasted_screenshot_is_sent_and_the_other_member_sees_its_thumbnail_and_full_size(
    desktop: DesktopApp,
    server: ServerProcess,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
) -> None:
    require_upload_routes(server.url)
    alice, bob, _gid = two_in_a_group(desktop, server.url, users, sign_in, arun, wait_for)
    _paste_picture(alice, 800, 600)
    _send(qtbot, alice, "the bug")
    assert alice.chat.composer.files.tray.count() == 0, "the tray empties on send"
    wait_for(lambda: stored_files(bob, "the bug"), timeout=20)
    (ref,) = stored_files(bob, "the bug")
    assert ref.is_image and (ref.width, ref.height) == (800, 600) and ref.thumbnail
    # The thumbnail is fetched in the background and painted; it is then on disk.
    thumbs = bob.file_actions.thumbnails
    wait_for(lambda: thumbs.pixmap(ref) is not None, timeout=10)
    pixmap = thumbs.pixmap(ref)
    assert pixmap is not None and max(pixmap.width(), pixmap.height()) <= limits.THUMBNAIL_MAX_PX
    assert (thumbs.folder / str(ref.id)).is_file()
    bob.chat.view.viewport().grab()  # painted with the picture
    # A click on the picture opens the viewer, which shows the full-size file.
    viewer = bob.file_actions.view(ref)
    wait_for(lambda: viewer.loaded, timeout=10)
    shown = viewer.label.pixmap()
    assert shown is not None and not shown.isNull()
    viewer.close()
    # Alice's own row is the stored message with the same file; her staged copy is gone.
    wait_for(lambda: stored_files(alice, "the bug"), timeout=10)
    assert stored_files(alice, "the bug")[0].id == ref.id
    staging = alice.bridge.session.files_root
    wait_for(lambda: not any(staging.glob("*/*")), timeout=5)


def test_dropped_file_reports_progress_and_save_as_writes_the_same_bytes(
    desktop: DesktopApp,
    server: ServerProcess,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    require_upload_routes(server.url)
    alice, bob, gid = two_in_a_group(desktop, server.url, users, sign_in, arun, wait_for)
    original = random_file(tmp_path / "data set.bin", 3 * 1024 * 1024)
    assert _drop(alice, [original])
    model = alice.bridge.message_model(gid)
    seen: list[float] = []

    def record(first: Any, last: Any, roles: Any = ()) -> None:
        for r in range(first.row(), last.row() + 1):
            value = model.index(r, 0).data(MessageRoles.UPLOAD_PROGRESS)
            if value is not None:
                seen.append(float(value))

    model.dataChanged.connect(record)
    _send(qtbot, alice, "")  # a file alone, no text
    wait_for(lambda: stored_files(bob, ""), timeout=30)
    assert seen and all(0 <= f < 1 for f in seen) and seen == sorted(seen)
    assert len(seen) >= 3, f"progress was reported as it went: {seen}"
    (ref,) = stored_files(bob, "")
    assert (ref.name, ref.size, ref.is_image) == ("data set.bin", original.stat().st_size, False)
    # The chip's "Save as…" downloads to the path chosen in the dialog.
    target = tmp_path / "saved" / "copy.bin"
    target.parent.mkdir()
    _choose_in_file_dialog(target)
    bob.file_actions.on_click(ref, row_files.SAVE)
    wait_for(lambda: target.is_file(), timeout=20)
    assert target.read_bytes() == original.read_bytes()
    assert not list(target.parent.glob("*.part"))


def _choose_in_file_dialog(path: Path) -> None:
    """When the next file dialog shows, type `path` as its file name and accept."""

    def attempt() -> None:
        modal = QApplication.activeModalWidget()
        name_field = modal.findChild(QLineEdit, "fileNameEdit") if modal is not None else None
        if not isinstance(modal, QFileDialog) or not modal.isVisible() or name_field is None:
            QTimer.singleShot(DIALOG_POLL_MS, attempt)
            return
        name_field.setText(str(path))
        modal.accept()

    QTimer.singleShot(DIALOG_POLL_MS, attempt)


def test_quit_in_the_middle_of_an_upload_sends_the_message_exactly_once_after_reopening(
    qapp: Any,
    desktop: DesktopApp,
    server: ServerProcess,
    users: Callable[[int], list[str]],
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    require_upload_routes(server.url)
    proxy = arun(TcpProxy.start(int(server.url.rsplit(":", 1)[1])))
    try:
        alice, bob, gid = two_in_a_group(
            desktop, server.url, users, sign_in, arun, wait_for, alice_url=proxy.url
        )
        alice_name = alice.bridge.user.username
        outbox_path = alice.bridge.profile.outbox_path
        original = random_file(tmp_path / "report.pdf", 1_500_000)
        assert _drop(alice, [original])
        proxy.upload_rate = SLOW_UPLOAD_BYTES_PER_SECOND
        _send(qtbot, alice, "the report")
        model = alice.bridge.message_model(gid)

        def uploading() -> bool:
            # The pending row appears once its file is copied into the profile (under load
            # that may be after the Return), so find it by its text each time.
            rows = [
                r
                for r in range(model.rowCount())
                if model.index(r, 0).data(MessageRoles.BODY) == "the report"
            ]
            if not rows:
                return False
            value = model.index(rows[-1], 0).data(MessageRoles.UPLOAD_PROGRESS)
            return value is not None and 0.1 < value < 0.9

        wait_for(uploading, timeout=15)
        arun(desktop.shutdown(), timeout=20)  # quit mid-upload
        # The message and a copy of its file survive the quit; the original may go.
        with sqlite3.connect(outbox_path) as db:
            queued = db.execute("SELECT body FROM outbox").fetchall()
        assert queued == [("the report",)]
        original.unlink()
        assert "the report" not in bodies(bob)
        proxy.upload_rate = None
        again = DesktopApp(qapp, AppOptions(theme=ThemeChoice.LIGHT, session_options=FAST_SESSION))
        try:
            reopened = arun(again.open_profile(f"p-{alice_name}"))
            assert reopened is not None
            reopened.open_group(gid)
            wait_for(lambda: stored_files(reopened, "the report"), timeout=30)
            # Exactly once: one message, one file, as the server stores it.
            token = reopened.bridge.session.token
            page = arun(_messages(server.url, token, gid))
            sent = [m for m in page if m.body == "the report"]
            assert len(sent) == 1 and len(sent[0].attachments) == 1
            assert sent[0].attachments[0].size == 1_500_000
            assert reopened.bridge.outbox_length == 0
            assert not any(reopened.bridge.session.files_root.glob("*/*"))
        finally:
            arun(again.shutdown(), timeout=20)
            again.deleteLater()
    finally:
        arun(proxy.close())


async def _messages(url: str, token: str, group_id: int) -> list[Any]:
    rest = RestClient(url, token)
    try:
        return (await rest.messages(group_id, limit=50)).messages
    finally:
        await rest.aclose()


def test_a_file_chip_offers_open_and_save_and_a_click_tells_which(
    desktop: DesktopApp,
    server: ServerProcess,
    users: Any,
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    """Hit-testing on a drawn row: the picture means "view", the chip's words their action."""
    require_upload_routes(server.url)
    alice, bob, _gid = two_in_a_group(desktop, server.url, users, sign_in, arun, wait_for)
    photo = tmp_path / "photo.png"
    assert picture(200, 100).save(str(photo))
    notes = random_file(tmp_path / "notes.txt", 300)
    assert _drop(alice, [photo, notes])
    _send(qtbot, alice, "two files")
    wait_for(lambda: stored_files(bob, "two files"), timeout=20)
    view = bob.chat.view
    model = view.model()
    row = next(
        r
        for r in range(model.rowCount())
        if model.index(r, 0).data(MessageRoles.BODY) == "two files"
    )
    index = model.index(row, 0)
    view.scrollTo(index)
    clicked: list[tuple[str, str]] = []
    delegate = view.itemDelegate()
    delegate.file_clicked.disconnect()
    delegate.file_clicked.connect(lambda ref, action: clicked.append((ref.name, action)))
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    geo = delegate.geometry(option, index)
    assert geo.files is not None and len(geo.files.rects) == 2
    picture_rect, chip = geo.files.rects
    small = delegate._fonts(option.font)[2]
    opened, save = row_files.action_rects(chip, small)
    for point in (picture_rect.center(), opened.center(), save.center()):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point))
    assert clicked == [("photo.png", "view"), ("notes.txt", "open"), ("notes.txt", "save")]


@pytest.mark.parametrize("size", [20_000, 3_000_000], ids=["answer-read", "connection-closed"])
def test_a_file_the_server_refuses_fails_the_message_with_the_reason_and_discard_cleans_up(
    size: int,
    desktop: DesktopApp,
    make_server: Callable[..., ServerProcess],
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    """A server with a smaller limit than the protocol's default answers 413: the message is
    shown failed with the reason (not retried for ever), also when the file is so large that
    the server closes the connection before the client can read the 413; Discard gives the
    text back and the staged copy goes."""
    small = make_server(["--max-upload-bytes", "4096"])
    require_upload_routes(small.url)

    def users(n: int) -> list[str]:
        from tests.support.server import register, unique_name

        names = [unique_name("ui") for _ in range(n)]
        for name in names:
            register(small.url, name)
        return names

    alice, _bob, gid = two_in_a_group(desktop, small.url, users, sign_in, arun, wait_for)
    assert _drop(alice, [random_file(tmp_path / "scan.tiff", size)])
    _send(qtbot, alice, "the scan")
    model = alice.bridge.message_model(gid)
    row = model.rowCount() - 1
    wait_for(lambda: model.index(row, 0).data(MessageRoles.STATE) == "failed", timeout=20)
    error = str(model.index(row, 0).data(MessageRoles.ERROR))
    assert error.startswith("“scan.tiff”: "), error
    assert "4096 bytes" in error or "larger than the server accepts" in error, error
    staging = alice.bridge.session.files_root
    assert any(staging.glob("*/*")), "the copy waits while the message can be retried"
    cid = model.index(row, 0).data(MessageRoles.CLIENT_MSG_ID)
    alice.chat.view.discard_requested.emit(cid)
    assert alice.chat.composer.text() == "the scan"
    assert not any(staging.glob("*/*"))


def test_files_the_server_swept_while_the_app_was_away_are_uploaded_again_and_sent_once(
    qapp: Any,
    desktop: DesktopApp,
    make_server: Callable[..., ServerProcess],
    sign_in: Any,
    arun: Any,
    wait_for: Any,
    tmp_path: Path,
) -> None:
    """An outbox message whose files were uploaded but not yet sent when the app quit, and
    the server swept those uploads (kept unsent too long) before it came back: the send's
    422 naming the upload makes the app upload the files again, under new ids, and the
    message arrives once with its file (it used to fail, and Retry failed the same way)."""
    server = make_server(["--upload-pending-seconds", "1", "--file-sweep-seconds", "1"])
    require_upload_routes(server.url)

    def users(n: int) -> list[str]:
        from tests.support.server import register, unique_name

        names = [unique_name("ui") for _ in range(n)]
        for name in names:
            register(server.url, name)
        return names

    alice, _bob, gid = two_in_a_group(desktop, server.url, users, sign_in, arun, wait_for)
    session = alice.bridge.session
    token, user, instance = session.token, session.user, session.instance_id
    outbox_path, root = alice.bridge.profile.outbox_path, session.files_root
    arun(desktop.shutdown(), timeout=20)
    # What the app had done before it quit: the file staged and uploaded, its id recorded.
    original = random_file(tmp_path / "minutes.txt", 30_000)
    cid = str(uuid.uuid4())
    specs = stage(root, cid, [PendingFile(original.name, 30_000, path=original)])
    rest = RestClient(server.url, token)
    files = FilesClient(rest)
    try:
        uploaded = arun(files.upload(specs[0]["upload_id"], original.name, original, 30_000))
        specs[0]["attachment_id"] = uploaded.id
        # The server sweeps it: unsent for longer than it keeps uploads.
        wait_for(lambda: arun(files.upload_status(specs[0]["upload_id"])) is None, timeout=20)
    finally:
        arun(files.aclose())
        arun(rest.aclose())
    outbox = Outbox(
        outbox_path, user.id, username=user.username, instance_id=instance, files_root=root
    )
    item = OutboxItem(cid, gid, "minutes attached", datetime.now(UTC), attempts=1)
    outbox.add(replace(item, data={"attachments": specs}, group_name="Files"))
    outbox.close()
    again = DesktopApp(qapp, AppOptions(theme=ThemeChoice.LIGHT, session_options=FAST_SESSION))
    try:
        reopened = arun(again.open_profile(f"p-{user.username}"))
        assert reopened is not None
        reopened.open_group(gid)
        wait_for(lambda: stored_files(reopened, "minutes attached"), timeout=30)
        page = arun(_messages(server.url, token, gid))
        sent = [m for m in page if m.body == "minutes attached"]
        assert len(sent) == 1 and [a.size for a in sent[0].attachments] == [30_000]
        assert reopened.bridge.outbox_length == 0
    finally:
        arun(again.shutdown(), timeout=20)
        again.deleteLater()
