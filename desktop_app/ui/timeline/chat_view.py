"""The chat: a QListView over a group's messages that keeps the reader's place and tells what was seen."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    Qt,
    QTimer,
    Signal,
)
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
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)

from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.ui import theme
from desktop_app.ui.timeline import links, message_menu
from desktop_app.ui.timeline.jump import Jumper
from desktop_app.ui.timeline.message_delegate import DIVIDER_HEIGHT, URL_HIT, MessageDelegate
from desktop_app.ui.timeline.tail_window import MAX_WINDOW_ROWS, REVEAL_ROWS, TailWindow

# The reader counts as "at the bottom" within this many pixels of it.
PIN_TOLERANCE_PX = 24
# Older rows load when the top of the view is this close.
LOAD_OLDER_MARGIN_PX = 400
# One layout batch covers the whole window (see tail_window.py for why that matters).
MIN_BATCH = 200
# Rows kept above the first unread when the view jumps there from far below.
SEEK_CONTEXT_ROWS = 20
NEW_BUTTON_MARGIN = 14
# What is in view is checked this long after the view last moved or changed (a burst of
# scrolling or of new rows costs one check).
SEEN_CHECK_MS = 30


class ChatView(QListView):
    """Shows one group's messages; pinned to the newest unless the reader scrolled up.

    A group with unread messages opens at the first of them, under a "New messages" line.
    While `reading` (the window is in front of the user), `seen(group_id, seq)` says the
    newest message whose row is in view; nothing else counts as read."""

    retry_requested = Signal(str)
    discard_requested = Signal(str)
    pinned_changed = Signal(bool)
    seen = Signal(int, int)  # group_id, seq
    # v2 intents, said about a message (see timeline/message_menu.py)
    reply_requested = Signal(int, str, str)  # message id, sender name, text
    edit_requested = Signal(object, str, str)  # message id (None: pending), client_msg_id, text
    delete_requested = Signal(object, str)  # message id (None: pending), client_msg_id
    reaction_toggled = Signal(int, str, bool)  # message id, emoji, add

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
        self._unread = 0
        self._last_read = 0
        self._jumped = False
        self._reading = False
        self._last_seen: tuple[int, int] | None = None
        # Placing the first unread message at the top (loading older pages until it is held).
        self._seeking = False
        self._seek_from: int | None = None  # the top seq held when older rows were asked for
        self._older_failed_at: int | None = None  # ... and it stayed the top: the load failed
        self._seen_check = QTimer(self, singleShot=True, interval=SEEN_CHECK_MS)
        self._seen_check.timeout.connect(self._report_seen)
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
        self._delegate.reaction_toggled.connect(self.reaction_toggled)
        self._delegate.react_menu_requested.connect(self._on_react_button)
        self._delegate.url_clicked.connect(links.open_link)
        self.setItemDelegate(self._delegate)
        self.jumper = Jumper(self)
        self._delegate.quote_clicked.connect(self.jumper.jump_to)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        copy = QAction("Copy", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_selection)
        self.addAction(copy)

    # --- which group ---------------------------------------------------------------------

    def show_model(
        self, model: MessageModel | None, last_read_seq: int = 0, unread: int = 0
    ) -> None:
        """Show a group's messages: at the first unread one (after `last_read_seq`) when there
        are `unread` ones, else pinned to the newest."""
        if self._window is not None:
            self._disconnect_window(self._window)
        self._seeking = False
        self._unread = unread
        self._last_read = last_read_seq
        self._jumped = False
        self._last_seen = None
        self._older_failed_at = None
        self._delegate.divider_seq = None  # the new model is laid out below
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
        window.source.rowsInserted.connect(self._on_source_inserted)
        window.source.older_loading_changed.connect(self._on_older_loading)
        self._on_older_loading(window.source.is_loading_older())
        self._pinned = True
        self._set_new_count(0)
        self.doItemsLayout()
        if unread > 0:
            self._seeking = True
            self._set_pinned(False)
            self._try_seek()
        else:
            self._pin_to_newest()
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
        window.source.rowsInserted.disconnect(self._on_source_inserted)
        window.source.older_loading_changed.disconnect(self._on_older_loading)

    def _on_older_loading(self, loading: bool) -> None:
        window = self._window
        if not loading and self._seeking and window is not None:
            if window.source.timeline.lo == self._seek_from:
                # The page did not come (offline): show from the oldest message held
                # rather than ask again and again.
                self._older_failed_at = self._seek_from
            QTimer.singleShot(0, self._try_seek)
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

    def _on_source_inserted(self, *_args: object) -> None:
        if self._seeking:
            # After the window has taken the rows in (it follows the same signal).
            QTimer.singleShot(0, self._try_seek)

    def _set_pinned(self, pinned: bool) -> None:
        if pinned == self._pinned:
            return
        self._pinned = pinned
        if self._window is not None:
            self._window.follow_tail = pinned
            if pinned:
                self._window.flush_appends()
        self._update_new_button()
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
        self._seen_check.start()

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
        if not self._seeking:
            self._set_pinned(value >= bar.maximum() - PIN_TOLERANCE_PX)
        self._anchor_pending = False
        self._seen_check.start()
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

    def reader_moved(self) -> None:
        """The reader went somewhere on purpose (a quote's original): a pending move to the
        first unread must not take the view away from there."""
        self._seeking = False
        self._jumped = True

    def scroll_to_newest(self) -> None:
        """Jump to the newest message and stay pinned there (Esc, the ↓ button, own sends):
        the user chose to, so what comes into view is read even if some was skipped."""
        self._jumped = True
        self._pin_to_newest()

    def _pin_to_newest(self) -> None:
        self._seeking = False
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
        self._seen_check.start()

    # --- what the reader has seen --------------------------------------------------------

    @property
    def divider_seq(self) -> int | None:
        """The seq of the message under the "New messages" line (None: no line)."""
        return self._delegate.divider_seq

    @property
    def reading(self) -> bool:
        return self._reading

    def set_reading(self, reading: bool) -> None:
        """Whether the user can see this view now (its window active and not minimised)."""
        if reading == self._reading:
            return
        self._reading = reading
        if reading:
            self._seen_check.start()

    def _set_divider(self, seq: int | None) -> None:
        old = self._delegate.divider_seq
        if seq == old:
            return
        # The rows of the old and the new line change height; one above the reader's
        # place would move what they look at, so the scroll position makes up for it.
        shift = 0
        if not self._pinned:
            shift = DIVIDER_HEIGHT * (self._is_above_view(seq) - self._is_above_view(old))
        self._delegate.divider_seq = seq
        if self.model() is None:
            return
        self.doItemsLayout()
        if shift:
            self._adjusting += 1
            try:
                self.verticalScrollBar().setValue(self.verticalScrollBar().value() + shift)
            finally:
                self._adjusting -= 1

    def _is_above_view(self, seq: int | None) -> bool:
        """Whether the row of message `seq` is laid out above the top of the view."""
        window = self._window
        if window is None or seq is None:
            return False
        tl = window.source.timeline
        i = bisect_left(tl.seqs, seq)
        row = i - window.hidden_older
        if i >= len(tl.seqs) or tl.seqs[i] != seq or not 0 <= row < window.rowCount():
            return False
        return self.visualRect(window.index(row, 0)).top() < 0

    def _try_seek(self) -> None:
        """Place the first unread message at the top, loading older pages until it is held."""
        window = self._window
        if window is None or not self._seeking:
            return
        source = window.source
        tl = source.timeline
        if tl.lo is None:
            return  # the first page is on its way: tried again when rows arrive
        if self._older_needed():
            self._seek_from = tl.lo
            source.request_older()  # tried again when the page is in (or the load failed)
            return
        row = self._first_unread_row()
        self._seeking = False
        if row is None:
            self._pin_to_newest()  # nothing unread is held after all
            return
        self._set_divider(tl.confirmed[row].seq)
        if row < window.hidden_older:
            if window.hidden_older - row + window.rowCount() > MAX_WINDOW_ROWS:
                # Far above the window (a fast chat): hold the rows from there on, not all of
                # them down to the newest (each would be laid out before the scroll).
                window.show_from(max(0, row - SEEK_CONTEXT_ROWS))
            else:
                window.reveal_older(window.hidden_older - row)
        self._place_at_top(row - window.hidden_older)

    def _place_at_top(self, window_row: int) -> None:
        window = self._window
        if window is None:
            return
        self._fit_batch(window.rowCount())
        self.doItemsLayout()
        self._anchor_pending = False
        self._adjusting += 1
        try:
            self.scrollTo(window.index(window_row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        finally:
            self._adjusting -= 1
        bar = self.verticalScrollBar()
        self._set_pinned(bar.value() >= bar.maximum() - PIN_TOLERANCE_PX)
        self._update_new_button()
        self._seen_check.start()

    def _first_unread_row(self) -> int | None:
        """The model row of the first unread message from others (None: none is held)."""
        window = self._window
        if window is None:
            return None
        tl = window.source.timeline
        first = bisect_right(tl.seqs, self._last_read)
        return next(
            (i for i in range(first, len(tl.confirmed)) if not tl.confirmed[i].is_own), None
        )

    def _older_needed(self) -> bool:
        """Whether the first unread message is older than the rows held (and can be loaded)."""
        window = self._window
        if window is None:
            return False
        tl = window.source.timeline
        return (
            tl.lo is not None
            and tl.lo > self._last_read + 1
            and tl.has_older()
            and tl.lo != self._older_failed_at
        )

    def _unread_above(self) -> bool:
        """Whether unread messages lie above the view (or above what is loaded): the view got
        there by following the newest, not by the reader, so they were never in sight."""
        window = self._window
        if window is None or self._unread <= 0 or not self._pinned or self._jumped:
            return False
        if self._older_needed():
            return True
        row = self._first_unread_row()
        if row is None:
            return False
        shown = row - window.hidden_older
        return shown < 0 or self.visualRect(window.index(shown, 0)).top() < 0

    def _report_seen(self) -> None:
        """Say the newest message whose row is in view (at least half of it, or half the view)."""
        window = self._window
        if not self._reading or self._seeking or window is None or not self.isVisible():
            return
        if self._unread_above():
            self._seeking = True  # show them from the first one instead
            self._set_pinned(False)
            self._try_seek()
            return
        self._jumped = False
        height = self.viewport().height()
        bottom = self.indexAt(QPoint(4, height - 1))
        row = bottom.row() if bottom.isValid() else window.rowCount() - 1
        while row >= 0:
            rect = self.visualRect(window.index(row, 0))
            if rect.bottom() < 0:
                return
            shown = min(rect.bottom(), height - 1) - max(rect.top(), 0) + 1
            seq = window.row_at(row).seq
            if seq is not None and shown * 2 >= min(rect.height(), height):
                self._emit_seen(window.source.group_id, seq)
                return
            row -= 1

    def _emit_seen(self, group_id: int, seq: int) -> None:
        if self._last_seen is not None and self._last_seen[0] == group_id:
            if seq <= self._last_seen[1]:
                return
        self._last_seen = (group_id, seq)
        self.seen.emit(group_id, seq)

    # --- the "n new messages" button --------------------------------------------------------

    def set_unread(self, count: int, last_read_seq: int, first_unread: int | None) -> None:
        """The group's unread count as the list shows it (the ↓ button says the same), its
        read marker, and where its first unread message is (for the "New messages" line)."""
        fresh = count > 0 and (self._unread == 0 or self._delegate.divider_seq is None)
        self._unread = count
        self._last_read = last_read_seq
        # The line marks where this visit's unread messages began; it moves only when new
        # ones come after all were read, and messages read as they arrive (the reader at
        # the bottom, looking) get none.
        if fresh and first_unread is not None and not (self._reading and self._pinned):
            self._set_divider(first_unread)
        self._update_new_button()
        if count > 0:
            self._seen_check.start()

    def _update_new_button(self) -> None:
        self._set_new_count(0 if self._pinned or self._seeking else self._unread)

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

    def _hit(self, index: QModelIndex, pos: QPointF) -> str | None:
        """What the delegate has at `pos` in the row of `index` (see MessageDelegate.link_at)."""
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualRect(index)
        return self._delegate.link_at(option, index, pos)

    def url_at(self, pos: QPoint) -> str | None:
        """The address of the link in a message's text at viewport point `pos`, if any."""
        index = self.indexAt(pos)
        hit = self._hit(index, QPointF(pos)) if index.isValid() else None
        return hit.removeprefix(URL_HIT) if hit is not None and hit.startswith(URL_HIT) else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        over_link = index.isValid() and self._hit(index, event.position()) is not None
        hovered = index.row() if index.isValid() else None
        if hovered != self._delegate.hovered_row:
            self._delegate.hovered_row = hovered
            self.viewport().update()
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
        url = self.url_at(event.pos())
        message_menu.context_menu(self, index, url).exec(event.globalPos())

    # --- v2: reply, edit, react ------------------------------------------------------------

    def leaveEvent(self, event: QEvent) -> None:
        self._delegate.hovered_row = None
        self.viewport().update()
        super().leaveEvent(event)

    def highlight_message(self, message_id: int | None) -> None:
        self._delegate.highlighted_id = message_id
        self.viewport().update()

    def _on_react_button(self, message_id: int, where: QPoint) -> None:
        index = self.indexAt(self.viewport().mapFromGlobal(where))
        if index.isValid():
            message_menu.reactions_menu(self, message_id, index, where)
