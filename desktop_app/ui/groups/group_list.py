"""The group list: a filter box, the groups (name, preview, time, unread badge) and actions."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.models.group_list_model import GroupListModel, GroupRoles
from desktop_app.ui import theme
from desktop_app.ui.formatting import initials, list_time, one_line
from desktop_app.ui.groups.badges import MUTED_MARK_ROOM, paint_badges, paint_muted_mark
from desktop_app.ui.icons import icon, menu_icon

ROW_HEIGHT = 62
PAD_X = 12
TILE = 38
TILE_GAP = 10

ModelIndex = QModelIndex | QPersistentModelIndex


class GroupDelegate(QStyledItemDelegate):
    """Paints a group row: tile, name (bold when unread), time, preview and unread badge."""

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(200, ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        c = theme.colors()
        rect: QRect = option.rect
        unread = int(index.data(GroupRoles.UNREAD) or 0)
        name = str(index.data(GroupRoles.NAME) or "")
        preview = one_line(str(index.data(GroupRoles.PREVIEW) or ""))
        when = index.data(GroupRoles.LAST_TIME)
        stamp = list_time(when if isinstance(when, datetime) else None)
        group_id = int(index.data(GroupRoles.GROUP_ID) or 0)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            painter.fillRect(rect, c.selection)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            hover = QColor(c.selection)
            hover.setAlpha(110)
            painter.fillRect(rect, hover)
        tile = QRect(rect.left() + PAD_X, rect.center().y() - TILE // 2, TILE, TILE)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c.sender_color(group_id))
        painter.drawRoundedRect(QRectF(tile), 9, 9)
        tile_font = QFont(option.font)
        tile_font.setBold(True)
        tile_font.setPixelSize(15)
        painter.setFont(tile_font)
        painter.setPen(QColor("#ffffff") if not c.dark else QColor("#10131a"))
        painter.drawText(tile, Qt.AlignmentFlag.AlignCenter, initials(name))

        left = tile.right() + TILE_GAP
        right = rect.right() - PAD_X
        top_line = QRect(left, rect.top() + 11, right - left, 20)
        bottom_line = QRect(left, rect.top() + 32, right - left, 20)

        small = QFont(option.font)
        if small.pointSizeF() > 0:
            small.setPointSizeF(max(6.0, small.pointSizeF() - 1))
        small_fm = QFontMetrics(small)
        stamp_w = small_fm.horizontalAdvance(stamp)
        painter.setFont(small)
        muted = bool(index.data(GroupRoles.MUTED))
        painter.setPen(c.accent if unread and not muted else c.muted)
        painter.drawText(
            top_line, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, stamp
        )

        name_font = QFont(option.font)
        name_font.setBold(unread > 0)
        if not unread:
            name_font.setWeight(QFont.Weight.Medium)
        name_fm = QFontMetrics(name_font)
        name_room = top_line.width() - stamp_w - 8 - (MUTED_MARK_ROOM if muted else 0)
        painter.setFont(name_font)
        painter.setPen(c.text)
        shown_name = name_fm.elidedText(name, Qt.TextElideMode.ElideRight, max(10, name_room))
        painter.drawText(
            top_line.adjusted(0, 0, -(stamp_w + 8), 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            shown_name,
        )
        if muted:
            paint_muted_mark(
                painter, top_line.left() + name_fm.horizontalAdvance(shown_name), top_line, c
            )

        mentioned = bool(index.data(GroupRoles.UNREAD_MENTION))
        badge_w = paint_badges(
            painter, right, bottom_line.center().y(), small, unread, muted, mentioned, c
        )
        preview_font = QFont(option.font)
        painter.setFont(preview_font)
        painter.setPen(c.text if unread else c.muted)
        room = bottom_line.width() - (badge_w + 8 if badge_w else 0)
        shown = preview or "No messages yet"
        painter.drawText(
            bottom_line.adjusted(0, 0, -(bottom_line.width() - room), 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(preview_font).elidedText(
                shown, Qt.TextElideMode.ElideRight, max(10, room)
            ),
        )
        painter.restore()


class GroupFilter(QSortFilterProxyModel):
    """Filters groups by name, keeping the source's activity order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterRole(GroupRoles.NAME)
        self.setDynamicSortFilter(True)


