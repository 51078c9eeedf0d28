"""The tray above the composer's editor: the files about to be sent, each a preview (images)
or a chip (name, size) with a × to take it out; refusals (too many, too large) in words."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from chat_protocol import limits
from desktop_app.session.attachments import PendingFile
from desktop_app.ui.files import words
from desktop_app.ui.files.intake import Intake
from desktop_app.ui.icons import menu_icon

PREVIEW_PX = 56
CHIP_NAME_PX = 150
# A refusal stays in sight this long (or until the tray changes again).
NOTICE_MS = 12_000
ITEM_SPACING = 8


def preview_image(item: PendingFile, px: int = PREVIEW_PX) -> QImage:
    """The file's picture scaled to fit `px` (decoded at that size where the format can)."""
    if item.data is not None:
        image = QImage.fromData(item.data)
    else:
        reader = QImageReader(str(item.path))
        reader.setAutoTransform(True)
        if item.width and item.height:
            scale = px / max(item.width, item.height)
            if scale < 1:
                reader.setScaledSize(
                    QSize(max(1, round(item.width * scale)), max(1, round(item.height * scale)))
                )
        image = reader.read()
    if image.isNull():
        return image
    return image.scaled(
        px, px, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class TrayItem(QFrame):
    """One file in the tray."""

    remove_clicked = Signal(object)  # the TrayItem

    def __init__(self, item: PendingFile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.file = item
        self.setObjectName("attachItem")
        self.setToolTip(f"{item.name} · {words.human_size(item.size)}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 2, 4)
        layout.setSpacing(6)
        self.preview = QLabel(self)
        self.preview.setObjectName("attachPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        image = preview_image(item) if item.width else QImage()
        self.is_image = not image.isNull()
        if self.is_image:
            self.preview.setFixedSize(PREVIEW_PX, PREVIEW_PX)
            self.preview.setPixmap(QPixmap.fromImage(image))
            layout.addWidget(self.preview)
        else:
            self.preview.setPixmap(menu_icon("file").pixmap(24, 24))
            layout.addWidget(self.preview)
            text = QVBoxLayout()
            text.setSpacing(0)
            name = QLabel(self)
            name.setObjectName("attachName")
            name.setText(
                name.fontMetrics().elidedText(item.name, Qt.TextElideMode.ElideMiddle, CHIP_NAME_PX)
            )
            size = QLabel(words.human_size(item.size), self)
            size.setObjectName("attachSize")
            text.addWidget(name)
            text.addWidget(size)
            layout.addLayout(text)
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("attachRemove")
        self.remove_button.setText("×")
        self.remove_button.setToolTip(f"Remove {item.name}")
        self.remove_button.setAccessibleName(f"Remove {item.name}")
        self.remove_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.remove_button.clicked.connect(lambda: self.remove_clicked.emit(self))
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)


class AttachTray(QWidget):
    """Pending attachments of the message being written; hidden while empty."""

    changed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        max_files: int = limits.ATTACHMENTS_MAX,
        max_bytes: int = limits.UPLOAD_MAX_BYTES,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("attachTray")
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.items: list[TrayItem] = []
        self._row = QWidget()
        self._row.setObjectName("attachRow")
        self._row_layout = QHBoxLayout(self._row)
        self._row_layout.setContentsMargins(0, 0, 0, 0)
        self._row_layout.setSpacing(ITEM_SPACING)
        self._row_layout.addStretch(1)
        self.strip = QScrollArea(self)
        self.strip.setObjectName("attachScroll")
        self.strip.setWidget(self._row)
        self.strip.setWidgetResizable(True)
        self.strip.setFrameShape(QFrame.Shape.NoFrame)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.strip.setFixedHeight(PREVIEW_PX + 8 + 12)
        self.strip.hide()
        self.notice = QLabel(self)
        self.notice.setObjectName("attachNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self._notice_timer = QTimer(self, singleShot=True, interval=NOTICE_MS)
        self._notice_timer.timeout.connect(lambda: self._show_notice(""))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.strip)
        layout.addWidget(self.notice)

    # --- contents ------------------------------------------------------------------------

    def files(self) -> list[PendingFile]:
        return [item.file for item in self.items]

    def count(self) -> int:
        return len(self.items)

    def add(self, intake: Intake) -> int:
        """Add what fits (at most `max_files`, each at most `max_bytes`); says why anything
        was left out. Returns how many were added."""
        problems = list(intake.problems)
        added = 0
        left_out = 0
        for f in intake.files:
            if f.size > self.max_bytes:
                problems.append(words.too_large(f.name, f.size, self.max_bytes))
                continue
            if len(self.items) >= self.max_files:
                left_out += 1
                continue
            self._add_item(f)
            added += 1
        if left_out:
            problems.append(words.too_many(self.max_files, left_out))
        self._show_notice(" ".join(problems))
        if added:
            self._refresh()
        return added

    def remove(self, item: TrayItem) -> None:
        if item not in self.items:
            return
        self.items.remove(item)
        self._row_layout.removeWidget(item)
        item.deleteLater()
        self._show_notice("")
        self._refresh()

    def take(self) -> list[PendingFile]:
        """Empty the tray (the message was sent); returns what it held."""
        files = self.files()
        for item in self.items:
            self._row_layout.removeWidget(item)
            item.deleteLater()
        self.items.clear()
        self._show_notice("")
        self._refresh()
        return files

    def _add_item(self, f: PendingFile) -> None:
        item = TrayItem(f, self._row)
        item.remove_clicked.connect(self.remove)
        self._row_layout.insertWidget(len(self.items), item)
        self.items.append(item)

    def _refresh(self) -> None:
        self.strip.setVisible(bool(self.items))
        self.setVisible(bool(self.items) or not self.notice.isHidden())
        self.changed.emit()

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        if text:
            self._notice_timer.start()
            self.show()
        else:
            self._notice_timer.stop()
            self.setVisible(bool(self.items))
