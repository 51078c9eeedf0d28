"""Wires the v2 intents of the chat pane (reply, edit, delete, react, rename, remove member)
to the session bridge, so MainWindow stays about windows and groups."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from desktop_app.models.bridge import SessionBridge
from desktop_app.models.members_model import MembersModel
from desktop_app.ui.chat_pane import ChatPane
from desktop_app.ui.composer.mode_bar import EditTarget, ReplyTarget
from desktop_app.ui.timeline import message_menu


class MessageActions(QObject):
    """Turns what the user does to messages and members into the bridge's intents."""

    def __init__(
        self,
        window: QWidget,
        bridge: SessionBridge,
        chat: ChatPane,
        current_group: Callable[[], int | None],
        members_changed: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._chat = chat
        self._group = current_group
        self._members_changed = members_changed
        self._members_model: MembersModel | None = None
        view, composer, members = chat.view, chat.composer, chat.members
        view.reply_requested.connect(self._on_reply)
        view.edit_requested.connect(self._on_edit)
        view.delete_requested.connect(self._on_delete)
        view.reaction_toggled.connect(self._on_react)
        composer.reply_requested.connect(self._send_reply)
        composer.edit_submitted.connect(self._submit_edit)
        composer.edit_last_requested.connect(lambda: message_menu.edit_last_own(view))
        members.rename_requested.connect(self._rename)
        members.remove_requested.connect(self._remove)
        reply = QShortcut(QKeySequence(message_menu.REPLY_SHORTCUT), window)
        reply.activated.connect(lambda: message_menu.reply_to_current(view))

    def member_count(self, group_id: int) -> int | None:
        """The open group's member count from its live members (None: not loaded yet)."""
        model = self._members_model
        if model is None or model.group_id != group_id or model.rowCount() == 0:
            return None
        return model.rowCount()

    def open_group(self, group_id: int, name: str) -> None:
        model = self._bridge.members_model(group_id)
        if self._members_model is not None:
            self._members_model.modelReset.disconnect(self._members_changed)
        self._members_model = model
        model.modelReset.connect(self._members_changed)
        self._chat.members.set_model(model, name)

    def _on_reply(self, message_id: int, sender: str, text: str) -> None:
        self._chat.composer.start_reply(ReplyTarget(message_id, sender, text))

    def _on_edit(self, message_id: int | None, client_msg_id: str, text: str) -> None:
        self._chat.composer.start_edit(EditTarget(message_id, client_msg_id, text))

    def _on_delete(self, message_id: int | None, client_msg_id: str) -> None:
        group_id = self._group()
        if group_id is not None:
            self._bridge.delete_message(group_id, message_id, client_msg_id=client_msg_id)

    def _on_react(self, message_id: int, emoji: str, add: bool) -> None:
        group_id = self._group()
        if group_id is not None:
            self._bridge.react(group_id, message_id, emoji, add)

    def _send_reply(self, body: str, reply_to: int) -> None:
        group_id = self._group()
        if group_id is not None:
            self._bridge.send(group_id, body, reply_to)
            self._chat.view.scroll_to_newest()

    def _submit_edit(self, message_id: int | None, client_msg_id: str, body: str) -> None:
        group_id = self._group()
        if group_id is not None:
            self._bridge.edit_message(group_id, message_id, body, client_msg_id=client_msg_id)

    def _rename(self, group_id: int, name: str) -> None:
        self._bridge.rename_group(group_id, name)

    def _remove(self, group_id: int, user_id: int) -> None:
        self._bridge.remove_member(group_id, user_id)