class GroupListPanel(QWidget):
    """Left pane: filter, list, "New group" and "Add member" buttons; a group's context menu
    opens it or asks to leave it (`leave_requested(group_id)`)."""

    group_selected = Signal(int)
    new_group_requested = Signal()
    add_member_requested = Signal()
    leave_requested = Signal(int)
    mute_requested = Signal(int, bool)  # group id, muted

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: GroupListModel | None = None
        self._filter = GroupFilter(self)
        self._current: int | None = None
        self._setup_ui()

    def _setup_ui(self) -> None:
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("groupFilter")
        self.filter_edit.setPlaceholderText("Filter groups")
        self.filter_edit.setClearButtonEnabled(True)
        self._search_action = self.filter_edit.addAction(
            icon("search"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.filter_edit.textChanged.connect(self._filter.setFilterFixedString)
        # Filtering moves Qt's current row to whatever stays visible; put the highlight back
        # on the group on screen (or on nothing while the filter hides it).
        self.filter_edit.textChanged.connect(self._reselect)
        # Enter opens the first match, Escape clears the filter, Down walks into the list.
        self.filter_edit.returnPressed.connect(self._open_first_match)
        self.filter_edit.installEventFilter(self)
        self.new_button = QToolButton(self)
        self.new_button.setIcon(icon("new-group"))
        self.new_button.setToolTip("New group (Ctrl+Shift+N)")
        self.new_button.setAutoRaise(True)
        self.new_button.setAccessibleName("New group")
        self.new_button.clicked.connect(self.new_group_requested)
        self.add_button = QToolButton(self)
        self.add_button.setIcon(icon("add-member"))
        self.add_button.setToolTip("Add a member to this group")
        self.add_button.setAutoRaise(True)
        self.add_button.setAccessibleName("Add member")
        self.add_button.clicked.connect(self.add_member_requested)
        top = QHBoxLayout()
        top.setContentsMargins(10, 10, 8, 8)
        top.setSpacing(4)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.add_button)
        self.list = QListView(self)
        self.list.setObjectName("groupList")
        self.list.setAccessibleName("Groups")
        self.list.setModel(self._filter)
        self.list.setItemDelegate(GroupDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.clicked.connect(self._on_clicked)
        self.list.activated.connect(self._on_clicked)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_context_menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        self.setMinimumWidth(220)
        manager = theme.manager()
        if manager is not None:
            manager.changed.connect(lambda _c: self._apply_icons())
        self._apply_icons()

    def _apply_icons(self) -> None:
        muted = theme.colors().muted.name()
        self._search_action.setIcon(icon("search", muted))
        self.new_button.setIcon(icon("new-group", theme.colors().text.name()))
        self.add_button.setIcon(icon("add-member", theme.colors().text.name()))

    def set_model(self, model: GroupListModel) -> None:
        self._model = model
        self._filter.setSourceModel(model)
        # Re-selecting after the model re-sorts keeps the highlight on the group on screen.
        for signal in (model.rowsMoved, model.layoutChanged, model.rowsInserted, model.modelReset):
            signal.connect(self._reselect)

    @property
    def filter_model(self) -> GroupFilter:
        return self._filter

    def _on_clicked(self, index: QModelIndex) -> None:
        group_id = index.data(GroupRoles.GROUP_ID)
        if isinstance(group_id, int):
            self.group_selected.emit(group_id)

    def context_menu(self, group_id: int) -> QMenu:
        """The menu a right click on the group's row shows."""
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.group_selected.emit(group_id))
        muted = self._model.is_muted(group_id) if self._model is not None else False
        menu.addAction(
            menu_icon("unmute" if muted else "mute"),
            "Unmute" if muted else "Mute",
            lambda: self.mute_requested.emit(group_id, not muted),
        )
        menu.addSeparator()
        menu.addAction(
            menu_icon("leave-group"), "Leave Group…", lambda: self.leave_requested.emit(group_id)
        )
        return menu

    def _on_context_menu(self, pos: QPoint) -> None:
        group_id = self.list.indexAt(pos).data(GroupRoles.GROUP_ID)
        if not isinstance(group_id, int):
            return
        menu = self.context_menu(group_id)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def select_group(self, group_id: int | None) -> None:
        self._current = group_id
        self._reselect()

    def _reselect(self, *args: object) -> None:
        if self._model is None:
            return
        if self._current is None:
            self.list.selectionModel().clear()  # no chat open: nothing lit
            return
        row = self._model.row_of(self._current)
        if row is None:
            return
        proxy_index = self._filter.mapFromSource(self._model.index(row, 0))
        if not proxy_index.isValid():
            self.list.selectionModel().clear()
        elif self.list.currentIndex() != proxy_index:
            self.list.setCurrentIndex(proxy_index)

    def visible_group_ids(self) -> list[int]:
        """Group ids in the order shown (after the filter)."""
        ids = []
        for row in range(self._filter.rowCount()):
            gid = self._filter.index(row, 0).data(GroupRoles.GROUP_ID)
            if isinstance(gid, int):
                ids.append(gid)
        return ids

    def unread_of(self, group_id: int) -> int:
        if self._model is None:
            return 0
        row = self._model.row_of(group_id)
        if row is None:
            return 0
        return int(self._model.index(row, 0).data(GroupRoles.UNREAD) or 0)

    def _open_first_match(self) -> None:
        ids = self.visible_group_ids()
        if ids:
            self.group_selected.emit(ids[0])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.filter_edit or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        clearing = key == Qt.Key.Key_Escape and bool(self.filter_edit.text())
        if event.type() == QEvent.Type.ShortcutOverride and clearing:
            # Escape belongs to the filter while it holds text (not to "jump to newest").
            event.accept()
            return True
        if event.type() == QEvent.Type.KeyPress:
            if clearing:
                self.filter_edit.clear()
                return True
            if key == Qt.Key.Key_Down and self._filter.rowCount():
                self.list.setFocus()
                self.list.setCurrentIndex(self._filter.index(0, 0))
                return True
        return super().eventFilter(watched, event)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()
