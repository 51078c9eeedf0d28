"""SessionBridge: the one QObject the UI holds per signed-in session; core events become signals."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from chat_protocol.models import Group, Message, SearchResults, User
from desktop_app.models.group_list_model import GroupListModel
from desktop_app.models.members_model import MembersModel
from desktop_app.models.message_model import MessageModel
from desktop_app.net.errors import ApiError
from desktop_app.net.files import FilesClient
from desktop_app.session.attachments import PendingFile
from desktop_app.session.journal import Journal
from desktop_app.session.outbox import OutboxItem
from desktop_app.session.session import Session, Undeliverable
from desktop_app.session.state import ConnectionStatus
from desktop_app.settings import Profile
from desktop_app.tasks import spawn

log = logging.getLogger(__name__)

# `intent_failed`'s kind for a mute or unmute the server refused.
MUTE_INTENT = "mute"


class SessionBridge(QObject):
    """Owns the Qt-free Session and its models; the UI calls its methods and connects to its
    signals. Keyword options (reconnect delays, ping interval, ...) go to Session.

    `message_received(group_id, Message)` is what notifications hang on: once per message
    from someone else that arrives live, and once per group and catch-up (after a reconnect,
    a gap, or the ping's safety net) for the newest of the messages it brought. Just before
    that catch-up one, `messages_caught_up(group_id, newest, count)` tells how many there
    were, for a notification that says "and n more"; it is not a second message."""

    status_changed = Signal(object)
    typing = Signal(int, str)
    message_received = Signal(int, object)
    messages_caught_up = Signal(int, object, int)
    group_added = Signal(int)
    group_removed = Signal(int)
    undeliverable = Signal(object)  # session.Undeliverable: shown once, by one window
    auth_failed = Signal()
    journal_entry = Signal(object)
    outbox_changed = Signal(int)
    # An edit, deletion, reaction, rename or removal the server refused: (group, kind, why).
    intent_failed = Signal(int, str, str)

    def __init__(
        self,
        server_url: str,
        token: str,
        user: User,
        profile: Profile,
        parent: QObject | None = None,
        **session_options: Any,
    ) -> None:
        super().__init__(parent)
        self.undelivered: list[Undeliverable] = []
        self._profile = profile
        self._session = Session(
            server_url,
            token,
            user,
            profile.outbox_path,
            self,
            cache_path=profile.cache_path,
            instance_id=profile.instance_id,
            **session_options,
        )
        self._groups = GroupListModel(self._session.sync.registry, self)
        self._models: dict[int, MessageModel] = {}
        self._members: dict[int, MembersModel] = {}
        self._unsubscribe = self._session.journal.subscribe(self.journal_entry.emit)
        self._session.uploader.on_progress = self._on_upload_progress

    # --- properties ------------------------------------------------------------------

    @property
    def user(self) -> User:
        return self._session.user

    @property
    def server_url(self) -> str:
        return self._session.server_url

    @property
    def groups(self) -> GroupListModel:
        return self._groups

    @property
    def journal(self) -> Journal:
        return self._session.journal

    @property
    def status(self) -> ConnectionStatus:
        return self._session.status

    @property
    def outbox_length(self) -> int:
        return self._session.outbox.count()

    @property
    def profile(self) -> Profile:
        return self._profile

    @property
    def session(self) -> Session:
        """The Qt-free core (for diagnostics and tests)."""
        return self._session

    @property
    def active_group(self) -> int | None:
        return self._session.sync.active_group

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        await self._session.start()

    async def stop(self) -> None:
        """Disconnect; unsent messages stay in the profile's outbox."""
        await self._session.stop()

    async def sign_out(self) -> None:
        """Revoke the token on the server, stop, and forget the token in the profile."""
        await self._session.sign_out()
        self._profile.clear_token()

    async def set_token(self, token: str) -> None:
        """Continue this session with a new token (after auth_failed and a new sign-in);
        the profile stores it."""
        self._profile.token = token
        self._profile.save()
        await self._session.set_token(token)

    # --- models ----------------------------------------------------------------------

    def message_model(self, group_id: int) -> MessageModel:
        """The group's model; the same object for the whole session."""
        model = self._models.get(group_id)
        if model is None:
            timeline = self._session.timeline(group_id)
            model = MessageModel(
                timeline,
                lambda: self._request_older(group_id),
                self,
                members=self._session.members(group_id),
            )
            self._models[group_id] = model
        return model

    def members_model(self, group_id: int) -> MembersModel:
        """The group's members (live); the same object for the whole session."""
        model = self._members.get(group_id)
        if model is None:
            model = MembersModel(self._session.members(group_id), self)
            self._members[group_id] = model
        return model

    def _request_older(self, group_id: int) -> None:
        spawn(self._load_older(group_id), name=f"older-{group_id}")

    async def _load_older(self, group_id: int) -> None:
        model = self.message_model(group_id)
        try:
            await self._session.load_older(group_id)
        except Exception as exc:
            self.journal.record("error", f"Loading older messages failed: {exc}", group_id)
        finally:
            model.set_older_loading(False)

    # --- intents ---------------------------------------------------------------------

    def set_active_group(self, group_id: int | None) -> None:
        self._session.set_active_group(group_id)

    def mark_seen(self, group_id: int, seq: int) -> None:
        """Messages up to `seq` were in sight of the user: read (see ReadMarkers)."""
        self._session.mark_seen(group_id, seq)

    def first_unread(self, group_id: int) -> int | None:
        return self._session.first_unread(group_id)

    def last_read_seq(self, group_id: int) -> int:
        state = self._session.sync.registry.get(group_id)
        return state.last_read_seq if state is not None else 0

    def send(
        self,
        group_id: int,
        body: str,
        reply_to_message_id: int | None = None,
        files: list[PendingFile] | None = None,
    ) -> str:
        return self._session.send(group_id, body, reply_to_message_id, files)

    @property
    def files(self) -> FilesClient:
        """Downloads of files and thumbnails for this session (issue 12)."""
        return self._session.files

    def _on_upload_progress(self, group_id: int, cid: str, done: int, total: int) -> None:
        model = self._models.get(group_id)
        if model is not None:
            model.set_upload_progress(cid, None if done >= total else done / max(1, total))

    def edit_message(
        self, group_id: int, message_id: int | None, body: str, *, client_msg_id: str = ""
    ) -> str | None:
        """Edit one's message (stored: by id; still pending: by its client_msg_id)."""
        return self._session.edit_message(group_id, message_id, body, client_msg_id=client_msg_id)

    def delete_message(
        self, group_id: int, message_id: int | None, *, client_msg_id: str = ""
    ) -> str | None:
        return self._session.delete_message(group_id, message_id, client_msg_id=client_msg_id)

    def react(self, group_id: int, message_id: int, emoji: str, add: bool) -> str | None:
        return self._session.react(group_id, message_id, emoji, add)

    def rename_group(self, group_id: int, name: str) -> str | None:
        return self._session.rename_group(group_id, name)

    def remove_member(self, group_id: int, user_id: int) -> str | None:
        return self._session.remove_member(group_id, user_id)

    def retry(self, client_msg_id: str) -> None:
        self._session.retry(client_msg_id)

    def discard(self, client_msg_id: str) -> OutboxItem | None:
        """Drop an unsent message; returns it (group and text) or None if it was gone."""
        return self._session.discard(client_msg_id)

    def notify_typing(self, group_id: int) -> None:
        self._session.notify_typing(group_id)

    async def create_group(self, name: str, members: list[str]) -> Group:
        return await self._session.create_group(name, members)

    async def add_member(self, group_id: int, username: str) -> User:
        return await self._session.add_member(group_id, username)

    async def search_users(self, prefix: str) -> list[User]:
        return await self._session.search_users(prefix)

    async def search_messages(
        self, q: str, group_id: int | None, before_id: int | None
    ) -> SearchResults:
        return await self._session.search_messages(q, group_id, before_id)

    async def leave_group(self, group_id: int) -> None:
        await self._session.leave_group(group_id)

    async def set_muted(self, group_id: int, muted: bool) -> None:
        await self._session.set_muted(group_id, muted)

    def request_mute(self, group_id: int, muted: bool) -> None:
        """Mute or unmute in the background; a refusal (offline, no longer a member) is
        journalled and told through `intent_failed` (kind "mute")."""
        spawn(self._mute(group_id, muted), name=f"mute-{group_id}")

    async def _mute(self, group_id: int, muted: bool) -> None:
        try:
            await self._session.set_muted(group_id, muted)
        except ApiError as exc:
            what = "mute" if muted else "unmute"
            self.journal.record("error", f"Could not {what} group {group_id}: {exc.message}")
            self.intent_failed.emit(group_id, MUTE_INTENT, exc.message)

    def unsent_count(self, group_id: int) -> int:
        return self._session.unsent_count(group_id)

    # --- SessionListener -------------------------------------------------------------

    def on_status(self, status: ConnectionStatus) -> None:
        self.status_changed.emit(status)

    def on_auth_failed(self) -> None:
        self.auth_failed.emit()

    def on_message_received(self, group_id: int, message: Message) -> None:
        self.message_received.emit(group_id, message)

    def on_caught_up(self, group_id: int, newest: Message, count: int) -> None:
        self.messages_caught_up.emit(group_id, newest, count)

    def on_group_added(self, group_id: int) -> None:
        self.group_added.emit(group_id)

    def on_group_removed(self, group_id: int) -> None:
        self.group_removed.emit(group_id)

    def on_undeliverable(self, notice: Undeliverable) -> None:
        self.undelivered.append(notice)
        self.undeliverable.emit(notice)

    def take_undelivered(self) -> list[Undeliverable]:
        """Notices no window has shown yet (one came before any window was listening)."""
        waiting = [n for n in self.undelivered if not n.shown]
        self.undelivered.clear()
        return waiting

    def on_typing(self, group_id: int, display_name: str) -> None:
        self.typing.emit(group_id, display_name)

    def on_outbox_changed(self, length: int) -> None:
        self.outbox_changed.emit(length)

    def on_intent_failed(self, group_id: int, kind: str, reason: str) -> None:
        self.intent_failed.emit(group_id, kind, reason)

    def on_server_instance(self, instance_id: str) -> None:
        """The session learnt its server's instance: the profile's state belongs to it."""
        if self._profile.instance_id != instance_id:
            self._profile.instance_id = instance_id
            self._profile.save()
