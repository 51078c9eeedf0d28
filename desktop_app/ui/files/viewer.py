"""A picture at full size in a window of its own, fitted to the screen: the thumbnail shows at
once (scaled), the full file replaces it once downloaded. Esc or a click closes it."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import (
    QCloseEvent,
    QGuiApplication,
    QImage,
    QImageReader,
    QKeyEvent,
    QMouseEvent,
    QPixmap,
)
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from desktop_app.net.errors import ApiError
from desktop_app.net.files import FilesClient
from desktop_app.session.attachments import FileRef
from desktop_app.tasks import spawn
from desktop_app.ui.files import words

# The window takes at most this share of the screen's free area.
SCREEN_SHARE = 0.9
MIN_SIDE = 200


def _decode(path: Path) -> QImage:
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    return reader.read()


class ImageViewer(QDialog):
    """One picture; `loaded` is True once the full-size file is shown (tests wait for it)."""

    def __init__(
        self,
        ref: FileRef,
        files: FilesClient,
        preview: QPixmap | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("imageViewer")
        self.setWindowTitle(f"{ref.name} — {words.human_size(ref.size)}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ref = ref
        self._files = files
        self.loaded = False
        self.label = QLabel(self)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setObjectName("imageViewerPicture")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        self._room = self._screen_room()
        size = self._fitted(QSize(ref.width or MIN_SIDE, ref.height or MIN_SIDE))
        self.resize(size)
        if preview is not None and not preview.isNull():
            self._show(preview)
        else:
            self.label.setText("Loading…")
        self._task = spawn(self._load(), name=f"viewer-{ref.id}")

    def _screen_room(self) -> QSize:
        screen = self.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry().size() if screen is not None else QSize(1280, 800)
        return QSize(int(area.width() * SCREEN_SHARE), int(area.height() * SCREEN_SHARE))

    def _fitted(self, size: QSize) -> QSize:
        fitted = QSize(size)
        if fitted.width() > self._room.width() or fitted.height() > self._room.height():
            fitted.scale(self._room, Qt.AspectRatioMode.KeepAspectRatio)
        return QSize(max(MIN_SIDE, fitted.width()), max(MIN_SIDE, fitted.height()))

    def _show(self, pixmap: QPixmap) -> None:
        target = self._fitted(pixmap.size()) if self.loaded else self.size()
        self.label.setPixmap(
            pixmap.scaled(
                target,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    async def _load(self) -> None:
        if self.ref.id is None:
            return
        with tempfile.TemporaryDirectory(prefix="chat-view-") as folder:
            target = Path(folder) / "picture"
            try:
                await self._files.download(self.ref.id, target, size=self.ref.size)
                image = await asyncio.get_running_loop().run_in_executor(None, _decode, target)
            except ApiError as exc:
                self.label.setText(f"The picture could not be loaded: {exc.message}")
                return
        if image.isNull():
            self.label.setText("The picture could not be read.")
            return
        self.loaded = True
        self._show(QPixmap.fromImage(image))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._task.cancel()
        super().closeEvent(event)
