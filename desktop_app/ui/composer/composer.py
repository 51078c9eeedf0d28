"""The message composer: Enter sends, Shift+Enter breaks the line, drafts per group, a length count."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from chat_protocol import limits
from chat_protocol.validation import body_problem
from desktop_app.ui.bidi import follow_text_direction
from desktop_app.ui.composer.mention_completer import MentionCompleter
from desktop_app.ui.composer.mode_bar import EditTarget, ModeBar, ReplyTarget
from desktop_app.ui.files.composer_files import ComposerFiles
from desktop_app.ui.files.intake import has_files
from desktop_app.ui.icons import icon

# The editor grows with its text up to this many lines, then scrolls.
MAX_VISIBLE_LINES = 8
# Room kept free beside the placeholder (the cursor, rounding) so it never wraps.
HINT_SLACK_PX = 6
# The length count appears once the text is this close to the limit.
COUNT_WARNING_MARGIN = 200
# Text given back to a composer that holds a draft goes after the draft, this far apart.
GIVE_BACK_SEPARATOR = "\n\n"
# Typing notices go out at most this often (the server drops extras anyway).
TYPING_NOTICE_INTERVAL_MS = int(limits.TYPING_INTERVAL_SECONDS * 1000) + 500


def join_draft(draft: str, text: str) -> str:
    """The draft with `text` after it, a blank line apart; a draft of only whitespace holds
    nothing worth keeping and gives way."""
    if not draft.strip():
        return text
    # Complete the blank line with as many newlines as the draft lacks.
    trailing = len(draft) - len(draft.rstrip("\n"))
    return draft + GIVE_BACK_SEPARATOR[min(trailing, len(GIVE_BACK_SEPARATOR)) :] + text


class ComposerEdit(QPlainTextEdit):
    """A plain-text editor that sends on Enter and breaks the line on Shift+Enter."""

    submit = Signal()
    up_in_empty = Signal()  # Up with nothing written: edit one's last message
    files_given = Signal(object)  # QMimeData of files or an image, pasted or dropped here

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hint = ""
        self.setObjectName("composerEdit")
        self.setTabChangesFocus(True)
        self.setPlaceholderText("Write a message…")
        self.setToolTip("Enter sends · Shift+Enter starts a new line")
        self.document().contentsChanged.connect(self._fit_height)
        # A large paste is laid out lazily: its wrapped height is only known when the layout
        # reports the new size, after contentsChanged.
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()
        follow_text_direction(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        modifiers = event.modifiers()
        if enter and not modifiers & (
            Qt.KeyboardModifier.ShiftModifier
            | Qt.KeyboardModifier.ControlModifier
            | Qt.KeyboardModifier.AltModifier
        ):
            self.submit.emit()
            return
        if enter and modifiers & Qt.KeyboardModifier.ShiftModifier:
            self.insertPlainText("\n")
            return
        if event.key() == Qt.Key.Key_Up and not modifiers and not self.toPlainText():
            self.up_in_empty.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return has_files(source) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if has_files(source):
            self.files_given.emit(source)
            return
        super().insertFromMimeData(source)

    def setPlaceholderText(self, text: str) -> None:
        # The placeholder wraps like text would, and its second line would be cut off in a
        # one-line editor: keep the whole hint and show as much as fits on one line.
        self._hint = text
        self._elide_hint()

    def hint(self) -> str:
        """The whole placeholder ("Message Team…"), however much of it is shown."""
        return self._hint

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide_hint()

    def _elide_hint(self) -> None:
        room = self.viewport().width() - 2 * int(self.document().documentMargin()) - HINT_SLACK_PX
        shown = self.fontMetrics().elidedText(self._hint, Qt.TextElideMode.ElideRight, room)
        super().setPlaceholderText(shown)

    def _fit_height(self) -> None:
        fm = self.fontMetrics()
        lines = max(1, min(MAX_VISIBLE_LINES, int(self.document().size().height())))
        margins = self.contentsMargins()
        doc_margin = self.document().documentMargin()
        height = lines * fm.lineSpacing() + 2 * doc_margin + margins.top() + margins.bottom() + 4
        self.setFixedHeight(int(height))


class Composer(QFrame):
    """Composer bar; emits `send_requested(body)` and `typing()`; holds one draft per group."""

    send_requested = Signal(str)
    files_send_requested = Signal(str, object, object)  # body, [PendingFile], reply-to id
    reply_requested = Signal(str, int)  # body, the replied-to message id
    edit_submitted = Signal(object, str, str)  # message id (None: pending), client_msg_id, body
    edit_last_requested = Signal()
    typing = Signal()
    draft_changed = Signal(int, str)  # group_id, text

    def __init__(self, parent: QWidget | None = None, body_max: int = limits.BODY_MAX) -> None:
        super().__init__(parent)
        self.setObjectName("composerFrame")
        self._body_max = body_max
        self._group_id: int | None = None
        self._loading = False
        self._giving_back = False
        self._typing_gate = QTimer(self, singleShot=True, interval=TYPING_NOTICE_INTERVAL_MS)
        self.editing: EditTarget | None = None
        self.replying: ReplyTarget | None = None
        self._saved_draft = ""  # the draft put aside while editing
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.edit = ComposerEdit(self)
        self.send_button = QToolButton(self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setText("Send")
        self.send_button.setIcon(icon("send", "#ffffff"))
        self.send_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.send_button.setToolTip("Send (Enter)")
        self.send_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("composerCount")
        self.count_label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.count_label.hide()
        self.files = ComposerFiles(self)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.files.button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.edit, 1)
        side = QVBoxLayout()
        side.addStretch(1)
        side.addWidget(self.send_button)
        row.addLayout(side)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 8, 12, 10)
        outer.setSpacing(4)
        self.mode_bar = ModeBar(self)
        self.mode_bar.cancelled.connect(self.cancel_mode)
        outer.addWidget(self.mode_bar)
        outer.addWidget(self.files.tray)
        outer.addLayout(row)
        outer.addWidget(self.count_label, 0, Qt.AlignmentFlag.AlignRight)
        self.edit.submit.connect(self.submit)
        self.edit.up_in_empty.connect(self.edit_last_requested)
        self.send_button.clicked.connect(self.submit)
        self.edit.textChanged.connect(self._on_text_changed)
        self.edit.files_given.connect(self.files.attach_mime)
        self.files.changed.connect(self._on_text_changed)
        self.edit.installEventFilter(self)
        self.mentions = MentionCompleter(self.edit)
        self._on_text_changed()

    # --- drafts ---------------------------------------------------------------------------

    @property
    def group_id(self) -> int | None:
        return self._group_id

    def set_group(self, group_id: int | None, draft: str = "", name: str = "") -> None:
        """Switch to another group's draft (the caller stored the previous one)."""
        self.editing = None  # an edit not sent is given up with the group
        self.replying = None
        self.mode_bar.hide()
        self.mentions.close()
        self._group_id = group_id
        self.edit.setPlaceholderText(f"Message {name}…" if name else "Write a message…")
        self._loading = True
        try:
            self.files.switch_group(group_id)  # each group's files wait in its own tray
            self.edit.setPlainText(draft)
            cursor = self.edit.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            self.edit.setTextCursor(cursor)
        finally:
            self._loading = False
        self.setEnabled(group_id is not None)
        self._on_text_changed()

    def text(self) -> str:
        return self.edit.toPlainText()

    def draft(self) -> str:
        """What to keep as the group's draft: while editing, the draft put aside."""
        return self._saved_draft if self.editing is not None else self.text()

    def give_back(self, text: str) -> None:
        """Put text the user wrote back into the editor (a discarded message), never over the
        draft (see `join_draft`). The caret goes to the end and focus here; Ctrl+Z takes it
        out again."""
        draft = self.text()
        joined = join_draft(draft, text)
        cursor = self.edit.textCursor()
        if joined.startswith(draft):
            cursor.movePosition(cursor.MoveOperation.End)
            joined = joined[len(draft) :]
        else:
            cursor.select(cursor.SelectionType.Document)
        self._giving_back = True
        try:
            cursor.insertText(joined)
        finally:
            self._giving_back = False
        cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)
        self.edit.ensureCursorVisible()
        self.edit.setFocus()

    def set_body_max(self, body_max: int) -> None:
        self._body_max = body_max
        self._on_text_changed()

    # --- sending ------------------------------------------------------------------------------

    def problem(self) -> str | None:
        """Why the current text cannot be sent, in plain words (None when it can)."""
        if self.editing is None and self.files.has_files() and not self.text().strip():
            return None  # files need no text
        return body_problem(self.text(), self._body_max)

    def submit(self) -> None:
        if self._group_id is None or self.problem() is not None:
            self._on_text_changed()
            return
        body = self.text()
        editing, replying = self.editing, self.replying
        if editing is not None:
            self._end_edit()
            if body != editing.original:
                self.edit_submitted.emit(editing.message_id, editing.client_msg_id, body)
            return
        self.edit.clear()
        if self.files.has_files():
            self.cancel_mode()
            reply_id = replying.message_id if replying is not None else None
            self.files_send_requested.emit(
                body if body.strip() else "", self.files.take(), reply_id
            )
            return
        if replying is not None:
            self.cancel_mode()
            self.reply_requested.emit(body, replying.message_id)
            return
        self.send_requested.emit(body)

    # --- editing and replying ---------------------------------------------------------------

    def start_edit(self, target: EditTarget) -> None:
        """Put the message's text in the editor; the draft comes back after."""
        if self.editing is None:
            self._saved_draft = self.text()
        self.replying = None
        self.editing = target
        self.mode_bar.show_mode("edit", "Editing", target.original)
        self._set_text(target.original)
        self.edit.setFocus()

    def start_reply(self, target: ReplyTarget) -> None:
        if self.editing is not None:
            self._end_edit()
        self.replying = target
        self.mode_bar.show_mode("reply", f"Reply to {target.sender_name}", target.excerpt)
        self.edit.setFocus()

    def cancel_mode(self) -> bool:
        """Esc: stop editing (the draft comes back) or replying. False: nothing to cancel."""
        if self.editing is not None:
            self._end_edit()
            return True
        if self.replying is not None:
            self.replying = None
            self.mode_bar.hide()
            return True
        return False

    def _end_edit(self) -> None:
        self.editing = None
        self.mode_bar.hide()
        self._set_text(self._saved_draft)
        self._saved_draft = ""

    def _set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        cursor = self.edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)

    def _on_text_changed(self) -> None:
        text = self.text()
        problem = self.problem()
        self.send_button.setEnabled(self._group_id is not None and problem is None)
        length = len(text)
        if length > self._body_max:
            self.count_label.setText(f"{length} / {self._body_max} — too long to send")
            self.count_label.setToolTip(problem or "")
            self.count_label.show()
        elif length > self._body_max - COUNT_WARNING_MARGIN:
            self.count_label.setText(f"{length} / {self._body_max}")
            self.count_label.setToolTip("")
            self.count_label.show()
        else:
            self.count_label.hide()
        self.send_button.setToolTip(problem if problem and text else "Send (Enter)")
        if self._loading or self._group_id is None:
            return
        if self.editing is not None:
            return  # the text being edited is not a draft, nor typing a new message
        self.draft_changed.emit(self._group_id, text)
        # Text given back is not the user typing: nobody should see "… is typing".
        if self._giving_back:
            return
        if text.strip() and not self._typing_gate.isActive():
            self._typing_gate.start()
            self.typing.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Focus leaving the editor is not a reason to keep announcing "typing".
        if watched is self.edit and event.type() == QEvent.Type.FocusOut:
            self._typing_gate.stop()
        return super().eventFilter(watched, event)
