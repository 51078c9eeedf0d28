"""The message search window (Ctrl+F: the open group, Ctrl+Shift+F: every group): hits with
group, sender, time and the matched words marked, more pages as the list is scrolled;
choosing a hit emits `chosen(group_id, message_id)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from chat_protocol.limits import SEARCH_QUERY_MAX
from chat_protocol.models import SearchHit, SearchResults
from desktop_app.tasks import spawn
from desktop_app.ui import theme
from desktop_app.ui.formatting import day_label, local
from desktop_app.ui.search.excerpt import excerpt_html

# Typing pauses this long before a search goes out (Enter searches at once).
SEARCH_DELAY_MS = 300
# The next page is asked for when the list is scrolled this close to its end (pixels).
MORE_MARGIN_PX = 80
WINDOW_SIZE = (520, 560)
MESSAGE_ID_ROLE = Qt.ItemDataRole.UserRole
GROUP_ID_ROLE = Qt.ItemDataRole.UserRole + 1

# (q, group_id or None, before_id or None) -> one page of hits
Search = Callable[[str, int | None, int | None], Awaitable[SearchResults]]


class SearchWindow(QDialog):
    """Searches one group (`group_id`) or all of the user's groups (None)."""

    chosen = Signal(int, int)

    def __init__(
        self,
        search: Search,
        group_id: int | None,
        group_name: str | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("searchWindow")
        self._search = search
        self.group_id = group_id
        self._query = ""
        self._generation = 0  # answers to an older search are dropped
        self._loading = False
        self._has_more = False
        self._last_id: int | None = None
        self._setup_ui(group_name)

    def _setup_ui(self, group_name: str | None) -> None:
        where = f"in {group_name}" if group_name else "in all groups"
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self._search_now)
        self.setWindowTitle(f"Search {where}")
        self.input = QLineEdit(self)
        self.input.setObjectName("searchInput")
        self.input.setMaxLength(SEARCH_QUERY_MAX)
        self.input.setPlaceholderText(f"Search messages {where}…")
        self.input.setClearButtonEnabled(True)
        self.input.textEdited.connect(lambda _t: self._debounce.start())
        self.input.returnPressed.connect(self._search_now)
        self.status = QLabel(self)
        self.status.setObjectName("searchStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.results = QListWidget(self)
        self.results.setObjectName("searchResults")
        self.results.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.itemActivated.connect(self._on_chosen)
        self.results.itemClicked.connect(self._on_chosen)
        self.results.verticalScrollBar().valueChanged.connect(self._maybe_more)
        layout = QVBoxLayout(self)
        layout.addWidget(self.input)
        layout.addWidget(self.status)
        layout.addWidget(self.results)
        self.resize(*WINDOW_SIZE)
        manager = theme.manager()
        if manager is not None:
            manager.changed.connect(self._on_theme_changed)

    # --- searching ---------------------------------------------------------------------

    def search(self, text: str) -> None:
        """Search for `text` now (as if typed and Enter pressed)."""
        self.input.setText(text)
        self._search_now()

    def _search_now(self) -> None:
        self._debounce.stop()
        query = self.input.text().strip()
        self._generation += 1
        self.results.clear()
        self._query, self._last_id, self._has_more = query, None, False
        if not query:
            self.status.setText("")
            return
        self.status.setText("Searching…")
        self._fetch()

    def _fetch(self) -> None:
        self._loading = True
        spawn(self._run(self._generation, self._query, self._last_id), name="message-search")

    async def _run(self, generation: int, query: str, before_id: int | None) -> None:
        try:
            page = await self._search(query, self.group_id, before_id)
        except Exception as exc:  # shown, not raised: the window stays usable
            if generation == self._generation:
                self._loading = False
                self.status.setText(f"Search failed: {exc}")
            return
        if generation != self._generation:
            return
        self._loading = False
        for hit in page.results:
            self._add(hit)
        if page.results:
            self._last_id = page.results[-1].message.id
        self._has_more = page.has_more
        count = self.results.count()
        more = "+" if self._has_more else ""
        self.status.setText(
            f"{count}{more} message{'s' if count != 1 else ''}" if count else "No messages found."
        )
        QTimer.singleShot(0, self._maybe_more)  # a short first page may not fill the list

    def _maybe_more(self, _value: int = 0) -> None:
        bar = self.results.verticalScrollBar()
        if self._loading or not self._has_more or bar.maximum() - bar.value() > MORE_MARGIN_PX:
            return
        self._fetch()

    # --- showing -----------------------------------------------------------------------

    def _add(self, hit: SearchHit) -> None:
        item = QListWidgetItem()
        item.setData(MESSAGE_ID_ROLE, hit.message.id)
        item.setData(GROUP_ID_ROLE, hit.message.group_id)
        widget = HitWidget(hit, self.group_id is None)
        item.setSizeHint(widget.sizeHint())
        self.results.addItem(item)
        self.results.setItemWidget(item, widget)

    def _on_theme_changed(self, colors: theme.ThemeColors) -> None:
        for row in range(self.results.count()):
            widget = self.results.itemWidget(self.results.item(row))
            if isinstance(widget, HitWidget):
                widget.restyle(colors)

    def _on_chosen(self, item: QListWidgetItem) -> None:
        self.chosen.emit(int(item.data(GROUP_ID_ROLE)), int(item.data(MESSAGE_ID_ROLE)))


class HitWidget(QWidget):
    """One hit: "Group · Sender · day time" over the excerpt with its matches marked."""

    def __init__(self, hit: SearchHit, show_group: bool) -> None:
        super().__init__()
        self._hit = hit
        message = hit.message
        when = local(message.created_at)
        parts = [hit.group_name] if show_group else []
        parts += [message.sender.display_name, f"{day_label(when.date())} {when:%H:%M}"]
        self.header = QLabel(" · ".join(parts), self)
        self.header.setObjectName("searchHitHeader")
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.body = QLabel(self)
        self.body.setObjectName("searchHitBody")
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(self.body)
        self.restyle(theme.colors())

    def restyle(self, colors: theme.ThemeColors) -> None:
        """Paint with the theme's colours (again when the theme changes)."""
        self.header.setStyleSheet(f"color: {colors.muted.name()};")
        mark = (
            f"background-color: {colors.selection.name()}; color: {colors.text.name()}; "
            "font-weight: bold;"
        )
        self.body.setText(excerpt_html(self._hit.message.body, list(self._hit.highlights), mark))
