"""The diagnostics window: the core's live journal (filterable, copyable), counters, socket state."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeySequence, QShortcut, QTextOption
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.models.bridge import SessionBridge
from desktop_app.session.journal import JournalEntry
from desktop_app.session.state import ConnectionStatus
from desktop_app.ui.formatting import local
from desktop_app.ui.icons import icon
from desktop_app.ui.status import describe

REFRESH_MS = 1000
# Wide enough for most journal sentences without scrolling sideways.
DEFAULT_SIZE = (1040, 600)
# Counters shown first, in this order, with these labels; others follow as they come.
COUNTER_LABELS = {
    "received_live": "Received live (open group)",
    "stored_background": "Stored for background groups",
    "gap_repaired": "Gaps repaired",
    "duplicate_suppressed": "Duplicates suppressed",
    "reconnected": "Reconnects",
    "connection_lost": "Connection drops",
    "reconnect_attempt": "Reconnect attempts",
    "reconnect_scheduled": "Reconnects scheduled",
    "caught_up_news": "Missed messages announced after catch-up",
    "sent_optimistic": "Sent (optimistic)",
    "server_confirmed": "Confirmed by the server",
    "own_echo_matched": "Own echoes matched",
    "catchup_done": "Catch-ups done",
    "error": "Errors",
    "send_failed": "Sends refused for good",
    "send_retry": "Send retries",
    "rate_limited": "Rate limited",
    "gap_detected": "Gaps detected",
    "gap_filled_live": "Gaps filled live (no fetch)",
    "history_loaded": "History pages loaded",
    "outbox_restored": "Restored from the outbox",
    "group_added": "Groups added",
    "group_removed": "Groups removed",
    "auth_failed": "Sign-ins refused",
    "state": "Connection state changes",
    "retry": "Retried by you",
    "discarded": "Discarded by you",
    "undeliverable": "Handed back (no longer a member)",
    "read": "Read elsewhere",
    "offline_start": "Started offline",
    "cache_loaded": "Loaded from the local cache",
    "cache_flushed": "Local cache writes",
    "cache_cleared": "Local cache cleared",
    "cache_dropped": "Local cache dropped",
    "cache_deleted": "Local cache deleted",
}
COUNTER_COLUMNS = 2  # label/value pairs per row, so new kinds do not push the journal down
# Shown from the start (even at 0): the figures a person debugging delivery asks for first.
ALWAYS_SHOWN = (
    "received_live",
    "stored_background",
    "gap_repaired",
    "duplicate_suppressed",
    "reconnected",
)
ALL_KINDS = "All kinds"


def format_entry(entry: JournalEntry) -> str:
    """One journal line: time, kind, group and the sentence."""
    when = local(entry.at).strftime("%H:%M:%S.%f")[:-3]
    group = f"g{entry.group_id}" if entry.group_id is not None else ""
    return f"{when}  {entry.kind:<21} {group:<5} {entry.text}"


def last_error_text(status: ConnectionStatus) -> str:
    """ "connection refused (127.0.0.1:8000) — at 14:03:07": what failed, and when."""
    if not status.last_error:
        return "none"
    if status.error_at is None:
        return status.last_error
    return f"{status.last_error} — at {local(status.error_at):%H:%M:%S}"


class DiagnosticsWindow(QWidget):
    """What replaced the browser console: the session's journal, counters and connection."""

    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._bridge = bridge
        self.setWindowTitle(f"Diagnostics — {bridge.user.username} @ {bridge.server_url}")
        self.setWindowIcon(icon("diagnostics"))
        self._kinds: set[str] = set()
        self._setup_ui()
        self._reload()
        self._unsubscribe = bridge.journal.subscribe(self._on_entry)
        bridge.status_changed.connect(self._on_status)
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self._refresh_numbers)
        self._timer.start()
        self._refresh_numbers()
        self.resize(*DEFAULT_SIZE)

    def _setup_ui(self) -> None:
        self.state_label = QLabel(self)
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.outbox_label = QLabel(self)
        self.rtt_label = QLabel(self)
        # Where the token is kept (system keyring or the profile's file, and why).
        self.token_store_label = QLabel(self._bridge.profile.token_store_label(), self)
        self.token_store_label.setWordWrap(True)
        conn = QFormLayout()
        conn.addRow("Socket state:", self.state_label)
        conn.addRow("Round trip:", self.rtt_label)
        conn.addRow("Outbox length:", self.outbox_label)
        conn.addRow("Last error:", self.error_label)
        conn.addRow("Sign-in kept in:", self.token_store_label)
        conn_box = QGroupBox("Connection", self)
        conn_box.setLayout(conn)
        self.counters_grid = QGridLayout()
        self.counters_grid.setHorizontalSpacing(12)
        self._counter_labels: dict[str, QLabel] = {}
        counters_box = QGroupBox("Counters", self)
        counters_box.setLayout(self.counters_grid)
        top = QHBoxLayout()
        top.addWidget(conn_box, 1)
        top.addWidget(counters_box, 2)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter the journal (text, kind or g<group id>)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._reload)
        self.kind_combo = QComboBox(self)
        self.kind_combo.addItem(ALL_KINDS)
        self.kind_combo.currentTextChanged.connect(self._reload)
        self.copy_button = QPushButton("Copy shown", self)
        self.copy_button.clicked.connect(self.copy_all)
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.kind_combo)
        bar.addWidget(self.copy_button)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        # Long sentences wrap: the end of a line says what happened, it must not be cut off.
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.log.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setMaximumBlockCount(5000)
        # A tool window: Esc or Ctrl+W closes it (Esc first clears a filter being typed).
        for keys in (QKeySequence(Qt.Key.Key_Escape), QKeySequence(QKeySequence.StandardKey.Close)):
            QShortcut(keys, self, self._on_close_key)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.log, 1)

    # --- journal ---------------------------------------------------------------------------

    def _matches(self, entry: JournalEntry) -> bool:
        kind = self.kind_combo.currentText()
        if kind and kind != ALL_KINDS and entry.kind != kind:
            return False
        needle = self.filter_edit.text().strip().lower()
        return not needle or needle in format_entry(entry).lower()

    def _note_kind(self, kind: str) -> None:
        if kind not in self._kinds:
            self._kinds.add(kind)
            self.kind_combo.addItem(kind)

    def _reload(self) -> None:
        entries = self._bridge.journal.entries()
        for entry in entries:
            self._note_kind(entry.kind)
        lines = [format_entry(e) for e in entries if self._matches(e)]
        self.log.setPlainText("\n".join(lines))
        self._show_newest()

    def _show_newest(self) -> None:
        # Newest line in view, and the start of the lines (time, kind) rather than their ends.
        self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())
        self.log.horizontalScrollBar().setValue(0)

    def _on_entry(self, entry: JournalEntry) -> None:
        self._note_kind(entry.kind)
        if self._matches(entry):
            self.log.appendPlainText(format_entry(entry))
            self.log.horizontalScrollBar().setValue(0)
        self._refresh_numbers()

    def _on_close_key(self) -> None:
        if self.filter_edit.hasFocus() and self.filter_edit.text():
            self.filter_edit.clear()
            return
        self.close()

    def shown_text(self) -> str:
        return self.log.toPlainText()

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.shown_text())

    # --- numbers ---------------------------------------------------------------------------

    def _on_status(self, _status: ConnectionStatus) -> None:
        self._refresh_numbers()

    def _refresh_numbers(self) -> None:
        status = self._bridge.status
        self.state_label.setText(describe(status))
        self.rtt_label.setText(f"{status.rtt_ms:.0f} ms" if status.rtt_ms is not None else "–")
        self.error_label.setText(last_error_text(status))
        self.outbox_label.setText(str(self._bridge.outbox_length))
        counters = self._bridge.journal.counters()
        keys = list(ALWAYS_SHOWN)
        keys += [k for k in COUNTER_LABELS if k in counters and k not in ALWAYS_SHOWN]
        keys += sorted(k for k in counters if k not in COUNTER_LABELS)
        for key in keys:
            label = self._counter_labels.get(key)
            if label is None:
                label = QLabel(self)
                self._add_counter(key, label)
            label.setText(str(counters.get(key, 0)))

    def _add_counter(self, key: str, value: QLabel) -> None:
        index = len(self._counter_labels)
        self._counter_labels[key] = value
        row, column = divmod(index, COUNTER_COLUMNS)
        name = QLabel(COUNTER_LABELS.get(key, key.replace("_", " ").capitalize()) + ":", self)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.counters_grid.addWidget(name, row, column * 2)
        self.counters_grid.addWidget(value, row, column * 2 + 1)

    def closeEvent(self, event: object) -> None:  # type: ignore[override]
        self._timer.stop()
        super().closeEvent(event)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop following the journal (the window is going away with its session)."""
        self._timer.stop()
        self._unsubscribe()
