"""What clicks on a message's files do: a picture opens in the viewer; a file chip's Open
downloads it (with a progress dialog) to a temporary folder and hands it to the desktop's
default application; Save as… downloads it to the place the user picks."""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from desktop_app.models.bridge import SessionBridge
from desktop_app.net.errors import ApiError
from desktop_app.session.attachments import FileRef
from desktop_app.tasks import spawn
from desktop_app.ui.files import row_files, words
from desktop_app.ui.files.thumbnails import ThumbnailCache
from desktop_app.ui.files.viewer import ImageViewer
from desktop_app.ui.timeline.chat_view import ChatView
from desktop_app.ui.timeline.message_delegate import MessageDelegate

log = logging.getLogger(__name__)

PROGRESS_STEPS = 1000
# The progress dialog appears only for a download slower than this.
PROGRESS_DELAY_MS = 400
# Opening one of these straight from a chat would run it: Save as… is offered instead.
RUNNABLE_SUFFIXES = frozenset(
    ".app .bat .cmd .com .cpl .desktop .exe .hta .jar .js .jse .lnk .msi .msp .ps1 .py .reg "
    ".scr .sh .vb .vbe .vbs .ws .wsf".split()
)
# What a file name may not contain on a desktop file system.
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]')


def safe_name(name: str) -> str:
    """The file's name as a local file name (it came from another user)."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    return cleaned or "file"


class FileActions(QObject):
    """Wires one window's chat view to its session's files."""

    def __init__(self, window: QWidget, bridge: SessionBridge, view: ChatView) -> None:
        super().__init__(window)
        self._window = window
        self._bridge = bridge
        profile = bridge.profile
        folder = ThumbnailCache.folder_for(profile.data_dir, bridge.server_url, profile.instance_id)
        self.thumbnails = ThumbnailCache(bridge.files, folder, self)
        self.thumbnails.ready.connect(view.viewport().update)
        delegate = view.itemDelegate()
        assert isinstance(delegate, MessageDelegate)
        delegate.thumbnails = self.thumbnails
        delegate.file_clicked.connect(self.on_click)
        self._temp = tempfile.TemporaryDirectory(prefix="chat-open-")
        self.viewer: ImageViewer | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.last_message = ""

    def on_click(self, ref: FileRef, action: str) -> None:
        if ref.id is None:
            return
        if action == row_files.VIEW:
            self.view(ref)
        elif action == row_files.OPEN:
            self.open(ref)
        elif action == row_files.SAVE:
            self.save_as(ref)

    # --- the three actions ---------------------------------------------------------------

    def view(self, ref: FileRef) -> ImageViewer:
        self.viewer = ImageViewer(
            ref, self._bridge.files, self.thumbnails.pixmap(ref), self._window
        )
        self.viewer.show()
        return self.viewer

    def open(self, ref: FileRef) -> None:
        name = safe_name(ref.name)
        if Path(name).suffix.lower() in RUNNABLE_SUFFIXES:
            self._tell(
                f"“{ref.name}” could run a program, so it is not opened from the chat. "
                "Use Save as… and open it yourself if you trust it."
            )
            return
        folder = Path(self._temp.name) / str(ref.id)
        folder.mkdir(parents=True, exist_ok=True)
        spawn(self.download(ref, folder / name, open_after=True), name=f"open-{ref.id}")

    def save_as(self, ref: FileRef) -> None:
        chosen = self._ask_path(ref)
        if chosen:
            spawn(self.download(ref, Path(chosen)), name=f"save-{ref.id}")

    async def download(self, ref: FileRef, target: Path, *, open_after: bool = False) -> bool:
        """Download with a progress dialog (Cancel stops it); True once `target` is whole."""
        assert ref.id is not None
        dialog = QProgressDialog(
            f"Downloading “{ref.name}” ({words.human_size(ref.size)})…",
            "Cancel",
            0,
            PROGRESS_STEPS,
            self._window,
        )
        dialog.setWindowTitle("Downloading")
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setMinimumDuration(PROGRESS_DELAY_MS)
        dialog.setAutoClose(False)
        self.progress_dialog = dialog

        def progress(done: int, total: int) -> None:
            dialog.setValue(int(done * PROGRESS_STEPS / max(1, total)))

        task = spawn(
            self._bridge.files.download(ref.id, target, progress, ref.size),
            name=f"download-{ref.id}",
        )
        dialog.canceled.connect(task.cancel)
        try:
            await task
        except ApiError as exc:
            self._tell(f"“{ref.name}” could not be downloaded: {exc.message}")
            return False
        except OSError as exc:
            self._tell(f"“{ref.name}” could not be written to {target.parent}: {exc.strerror}")
            return False
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the window is going away
            return False  # Cancel in the dialog
        finally:
            dialog.reset()
            dialog.deleteLater()
        if open_after:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
        return True

    # --- helpers ---------------------------------------------------------------------

    def _ask_path(self, ref: FileRef) -> str:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
        suggested = str(Path(folder or Path.home()) / safe_name(ref.name))
        chosen, _ = QFileDialog.getSaveFileName(self._window, "Save as", suggested)
        return chosen

    def _tell(self, text: str) -> None:
        self.last_message = text
        box = QMessageBox(QMessageBox.Icon.Warning, "Files", text, parent=self._window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
