"""The message context menu (Reply, Edit, Delete, reactions) and the reactions picker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QMenu, QMessageBox, QToolButton, QWidget, QWidgetAction

from desktop_app.models.roles import MessageRoles
from desktop_app.ui.icons import menu_icon
from desktop_app.ui.timeline import links
from desktop_app.ui.timeline import message_extras as mx
from desktop_app.ui.timeline.message_delegate import message_at

if TYPE_CHECKING:
    from desktop_app.ui.timeline.chat_view import ChatView

ModelIndex = QModelIndex | QPersistentModelIndex

# The quick reactions offered in the menu and by the hover button (Telegram's first few).
REACTION_CHOICES = ("👍", "❤️", "😂", "😮", "😢", "🎉")
REPLY_SHORTCUT = "Ctrl+R"
DELETE_QUESTION = "Delete this message for everyone?"
DELETE_DETAIL = "Everyone in the group will see “message deleted” in its place."


def add_reactions(menu: QMenu, view: ChatView, message_id: int, mine: set[str]) -> None:
    """A row of the quick reactions at the menu's foot; one already yours is shown pressed and
    a click takes it back."""
    bar = QWidget(menu)
    bar.setObjectName("reactionBar")
    row = QHBoxLayout(bar)
    row.setContentsMargins(6, 2, 6, 2)
    row.setSpacing(2)
    for emoji in REACTION_CHOICES:
        button = QToolButton(bar)
        button.setObjectName("reactionChoice")
        button.setText(emoji)
        button.setCheckable(True)
        button.setChecked(emoji in mine)
        button.setAutoRaise(True)
        button.setToolTip(f"Take back {emoji}" if emoji in mine else f"React with {emoji}")
        button.setAccessibleName(f"React with {emoji}")
        add = emoji not in mine

        def pick(_checked: bool = False, e: str = emoji, a: bool = add) -> None:
            menu.close()
            view.reaction_toggled.emit(message_id, e, a)

        button.clicked.connect(pick)
        row.addWidget(button)
    action = QWidgetAction(menu)
    action.setDefaultWidget(bar)
    menu.addAction(action)


def reaction_buttons(menu: QMenu) -> list[QToolButton]:
    """The quick-reaction buttons of a menu (for tests and accessibility checks)."""
    bar = menu.findChild(QWidget, "reactionBar")
    return bar.findChildren(QToolButton, "reactionChoice") if bar is not None else []


def own_reactions(index: ModelIndex) -> set[str]:
    return {chip.emoji for chip in mx.extras_of(index).reactions if chip.mine}


def context_menu(view: ChatView, index: ModelIndex, url: str | None = None) -> QMenu:
    """Open and Copy a link under the mouse (`url`); Copy text; Retry and Discard for a failed
    message; then the v2 actions."""
    menu = QMenu(view)
    if url is not None:
        add_link_actions(menu, url)
    menu.addAction("Copy text", view.copy_selection)
    if index.data(MessageRoles.STATE) == "failed":
        cid = str(index.data(MessageRoles.CLIENT_MSG_ID))
        menu.addAction(menu_icon("retry"), "Retry", lambda: view.retry_requested.emit(cid))
        menu.addAction(menu_icon("discard"), "Discard", lambda: view.discard_requested.emit(cid))
    fill_menu(menu, view, index)
    return menu


def add_link_actions(menu: QMenu, url: str) -> None:
    """ "Open Link" and "Copy Link" for the link right-clicked in a message."""
    menu.addAction("Open Link", lambda: links.open_link(url))
    menu.addAction("Copy Link", lambda: QGuiApplication.clipboard().setText(url))
    menu.addSeparator()


def fill_menu(menu: QMenu, view: ChatView, index: ModelIndex) -> None:
    """The v2 actions for the message at `index` (after Copy and Retry/Discard)."""
    extras = mx.extras_of(index)
    if extras.system is not None or extras.deleted:
        return
    message_id = index.data(MessageRoles.ID)
    cid = str(index.data(MessageRoles.CLIENT_MSG_ID) or "")
    own = bool(index.data(MessageRoles.IS_OWN))
    state = index.data(MessageRoles.STATE)
    if message_id is not None:
        reply = menu.addAction(menu_icon("reply"), "Reply", lambda: reply_to_index(view, index))
        reply.setShortcut(REPLY_SHORTCUT)
    if own and state != "failed":
        menu.addAction(menu_icon("edit"), "Edit", lambda: edit_index(view, index))
        menu.addAction(
            menu_icon("discard"), "Delete…", lambda: confirm_delete(view, message_id, cid)
        )
    if message_id is not None:
        menu.addSeparator()
        add_reactions(menu, view, int(message_id), own_reactions(index))


def reactions_menu(view: ChatView, message_id: int, index: ModelIndex, where: QPoint) -> None:
    """The hover button's picker: just the quick reactions."""
    menu = QMenu(view)
    menu.setObjectName("reactionsMenu")
    add_reactions(menu, view, message_id, own_reactions(index))
    menu.exec(where)


def ask_delete(parent: QWidget) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Delete message")
    box.setText(DELETE_QUESTION)
    box.setInformativeText(DELETE_DETAIL)
    delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setObjectName("deleteMessageBox")
    box.exec()
    return box.clickedButton() is delete


def confirm_delete(view: ChatView, message_id: int | None, cid: str) -> None:
    if ask_delete(view):
        view.delete_requested.emit(message_id, cid)


def reply_to_index(view: ChatView, index: ModelIndex) -> None:
    message_id = index.data(MessageRoles.ID)
    if message_id is None:
        return
    name = str(index.data(MessageRoles.SENDER_NAME) or "")
    view.reply_requested.emit(int(message_id), name, str(index.data(MessageRoles.BODY)))


def _repliable(index: ModelIndex) -> bool:
    """A stored message that is neither a system line nor deleted."""
    extras = mx.extras_of(index)
    return index.data(MessageRoles.ID) is not None and extras.system is None and not extras.deleted


def reply_to_current(view: ChatView) -> None:
    """Ctrl+R: reply to the selected message, else the newest one anybody can reply to."""
    index = view.currentIndex()
    model = view.model()
    if (not index.isValid() or not _repliable(index)) and model is not None:
        rows = range(model.rowCount() - 1, -1, -1)
        index = next((model.index(r, 0) for r in rows if _repliable(model.index(r, 0))), index)
    if index.isValid() and _repliable(index):
        reply_to_index(view, index)


def edit_index(view: ChatView, index: ModelIndex) -> None:
    row = message_at(index)
    if row is None:
        return
    pending_edit = index.data(MessageRoles.PENDING_EDIT)
    text = str(pending_edit) if pending_edit is not None else row.body
    view.edit_requested.emit(row.id, row.client_msg_id, text)


def edit_last_own(view: ChatView) -> bool:
    """Up in an empty composer: edit one's newest message (False: there is none)."""
    model = view.model()
    if model is None:
        return False
    for row in range(model.rowCount() - 1, -1, -1):
        index = model.index(row, 0)
        if index.data(MessageRoles.SYSTEM) is not None or index.data(MessageRoles.DELETED):
            continue
        if index.data(MessageRoles.IS_OWN) and index.data(MessageRoles.STATE) != "failed":
            edit_index(view, index)
            return True
    return False
