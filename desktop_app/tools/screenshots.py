"""Render the demo's two windows (alice and bob) in light and dark to PNGs: `python -m desktop_app.tools.screenshots docs/`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter
from PySide6.QtWidgets import QApplication

from desktop_app.app import AppOptions, DesktopApp, make_qapplication, run_loop
from desktop_app.models.roles import GroupRoles, MemberRoles, MessageRoles
from desktop_app.session.attachments import PendingFile
from desktop_app.session.state import ConnState
from desktop_app.ui.files.intake import from_paths
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import ThemeChoice
from desktop_app.ui.timeline import message_menu

WINDOW_SIZE = (860, 600)
GAP = 24
READY_TIMEOUT_SECONDS = 30.0
SETTLE_SECONDS = 0.6
SEARCH_SHOT_QUERY = "new"


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"screenshots: timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _window_of(app: DesktopApp, username: str) -> MainWindow:
    return next(w for w in app.windows if w.bridge.user.username == username)


def _group_id(window: MainWindow, name: str) -> int:
    model = window.bridge.groups
    for row in range(model.rowCount()):
        if model.index(row, 0).data() == name:
            gid = model.group_id_at(row)
            assert gid is not None
            return gid
    raise LookupError(name)


async def stage(app: DesktopApp) -> tuple[MainWindow, MainWindow]:
    """Bring the demo to a state worth showing: live, history, a badge, typing, a draft."""
    alice = _window_of(app, "alice")
    bob = _window_of(app, "bob")
    for w in (alice, bob):
        w.resize(*WINDOW_SIZE)
    await wait_for(
        lambda: all(w.bridge.status.state is ConnState.LIVE for w in (alice, bob)),
        "both sessions live",
    )
    await wait_for(
        lambda: all(w.bridge.groups.rowCount() >= 3 for w in (alice, bob)), "demo groups"
    )
    general_a = _group_id(alice, "General")
    general_b = _group_id(bob, "General")
    random_b = _group_id(bob, "Random")
    alice.open_group(general_a)
    bob.open_group(general_b)
    bob.bridge.send(general_b, "Pulled the cable twice: both windows caught up.")
    bob.bridge.send(general_b, "Nothing missing, nothing doubled. 👍")
    await asyncio.sleep(0.3)
    alice.bridge.send(
        general_a,
        "That's the point of the seq numbers 🙂\nThe status bar shows each step: offline → reconnecting → syncing → live.",
    )
    random_a = _group_id(alice, "Random")
    unread_before = alice.groups.unread_of(random_a)
    bob.bridge.send(random_b, "Noodles at 12:30?")
    await wait_for(lambda: alice.groups.unread_of(random_a) > unread_before, "alice's Random badge")
    await wait_for(
        lambda: alice.chat.view.model() is not None and alice.chat.view.model().rowCount() >= 6,
        "alice's history",
    )
    await stage_v2(alice, bob, general_a, general_b)
    await stage_files(alice, bob, general_a, general_b)
    await stage_mentions(alice, bob, general_b, random_a, random_b)
    await stage_comforts(alice, bob, general_a, general_b)
    # Alice types (a real typing notice reaches bob); bob has a draft of his own.
    alice.chat.composer.edit.insertPlainText("Great, then let's tag the release")
    await wait_for(lambda: "typing" in bob.chat.typing_label.text(), "bob's typing line")
    message_menu.reply_to_current(bob.chat.view)  # the composer's "Reply to" bar
    bob.chat.composer.edit.insertPlainText("Looks good — shipping it")
    await asyncio.sleep(SETTLE_SECONDS)
    return alice, bob


def _newest_id(window: MainWindow, body: str) -> int | None:
    model = window.chat.view.model()
    if model is None:
        return None
    for row in range(model.rowCount() - 1, -1, -1):
        index = model.index(row, 0)
        if index.data(MessageRoles.BODY) == body:
            value = index.data(MessageRoles.ID)
            return int(value) if value is not None else None
    return None


async def stage_v2(alice: MainWindow, bob: MainWindow, general_a: int, general_b: int) -> None:
    """Protocol v2 on screen: a reply with its quote, an edit, a deletion, reactions, a system
    line and the members panel (skipped, with a note, where the client cannot do it yet)."""
    try:
        bob.bridge.send(general_b, "Release notes are in the wiki, typo and all")
        await wait_for(
            lambda: _newest_id(bob, "Release notes are in the wiki, typo and all") is not None,
            "bob's note stored",
        )
        note = _newest_id(bob, "Release notes are in the wiki, typo and all")
        assert note is not None
        bob.bridge.edit_message(general_b, note, "Release notes are in the wiki")
        await wait_for(
            lambda: _newest_id(alice, "Release notes are in the wiki") is not None,
            "the edit at alice's",
        )
        alice.bridge.send(general_a, "Thanks, reading them now", note)
        alice.bridge.react(general_a, note, "👍", True)
        bob.bridge.react(general_b, note, "🎉", True)
        bob.bridge.send(general_b, "oops, wrong group")
        await wait_for(
            lambda: _newest_id(bob, "oops, wrong group") is not None, "bob's slip stored"
        )
        slip = _newest_id(bob, "oops, wrong group")
        bob.bridge.delete_message(general_b, slip)
        # carol leaves and comes back: two system lines, and the members panel follows.
        members = alice.bridge.members_model(general_a)
        await wait_for(lambda: members.rowCount() > 0, "General's members")
        carol = next(
            members.index(r).data(MemberRoles.USER_ID)
            for r in range(members.rowCount())
            if members.index(r).data(MemberRoles.USERNAME) == "carol"
        )
        alice.bridge.remove_member(general_a, int(carol))
        await wait_for(lambda: members.rowCount() == 2, "carol removed")
        await alice.bridge.add_member(general_a, "carol")
        await wait_for(lambda: members.rowCount() == 3, "carol back")
    except NotImplementedError as exc:
        print(f"screenshots: v2 staging skipped ({exc!r})", file=sys.stderr)
    except Exception as exc:  # a refusal: show what there is
        print(f"screenshots: v2 staging partly skipped: {exc}", file=sys.stderr)
    alice.chat.members_button.setChecked(True)
    await asyncio.sleep(SETTLE_SECONDS)


async def search_shot(window: MainWindow, path: Path) -> Path:
    """Ctrl+Shift+F's window with the hits of a search across the demo's groups."""
    window.show_search(True)
    search = window.search_window
    assert search is not None
    search.search(SEARCH_SHOT_QUERY)
    await wait_for(lambda: search.results.count() >= 2, "search hits")
    await asyncio.sleep(SETTLE_SECONDS)
    search.repaint()
    QApplication.processEvents()
    search.grab().toImage().save(str(path))
    search.close()
    return path


def _demo_picture(width: int, height: int) -> QImage:
    """A sunset-like picture for the image message (drawn, so no file ships with the tool)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    sky = QLinearGradient(0, 0, 0, height)
    sky.setColorAt(0.0, QColor("#1e3a8a"))
    sky.setColorAt(0.6, QColor("#f97316"))
    sky.setColorAt(1.0, QColor("#fde68a"))
    painter.fillRect(image.rect(), sky)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#fff7ed"))
    painter.drawEllipse(width // 2 - 60, height * 3 // 5 - 60, 120, 120)
    painter.setBrush(QColor("#0f172a"))
    painter.drawRect(0, height * 4 // 5, width, height // 5)
    painter.end()
    return image


async def stage_files(alice: MainWindow, bob: MainWindow, general_a: int, general_b: int) -> None:
    """Issue 12 on screen: a picture from bob, a file from alice (shown as a chip)."""
    folder = Path(tempfile.mkdtemp(prefix="screenshots-files-"))
    photo = folder / "sunset.png"
    _demo_picture(960, 640).save(str(photo))
    notes = folder / "release-notes-2.4.pdf"
    notes.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 700)
    try:
        bob.bridge.send(
            general_b,
            "View from the office today",
            files=[PendingFile(photo.name, photo.stat().st_size, photo, width=960, height=640)],
        )
        alice.bridge.send(
            general_a, "", files=[PendingFile(notes.name, notes.stat().st_size, notes)]
        )
        await wait_for(
            lambda: all(_stored_files(w) >= 2 for w in (alice, bob)), "files stored and shown"
        )
        thumbs = [w.file_actions.thumbnails for w in (alice, bob)]
        await wait_for(lambda: all(t.fetched >= 1 for t in thumbs), "thumbnails fetched")
        # Alice's next message has a picture waiting in the tray above her draft.
        alice.chat.composer.files.attach(from_paths([photo]))
    except Exception as exc:  # a server without files: show what there is
        print(f"screenshots: files staging partly skipped: {exc}", file=sys.stderr)
    await asyncio.sleep(SETTLE_SECONDS)


def _stored_files(window: MainWindow) -> int:
    model = window.chat.view.model()
    if model is None:
        return 0
    count = 0
    for row in range(model.rowCount()):
        files = model.index(row, 0).data(MessageRoles.ATTACHMENTS) or ()
        count += sum(1 for f in files if f.id is not None)
    return count


async def stage_mentions(
    alice: MainWindow, bob: MainWindow, general_b: int, random_a: int, random_b: int
) -> None:
    """Issue 12 on screen: mentions in General (alice's own one stronger), and Random muted
    at alice's with its grey badge and the @ of a mention that still got through."""
    try:
        await alice.bridge.set_muted(random_a, True)
        bob.bridge.send(general_b, "@alice the build is green; @carol can you check the docs?")
        bob.bridge.send(random_b, "@alice shall I book a table?")
        await wait_for(
            lambda: bool(
                alice.bridge.groups.index(alice.bridge.groups.row_of(random_a) or 0, 0).data(
                    GroupRoles.UNREAD_MENTION
                )
            ),
            "alice's muted Random with a mention",
        )
    except Exception as exc:  # a refusal: show what there is
        print(f"screenshots: mentions staging partly skipped: {exc}", file=sys.stderr)
    await asyncio.sleep(SETTLE_SECONDS)


# Reading comforts (issue 12): a long link, right-to-left text, emoji.
LINK_MESSAGE = (
    "Build log: https://ci.example.org/pipelines/2026/12/05/desktop-app/jobs/"
    "integration-tests-linux-x86_64/artifacts/logs/full-output.txt (see www.example.org)"
)
RTL_MESSAGE = "שלום לכולם! הגרסה החדשה מוכנה, ראו release notes"
EMOJI_MESSAGE = "Shipped 🚀🎉 thanks all 🙌 👍 ❤️ 🇩🇪 👨‍👩‍👧"


async def stage_comforts(
    alice: MainWindow, bob: MainWindow, general_a: int, general_b: int
) -> None:
    """A link shortened in its middle, a Hebrew message aligned right, a row of emoji."""
    bob.bridge.send(general_b, LINK_MESSAGE)
    await asyncio.sleep(0.2)
    alice.bridge.send(general_a, RTL_MESSAGE)
    await asyncio.sleep(0.2)
    bob.bridge.send(general_b, EMOJI_MESSAGE)
    await wait_for(lambda: _newest_id(alice, EMOJI_MESSAGE) is not None, "the emoji message")


def grab_dialogs(window: MainWindow, name: str, out_dir: Path) -> list[Path]:
    """The Settings and About windows of `window`, one PNG each."""
    written = []
    for kind, dialog in (
        ("settings", window.menus.show_settings()),
        ("about", window.menus.show_about()),
    ):
        QApplication.processEvents()
        path = out_dir / f"screenshot-{kind}-{name}.png"
        dialog.grab().toImage().save(str(path))
        dialog.close()
        written.append(path)
    return written


def compose(left: QImage, right: QImage, background: QColor) -> QImage:
    width = left.width() + right.width() + 3 * GAP
    height = max(left.height(), right.height()) + 2 * GAP
    out = QImage(width, height, QImage.Format.Format_ARGB32)
    out.fill(background)
    painter = QPainter(out)
    painter.drawImage(QPoint(GAP, GAP), left)
    painter.drawImage(QPoint(2 * GAP + left.width(), GAP), right)
    painter.end()
    return out


def grab(window: MainWindow) -> QImage:
    window.repaint()
    QApplication.processEvents()
    return window.grab(QRect(0, 0, window.width(), window.height())).toImage()


async def render(out_dir: Path) -> list[Path]:
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    app = DesktopApp(qapp, AppOptions(demo=True, theme=ThemeChoice.LIGHT))
    written: list[Path] = []
    try:
        await app.start_demo()
        alice, bob = await stage(app)
        for choice, name in ((ThemeChoice.LIGHT, "light"), (ThemeChoice.DARK, "dark")):
            app.set_theme(choice)
            await asyncio.sleep(SETTLE_SECONDS)
            background = QColor("#e5e7eb") if name == "light" else QColor("#111214")
            image = compose(grab(alice), grab(bob), background)
            path = out_dir / f"screenshot-{name}.png"
            image.save(str(path))
            written.append(path)
            written.append(await search_shot(alice, out_dir / f"screenshot-search-{name}.png"))
            label = alice.menus.show_about().server_version
            await wait_for(lambda lab=label: lab.text() != "asking…", "the server version")  # type: ignore[misc]
            written += grab_dialogs(alice, name, out_dir)
    finally:
        await app.shutdown()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("docs"))
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    make_qapplication(sys.argv[:1])
    paths: list[Path] = run_loop(render(args.out_dir))
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
