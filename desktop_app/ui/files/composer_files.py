"""The composer's files: the attach button (file dialog), paste and drop intake, the tray,
and one tray's worth per group (switching groups keeps each group's files with it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QToolButton, QWidget

from desktop_app.session.attachments import PendingFile
from desktop_app.ui.files.intake import Intake, from_mime, from_paths, has_files
from desktop_app.ui.files.tray import AttachTray
from desktop_app.ui.icons import menu_icon

ATTACH_TOOLTIP = "Attach files (or paste an image, or drop files on the chat)"
_DRAG_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)


class ComposerFiles(QObject):
    """Owns the tray and the attach button of one composer (which places them)."""

    changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.tray = AttachTray(parent)
        self.tray.hide()
        self.tray.changed.connect(self.changed)
        self.button = QToolButton(parent)
        self.button.setObjectName("attachButton")
        self.button.setIcon(menu_icon("attach"))
        self.button.setToolTip(ATTACH_TOOLTIP)
        self.button.setAccessibleName("Attach files")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.clicked.connect(self.choose)
        self._group_id: int | None = None
        self._stashed: dict[int, list[PendingFile]] = {}

    # --- intake ------------------------------------------------------------------------

    def choose(self) -> None:
        """The attach button: pick files in the platform's dialog."""
        names, _ = QFileDialog.getOpenFileNames(self._parent, "Attach files")
        if names:
            self.attach(from_paths([Path(n) for n in names]))

    def attach(self, intake: Intake) -> int:
        return self.tray.add(intake)

    def attach_mime(self, mime: QMimeData) -> int:
        """Files or an image pasted or dropped."""
        return self.attach(from_mime(mime))

    def accept_drops_on(self, widget: QWidget) -> None:
        """Files dropped on `widget` (the chat) are attached."""
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in _DRAG_EVENTS:
            return super().eventFilter(watched, event)
        assert isinstance(event, (QDragEnterEvent, QDragMoveEvent, QDropEvent))
        mime = event.mimeData()
        if mime is None or not has_files(mime) or not self._parent.isEnabled():
            event.ignore()
            return True
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        if event.type() == QEvent.Type.Drop:
            self.attach_mime(mime)
        return True

    # --- the message ---------------------------------------------------------------------

    def has_files(self) -> bool:
        return self.tray.count() > 0

    def take(self) -> list[PendingFile]:
        return self.tray.take()

    def refused(self, files: list[PendingFile], body: str, reason: str) -> None:
        """The files could not be queued (a copy failed): back in the tray, the text back in
        the editor, and the reason in words."""
        self.tray.add(Intake(files=files, problems=[f"Not sent: {reason}"]))
        composer = self._parent
        give_back = getattr(composer, "give_back", None)
        if body and give_back is not None:
            give_back(body)

    def switch_group(self, group_id: int | None) -> None:
        """Another group's composer: this group's files wait for it to come back."""
        if group_id == self._group_id:
            return
        files = self.tray.take()
        if self._group_id is not None and files:
            self._stashed[self._group_id] = files
        self._group_id = group_id
        waiting = self._stashed.pop(group_id, []) if group_id is not None else []
        if waiting:
            self.tray.add(Intake(files=waiting))
