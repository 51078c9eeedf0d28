"""The chat: a QListView over a group's messages that keeps the reader's place."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QGuiApplication,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QMenu,
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)

from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.ui import theme
from desktop_app.ui.icons import menu_icon
from desktop_app.ui.message_delegate import MessageDelegate
from desktop_app.ui.tail_window import REVEAL_ROWS, TailWindow

# The reader counts as "at the bottom" within this many pixels of it.
PIN_TOLERANCE_PX = 24
# Older rows load when the top of the view is this close.
LOAD_OLDER_MARGIN_PX = 400
# One layout batch covers the whole window (see tail_window.py for why that matters).
MIN_BATCH = 200
NEW_BUTTON_MARGIN = 14


class ChatView(QListView):
    """Shows one group's messages; pinned to the newest unless the reader scrolled up."""

    retry_requested = Signal(str)
    discard_requested = Signal(str)
    pinned_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._windows: dict[int, TailWindow] = {}
        self._window: TailWindow | None = None
        self._pinned = True
        self._adjusting = 0
        self._anchor: QPersistentModelIndex | None = None
        self._anchor_offset = 0
        self._anchor_pending = False
        self._new_count = 0
        self._fill_check = QTimer(self, singleShot=True, interval=0)
        self._fill_check.timeout.connect(self._maybe_load_older)
        self._new_button = QToolButton(self.viewport())
        self._new_button.setObjectName("newMessagesButton")
        self._new_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self._new_button.hide()
        self._new_button.clicked.connect(self.scroll_to_newest)
        # Said in an empty chat of a group that has no messages at all (not while loading).
        self._empty_hint = ""
        self._loading_label = QLabel("Loading older messages…", self.viewport())
        self._loading_label.setObjectName("olderLoading")
        self._loading_label.hide()
        self.setObjectName("chatView")
        self.setUniformItemSizes(False)  # rows differ in height: never uniform
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(MIN_BATCH)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(True)
        self.setMouseTracking(True)
        self.verticalScrollBar().setSingleStep(24)
        self._delegate = MessageDelegate(self)
        self._delegate.retry_requested.connect(self.retry_requested)
        self._delegate.discard_requested.connect(self.discard_requested)
        self.setItemDelegate(self._delegate)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        copy = QAction("Copy", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_selection)
        self.addAction(copy)

    # --- which group ---------------------------------------------------------------------

    def show_model(self, model: MessageModel | None) -> None:
        """Show a group's messages, pinned to the newest."""
        if self._window is not None:
            self._disconnect_window(self._window)
        if model is None:
            self._window = None
            self._loading_label.hide()
            self.setModel(None)
            self._set_new_count(0)
            return
        window = self._windows.get(model.group_id)
        if window is None:
            window = TailWindow(model, parent=self)
            self._windows[model.group_id] = window
        self._window = window
        self._anchor = None
        self._anchor_pending = False
        window.follow_tail = True
        window.flush_appends()
        window.trim_to_tail()
        self._fit_batch(window.rowCount())
        self.setModel(window)
        window.rowsAboutToBeInserted.connect(self._before_insert)
        window.source.messages_appended.connect(self._on_source_appended)
        window.source.older_loading_changed.connect(self._on_older_loading)
        self._on_older_loading(window.source.is_loading_older())
        self._pinned = True
        self._set_new_count(0)
        self.doItemsLayout()
        self.scroll_to_newest()
        self._fill_check.start()

    def set_empty_hint(self, text: str) -> None:
        """What an empty chat says ("" for nothing, e.g. while its history loads)."""
        if text != self._empty_hint:
            self._empty_hint = text
            self.viewport().update()

    def empty_hint_shown(self) -> str:
        """The hint as the user sees it now ("" when messages are shown)."""
        model = self.model()
        return self._empty_hint if model is not None and model.rowCount() == 0 else ""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        hint = self.empty_hint_shown()
        if hint:
            painter = QPainter(self.viewport())
            painter.setPen(theme.colors().muted)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.viewport().rect().adjusted(16, 0, -16, 0), flags, hint)

    def _disconnect_window(self, window: TailWindow) -> None:
        window.rowsAboutToBeInserted.disconnect(self._before_insert)
        window.source.messages_appended.disconnect(self._on_source_appended)
        window.source.older_loading_changed.disconnect(self._on_older_loading)

    def _on_older_loading(self, loading: bool) -> None:
        label = self._loading_label
        label.setVisible(loading)
        if loading:
            label.adjustSize()
            label.move((self.viewport().width() - label.width()) // 2, 6)
            label.raise_()

    @property
    def window_model(self) -> TailWindow | None:
        return self._window

    @property
    def is_pinned(self) -> bool:
        return self._pinned

    @property
    def new_message_count(self) -> int:
        return self._new_count

    @property
    def new_messages_button(self) -> QToolButton:
        return self._new_button

    # --- keeping the place -------------------------------------------------------------------

    def _fit_batch(self, rows: int) -> None:
        self.setBatchSize(max(MIN_BATCH, rows + 64))

    def _before_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        window = self._window
        if window is None:
            return
        self._fit_batch(window.rowCount() + last - first + 1)
        if first == 0 and window.rowCount() > 0 and not self._pinned:
            top = self.indexAt(QPoint(4, 1))
            if top.isValid():
                self._anchor = QPersistentModelIndex(top)
                self._anchor_offset = self.visualRect(top).top()
                self._anchor_pending = True

    def _on_source_appended(self, count: int) -> None:
        if not self._pinned:
            self._set_new_count(self._new_count + count)

    def _set_pinned(self, pinned: bool) -> None:
        if pinned == self._pinned:
            return
        self._pinned = pinned
        if self._window is not None:
            self._window.follow_tail = pinned
            if pinned:
                self._window.flush_appends()
        if pinned:
            self._set_new_count(0)
        self.pinned_changed.emit(pinned)

    def updateGeometries(self) -> None:
        self._adjusting += 1
        try:
            super().updateGeometries()
            self._restore_place()
        finally:
            self._adjusting -= 1
        self._place_new_button()
        self._fill_check.start()

    def _restore_place(self) -> None:
        bar = self.verticalScrollBar()
        if self._pinned:
            bar.setValue(bar.maximum())
            return
        if self._anchor_pending and self._anchor is not None and self._anchor.isValid():
            rect = self.visualRect(self._anchor.model().index(self._anchor.row(), 0))
            if rect.isValid():
                bar.setValue(bar.value() + rect.top() - self._anchor_offset)
                self._anchor_pending = False

    def _on_scrolled(self, value: int) -> None:
        if self._adjusting:
            return
        bar = self.verticalScrollBar()
        self._set_pinned(value >= bar.maximum() - PIN_TOLERANCE_PX)
        self._anchor_pending = False
        if value <= LOAD_OLDER_MARGIN_PX:
            self._fill_check.start()
        window = self._window
        if not self._pinned and window is not None and window.pending_appends:
            # Held new rows join the window as the reader scrolls down towards them.
            if value >= bar.maximum() - self.viewport().height():
                window.reveal_newer(REVEAL_ROWS)

    def _maybe_load_older(self) -> None:
        """Reveal or fetch older rows when the top is near (or the view is not yet full)."""
        window = self._window
        if window is None:
            return
        bar = self.verticalScrollBar()
        near_top = bar.value() <= LOAD_OLDER_MARGIN_PX and (not self._pinned or bar.maximum() == 0)
        if not near_top:
            return
        if window.hidden_older > 0:
            window.reveal_older(REVEAL_ROWS)
        elif window.source.has_older():
            window.source.request_older()

    def scroll_to_newest(self) -> None:
        """Jump to the newest message and stay pinned there (Esc, the ↓ button, own sends)."""
        self._set_pinned(True)
        self._anchor_pending = False
        self._set_new_count(0)
        if self._window is not None:
            self._window.flush_appends()
            self._window.trim_to_tail()
        self._adjusting += 1
        try:
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())
        finally:
            self._adjusting -= 1

    # --- the "n new messages" button --------------------------------------------------------

    def _set_new_count(self, count: int) -> None:
        self._new_count = count
        if count <= 0:
            self._new_button.hide()
            return
        noun = "message" if count == 1 else "messages"
        self._new_button.setText(f"{count} new {noun} ↓")
        self._new_button.adjustSize()
        self._place_new_button()
        self._new_button.show()
        self._new_button.raise_()

    def _place_new_button(self) -> None:
        vp = self.viewport()
        b = self._new_button
        b.adjustSize()
        b.move(
            (vp.width() - b.width()) // 2,
            vp.height() - b.height() - NEW_BUTTON_MARGIN,
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._delegate.clear_cache()
        super().resizeEvent(event)
        self._place_new_button()

    # --- mouse, copy, menu -------------------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        over_link = False
        if index.isValid():
            option = QStyleOptionViewItem()
            self.initViewItemOption(option)
            option.rect = self.visualRect(index)
            over_link = self._delegate.link_at(option, index, event.position()) is not None
        cursor = Qt.CursorShape.PointingHandCursor if over_link else Qt.CursorShape.ArrowCursor
        self.viewport().setCursor(cursor)
        super().mouseMoveEvent(event)

    def selected_text(self) -> str:
        rows = (
            sorted(i.row() for i in self.selectionModel().selectedIndexes())
            if self.selectionModel()
            else []
        )
        model = self.model()
        parts = []
        for row in rows:
            index = model.index(row, 0)
            name = index.data(MessageRoles.SENDER_NAME)
            parts.append(
                f"{name}: {index.data(MessageRoles.BODY)}"
                if len(rows) > 1
                else str(index.data(MessageRoles.BODY))
            )
        return "\n".join(parts)

    def copy_selection(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if not index.isValid():
            return
        if not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        menu = QMenu(self)
        menu.addAction("Copy text", self.copy_selection)
        if index.data(MessageRoles.STATE) == "failed":
            cid = str(index.data(MessageRoles.CLIENT_MSG_ID))
            menu.addAction(menu_icon("retry"), "Retry", lambda: self.retry_requested.emit(cid))
            menu.addAction(
                menu_icon("discard"), "Discard", lambda: self.discard_requested.emit(cid)
            )
        menu.exec(event.globalPos())
