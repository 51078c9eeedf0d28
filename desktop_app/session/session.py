"""A signed-in session: REST, socket, sync engine, outbox and sender wired together, Qt-free."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from chat_protocol.events import ClientEvent
from chat_protocol.limits import TYPING_INTERVAL_SECONDS
from chat_protocol.models import Event, Group, Message, Ready, SearchResults, User
from desktop_app.net.errors import ApiError, AuthError, NotFoundError
from desktop_app.net.files import FilesClient
from desktop_app.net.realtime import (
    RECONNECT_DELAY,
    RECONNECT_DELAY_MAX,
    RECONNECT_JITTER,
    NotConnected,
    Realtime,
)
from desktop_app.net.rest import RestClient
from desktop_app.session.attachments import (
    PendingFile,
    attachment_specs,
    refs_of,
    stage,
    staging_root,
)
from desktop_app.session.cache import CACHE_FLUSH_INTERVAL, STALE_CACHE_GAP, LocalCache
from desktop_app.session.connection import PING_INTERVAL, Connection
from desktop_app.session.intents import Intents
from desktop_app.session.journal import Journal
from desktop_app.session.members import GroupMembers
from desktop_app.session.outbox import Outbox, OutboxItem
from desktop_app.session.sender import RETRY_DELAY_MAX, RETRY_DELAY_MIN, Sender
from desktop_app.session.state import ConnectionStatus, ConnState
from desktop_app.session.sync import CATCHUP_PAGE, HISTORY_PAGE, Removal, SyncEngine
from desktop_app.session.timeline import FAILED, PENDING, Row, Timeline
from desktop_app.session.uploader import Uploader
from desktop_app.tasks import spawn

log = logging.getLogger(__name__)

# Typing notices are rate-limited by the server to one per second; we send fewer.
TYPING_SEND_INTERVAL = max(3.0, TYPING_INTERVAL_SECONDS)


@dataclass
class Undeliverable:
    """Unsent messages that can never be delivered: to a group the user is no longer in
    (removed by someone else, or the group is gone), whose history the server lost, or typed
    for another server instance at this address. Taken out of the outbox, never sent; their
    text is handed to the UI to give back once, under the group's name as it was typed."""

    group_id: int
    group_name: str
    bodies: list[str]
    shown: bool = False
    reason: Removal = Removal.LEFT


class SessionListener(Protocol):
    """What the session tells its owner (the Qt bridge), all on the event loop."""

    def on_status(self, status: ConnectionStatus) -> None: ...
    def on_auth_failed(self) -> None: ...
    def on_message_received(self, group_id: int, message: Message) -> None: ...
    def on_caught_up(self, group_id: int, newest: Message, count: int) -> None: ...
    def on_group_added(self, group_id: int) -> None: ...
    def on_group_removed(self, group_id: int) -> None: ...
    def on_undeliverable(self, notice: Undeliverable) -> None: ...
    def on_typing(self, group_id: int, display_name: str) -> None: ...
    def on_outbox_changed(self, length: int) -> None: ...
    def on_server_instance(self, instance_id: str) -> None: ...
    def on_intent_failed(self, group_id: int, kind: str, reason: str) -> None: ...


class Session:
    """Everything one signed-in user needs, without Qt: `start`, then `send`, `retry`,
    `discard`, `set_active_group`, `mark_seen`, `load_older`, and the protocol v2 intents
    (`edit_message`, `delete_message`, `react`, `rename_group`, `remove_member`: queued in the
    outbox like sends, see session/intents.py); the listener hears about the rest.

    A session belongs to one server instance and user (`instance_id`, from the sign-in or
    the profile; None until the first `ready` names it). Its cache and outbox are that
    instance's; a `ready` from another instance stops it (nothing is sent) and asks to sign
    in again, which starts a session of the new instance that hands the old text back."""

    def __init__(
        self,
        server_url: str,
        token: str,
        user: User,
        outbox_path: Path,
        listener: SessionListener,
        *,
        journal: Journal | None = None,
        rest: RestClient | None = None,
        reconnect_delay: float = RECONNECT_DELAY,
        reconnect_delay_max: float = RECONNECT_DELAY_MAX,
        reconnect_jitter: float = RECONNECT_JITTER,
        ping_interval: float = PING_INTERVAL,
        send_retry_min: float = RETRY_DELAY_MIN,
        send_retry_max: float = RETRY_DELAY_MAX,
        catchup_page: int = CATCHUP_PAGE,
        history_page: int = HISTORY_PAGE,
        cache_path: Path | None = None,
        cache_flush_interval: float = CACHE_FLUSH_INTERVAL,
        stale_cache_gap: int = STALE_CACHE_GAP,
        instance_id: str | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.token = token
        self.user = user
        self.instance_id = instance_id
        # Why the server is not this session's (a `ready` of another instance), once seen.
        self.other_server: str | None = None
        self.listener = listener
        self.journal = journal or Journal()
        self.rest = rest or RestClient(self.server_url, token)
        self.sync = SyncEngine(
            self.rest,
            self.journal,
            user,
            self,
            catchup_page=catchup_page,
            history_page=history_page,
            stale_cache_gap=stale_cache_gap,
        )
        self.connection = Connection(
            self.sync,
            self.journal,
            listener.on_status,
            self._auth_failed,
            self._connected,
            ping_interval=ping_interval,
            check_server=self._check_server,
            on_dropped=self._dropped,
        )
        self.realtime = Realtime(
            self.server_url,
            lambda: self.token,
            self.connection,
            reconnect_delay=reconnect_delay,
            reconnect_delay_max=reconnect_delay_max,
            reconnect_jitter=reconnect_jitter,
        )
        self.files_root = staging_root(outbox_path)
        self.outbox = Outbox(
            outbox_path,
            user.id,
            username=user.username,
            instance_id=instance_id,
            files_root=self.files_root,
        )
        self.files = FilesClient(self.rest)
        self.uploader = Uploader(self.files, self.outbox)
        self.sender = Sender(
            self.rest,
            self.outbox,
            self,
            self.journal,
            retry_delay_min=send_retry_min,
            retry_delay_max=send_retry_max,
            held=True,  # until a `ready` confirms the server (see _check_server)
            uploader=self.uploader,
        )
        self.cache = (
            LocalCache(cache_path, self.server_url, user.id, self.journal, instance_id)
            if cache_path is not None
            else None
        )
        self.cache_flush_interval = cache_flush_interval
        self._cache_task: asyncio.Task[None] | None = None
        self._sender_task: asyncio.Task[None] | None = None
        self._typing_sent: dict[int, float] = {}
        self.intents = Intents(self)
        self._started = False

    # --- lifecycle -------------------------------------------------------------------

    @property
    def status(self) -> ConnectionStatus:
        return self.connection.status

    async def start(self) -> None:
        """Show the cached groups and history and the unsent messages, then load the group
        list (if the server answers) and connect."""
        if self._started:
            return
        self._started = True
        self.journal.record(
            "state", f"Session of {self.user.username} on {self.server_url} starting."
        )
        cached_groups, cached_messages = self._load_cache()
        if self.instance_id is not None:
            self.outbox.adopt(self.instance_id)  # rows from before instances were recorded
            self._hand_back_foreign()
        # Also with a refused token: the unsent messages show, and go once `set_token` resumes.
        self._restore_outbox()
        refused: AuthError | None = None
        try:
            await self.sync.refresh_groups()
        except AuthError as exc:
            refused = exc
        except ApiError as exc:
            # Offline start: the socket's reconnect loop brings the list once the server is back.
            self.journal.record("error", f"Could not load the group list yet ({exc.message}).")
            if cached_groups:
                self.journal.record(
                    "offline_start",
                    f"Started offline: showing {cached_groups} group(s) and {cached_messages} "
                    "cached message(s) from the last run; they sync when the server answers.",
                )
        if not self._started:
            return  # stopped (window closed, app quitting) while the list was loading
        if self.cache is not None:
            self._cache_task = spawn(self._flush_cache_periodically(), name="cache-flush")
        self._sender_task = spawn(self.sender.run(), name="sender")
        if refused is not None:
            self.connection.auth_failed(refused.message)  # pauses the sender
            return
        self.connection.start(self.realtime)

    async def stop(self) -> None:
        """Disconnect and stop sending; the outbox stays on disk for the next session."""
        if not self._started:
            return
        self._started = False
        self.sender.stop()
        self.sync.close()
        self._close_cache()  # before any await: a later session may claim the file
        await self.connection.stop()
        if self._sender_task is not None:
            self._sender_task.cancel()
            try:
                await self._sender_task
            except (asyncio.CancelledError, Exception):
                pass
        await self.rest.aclose()
        await self.files.aclose()
        self.outbox.close()
        self.journal.record("state", "Session stopped; unsent messages stay in the outbox.")

    async def sign_out(self) -> None:
        """Revoke the token on the server (best effort), then stop."""
        try:
            await self.rest.logout()
        except ApiError as exc:
            log.info("logout: %s", exc)
        await self.stop()
        if self.cache is not None:
            self.cache.delete()  # a signed-out profile leaves no readable history

    async def set_token(self, token: str) -> None:
        """Use a new token (after signing in again): REST at once, the socket from its next
        connection (its auth is read on every attempt); after auth_failed, reconnect now."""
        self.token = token
        self.rest.token = token
        self.sender.resume()
        if self._started and self.status.state is ConnState.AUTH_FAILED:
            await self.realtime.stop()
            self.journal.record("state", "Signed in again with a new token; reconnecting.")
            self.connection.start(self.realtime)

    # --- the local cache ---------------------------------------------------------------

    def _load_cache(self) -> tuple[int, int]:
        """Put the last run's groups and history on screen; returns (groups, messages)."""
        if self.cache is None:
            return 0, 0
        snapshot = self.cache.load()
        if not snapshot.groups:
            return 0, 0
        self.sync.restore(snapshot)
        groups, messages = len(snapshot.groups), snapshot.message_count
        self.journal.record(
            "cache_loaded",
            f"Showing {groups} group(s) and {messages} message(s) from the local cache of the "
            "last run while the server is asked for what is new.",
        )
        return groups, messages

    def flush_cache(self) -> int:
        """Write what changed to the local cache now; returns the message rows written."""
        if self.cache is None:
            return 0
        return self.cache.flush(self.sync.registry, self.sync.timelines, self.sync.member_lists)

    async def _flush_cache_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.cache_flush_interval)
            self.flush_cache()

    def _close_cache(self) -> None:
        if self._cache_task is not None:
            self._cache_task.cancel()
            self._cache_task = None
        if self.cache is not None:
            self.flush_cache()
            self.cache.close()

    def _connected(self) -> None:
        self.sender.wake()

    def _dropped(self) -> None:
        # Whatever answers after a drop may be another server (reset, restored, replaced):
        # nothing is sent until its `ready` is checked again.
        self.sender.hold()

    # --- the server's identity ---------------------------------------------------------

    def _check_server(self, ready: Ready) -> str | None:
        """Called with each `ready`: None when the server is this session's (or names no
        instance: a server older than instance ids); otherwise why it is not."""
        got = ready.instance_id
        if got is None:
            return None
        if self.instance_id is None:
            self._adopt(got)
            return None
        if got != self.instance_id or ready.user.id != self.user.id:
            self.other_server = (
                f"this address now answers as another server (instance {got[:8]}, this "
                f"session's is {self.instance_id[:8]}): its data was reset or replaced"
            )
            return self.other_server
        return None

    def _adopt(self, instance_id: str) -> None:
        """First confirmation of the instance: the state made without one becomes its."""
        self.instance_id = instance_id
        self.outbox.adopt(instance_id)
        if self.cache is not None:
            self.cache.adopt(instance_id)
        self.journal.record("state", f"The server is instance {instance_id[:8]}.")
        self.listener.on_server_instance(instance_id)
        self._hand_back_foreign()

    def serves(self, instance_id: str | None, user_id: int) -> bool:
        """Whether a sign-in answer (its instance, its user) can continue this session."""
        same_server = instance_id is None or self.instance_id in (None, instance_id)
        return same_server and user_id == self.user.id

    def on_server_verified(self) -> None:
        """The `ready` was this session's server and its groups are checked: send."""
        if self.realtime.connected:
            self.sender.confirm()

    def _hand_back_foreign(self) -> None:
        """Unsent messages typed for another instance at this address can never be sent
        (their group ids name other groups here): out of the outbox, text handed back."""
        by_group: dict[tuple[int, str], list[OutboxItem]] = {}
        for item in self.outbox.foreign():
            by_group.setdefault((item.group_id, item.group_name), []).append(item)
        for (group_id, name), items in by_group.items():
            for item in items:
                self.outbox.remove(item.client_msg_id)
            shown = name or f"group {group_id}"
            self.journal.record(
                "undeliverable",
                f"{len(items)} unsent message(s) to '{shown}' were typed for another server "
                "that answered at this address before (its data was reset or replaced); they "
                "were not sent, and their text was handed back to you.",
            )
            self.listener.on_undeliverable(
                Undeliverable(
                    group_id,
                    shown,
                    [i.body for i in items if i.is_message],
                    reason=Removal.OTHER_SERVER,
                )
            )

    def _auth_failed(self) -> None:
        self.sender.pause()
        self.listener.on_auth_failed()

    # --- sending ---------------------------------------------------------------------

    def send(
        self,
        group_id: int,
        body: str,
        reply_to_message_id: int | None = None,
        files: list[PendingFile] | None = None,
    ) -> str:
        """Queue a message (optionally a reply to a stored message of the group, optionally
        with files, copied into the profile now): its id first, then the pending echo and the
        outbox row, at once. Raises OSError if a file cannot be copied (nothing queued)."""
        cid = str(uuid.uuid4())
        now = datetime.now(UTC)
        state = self.sync.registry.get(group_id)
        name = state.name if state is not None else ""
        data: dict[str, Any] | None = (
            None if reply_to_message_id is None else {"reply_to_message_id": reply_to_message_id}
        )
        if files:
            data = {**(data or {}), "attachments": stage(self.files_root, cid, files)}
        self.outbox.add(OutboxItem(cid, group_id, body, now, group_name=name, data=data))
        row = Row(
            id=None,
            seq=None,
            sender_id=self.user.id,
            sender_name=self.user.display_name,
            body=body,
            created_at=now,
            client_msg_id=cid,
            state=PENDING,
            is_own=True,
        )
        row.reply_to = self.sync.quote(group_id, reply_to_message_id)
        row.attachments = refs_of(attachment_specs(data))
        self.timeline(group_id).add_pending(row)
        self.sync.show_pending(group_id)
        self.journal.record(
            "sent_optimistic",
            f"Message {cid[:8]} to {self.sync.group_name(group_id)} shown as pending and queued "
            f"in the outbox ({self.outbox.count()} waiting).",
            group_id,
        )
        self.listener.on_outbox_changed(self.outbox.count())
        self.sender.wake()
        return cid

    # --- protocol v2 intents: queued in the outbox in typed order, like sends ---------

    def edit_message(
        self, group_id: int, message_id: int | None, body: str, *, client_msg_id: str = ""
    ) -> str | None:
        """Edit one's own message. A stored one (`message_id`) queues a `message.edited`
        event and shows the new text at once (PENDING_EDIT); a still-pending one
        (`message_id` None, `client_msg_id` its echo) has its text replaced in the outbox
        and nothing extra is sent. Returns the client_event_id queued (or the echo's id)."""
        return self.intents.edit(group_id, message_id, body, client_msg_id=client_msg_id)

    def delete_message(
        self, group_id: int, message_id: int | None, *, client_msg_id: str = ""
    ) -> str | None:
        """Delete one's own message: a stored one queues `message.deleted`; a pending one
        is just taken out of the outbox (never sent). Returns the id queued or dropped."""
        return self.intents.delete(group_id, message_id, client_msg_id=client_msg_id)

    def react(self, group_id: int, message_id: int, emoji: str, add: bool) -> str | None:
        """Add or remove one's reaction on a stored message; shown at once."""
        return self.intents.react(group_id, message_id, emoji, add)

    def rename_group(self, group_id: int, name: str) -> str | None:
        """Rename the group (its creator only; the server refuses others with 403)."""
        return self.intents.rename(group_id, name)

    def remove_member(self, group_id: int, user_id: int) -> str | None:
        """Remove a member (the creator only)."""
        return self.intents.remove_member(group_id, user_id)

    def members(self, group_id: int) -> GroupMembers:
        """The group's members (live; loaded with the group's details)."""
        return self.sync.members(group_id)

    def retry(self, client_msg_id: str) -> bool:
        """Send a failed message again, with the same client_msg_id."""
        item = self.outbox.get(client_msg_id)
        if item is None or not self.outbox.mark_pending(client_msg_id):
            return False
        self.timeline(item.group_id).set_pending_state(client_msg_id, PENDING)
        self.journal.record(
            "retry", f"Retrying message {client_msg_id[:8]} at the user's request.", item.group_id
        )
        self.sender.wake()
        return True

    def discard(self, client_msg_id: str) -> OutboxItem | None:
        """Drop an unsent message from the outbox and from its group; returns what was dropped
        (its group and text, so the UI can give the text back), or None if it was not there."""
        item = self.outbox.get(client_msg_id)
        if item is None:
            return None
        self.outbox.remove(client_msg_id)
        self.timeline(item.group_id).drop_pending(client_msg_id)
        self.sync.show_pending(item.group_id)
        self.journal.record(
            "discarded", f"Message {client_msg_id[:8]} discarded by the user.", item.group_id
        )
        self.listener.on_outbox_changed(self.outbox.count())
        return item

    def _restore_outbox(self) -> None:
        items = []
        for item in self.outbox.items():
            if not item.is_message:
                self.intents.restore(item)
                continue
            if self.timeline(item.group_id).index_of_cid(item.client_msg_id) is not None:
                # Stored and cached already (the app stopped before the outbox heard of it):
                # no second echo, but it stays queued. The send is idempotent, so the server
                # answers with the stored original, and if the server lost it (restored from
                # a backup) the retry stores it again. Only the server's answer settles it.
                continue
            items.append(item)
        for item in items:
            row = Row(
                id=None,
                seq=None,
                sender_id=self.user.id,
                sender_name=self.user.display_name,
                body=item.body,
                created_at=item.created_at,
                client_msg_id=item.client_msg_id,
                state=item.state,
                is_own=True,
                error=item.error,
            )
            row.attachments = refs_of(attachment_specs(item.data))
            self.timeline(item.group_id).add_pending(row)
        for group_id in {item.group_id for item in items}:
            self.sync.show_pending(group_id)
        if items:
            self.journal.record(
                "outbox_restored",
                f"{len(items)} unsent message(s) from the last run are back as pending echoes "
                "and will be delivered.",
            )
            self.listener.on_outbox_changed(self.outbox.count())

    # --- SendOutcome -----------------------------------------------------------------

    def on_delivered(self, item: OutboxItem, message: Message) -> None:
        self.outbox.remove(item.client_msg_id)
        replaced = self.sync.apply_sent(message)
        how = (
            "its pending echo is now sent (REST answer came first)"
            if replaced
            else "its echo had already been matched on the socket"
        )
        self.journal.record(
            "server_confirmed",
            f"The server stored message {item.client_msg_id[:8]} as #{message.seq} in "
            f"{self.sync.group_name(item.group_id)}; {how}.",
            item.group_id,
        )
        self.listener.on_outbox_changed(self.outbox.count())

    def on_event_delivered(self, item: OutboxItem, answer: Event | Message) -> None:
        self.intents.delivered(item, answer)

    def event_data(self, item: OutboxItem) -> dict[str, Any] | None:
        return self.intents.event_data(item)

    def on_rejected(self, item: OutboxItem, reason: str, *, not_member: bool = False) -> None:
        if not item.is_message:
            self.intents.rejected(item, reason)
            return
        if not_member and item.group_id not in self.sync.registry:
            # A group the list does not show (left elsewhere while no cache remembered it):
            # failed there, the message would be out of sight for good; give the text back.
            self._hand_back(item.group_id, f"group {item.group_id}")
            return
        self.outbox.mark_failed(item.client_msg_id, reason)
        self.timeline(item.group_id).set_pending_state(item.client_msg_id, FAILED, reason)
        self.journal.record(
            "send_failed",
            f"The server refused message {item.client_msg_id[:8]} to "
            f"{self.sync.group_name(item.group_id)}: {reason.rstrip('.')}. It is marked failed; "
            "retry or discard it.",
            item.group_id,
        )

    def on_auth_failed(self) -> None:
        self.connection.auth_failed("the server refused the token (401)")

    # --- SyncListener ----------------------------------------------------------------

    def on_own_confirmed(self, client_msg_ids: list[str]) -> None:
        removed = sum(1 for cid in client_msg_ids if self.outbox.remove(cid))
        if removed:
            self.listener.on_outbox_changed(self.outbox.count())

    def on_message_received(self, group_id: int, message: Message) -> None:
        self.listener.on_message_received(group_id, message)

    def on_caught_up(self, group_id: int, newest: Message, count: int) -> None:
        self.listener.on_caught_up(group_id, newest, count)

    def on_group_added(self, group_id: int) -> None:
        self.listener.on_group_added(group_id)

    def on_group_removed(self, group_id: int, name: str, reason: Removal = Removal.LEFT) -> None:
        self._hand_back(group_id, name, reason)
        self.listener.on_group_removed(group_id)

    def _drop_unsent(self, group_id: int) -> list[OutboxItem]:
        """Take the group's unsent messages out of the outbox and off its timeline."""
        dropped = [item for item in self.outbox.items() if item.group_id == group_id]
        for item in dropped:
            self.outbox.remove(item.client_msg_id)
            self.timeline(group_id).drop_pending(item.client_msg_id)
        if dropped:
            self.listener.on_outbox_changed(self.outbox.count())
        return dropped

    def _hand_back(self, group_id: int, name: str, reason: Removal = Removal.LEFT) -> None:
        stranded = self._drop_unsent(group_id)
        if stranded:
            # Removed by someone else (our own Leave drops them first, after asking), or the
            # server lost the group's history: the messages cannot be delivered where they
            # were meant to go, so the user gets their text back.
            why = (
                "you are no longer a member"
                if reason is Removal.LEFT
                else "the server lost the group's recent history, and the id may name "
                "another group now"
            )
            self.journal.record(
                "undeliverable",
                f"{len(stranded)} unsent message(s) to '{name}' cannot be delivered: {why}. "
                "Their text was handed back to you.",
                group_id,
            )
            self.listener.on_undeliverable(
                Undeliverable(
                    group_id, name, [i.body for i in stranded if i.is_message], reason=reason
                )
            )

    def on_typing(self, group_id: int, display_name: str) -> None:
        self.listener.on_typing(group_id, display_name)

    # --- the rest of the user's intents ----------------------------------------------

    def timeline(self, group_id: int) -> Timeline:
        return self.sync.timeline(group_id)

    def set_active_group(self, group_id: int | None) -> None:
        self.sync.set_active(group_id)

    def mark_seen(self, group_id: int, seq: int) -> None:
        """The user had the group's messages up to `seq` in sight: they are read."""
        self.sync.reads.mark_seen(group_id, seq)

    def first_unread(self, group_id: int) -> int | None:
        """The first unread message from others among those held (its seq), or None."""
        return self.sync.reads.first_unread(group_id)

    async def load_older(self, group_id: int) -> int:
        return await self.sync.load_older(group_id)

    def notify_typing(self, group_id: int) -> None:
        """Tell the group we are typing, at most once per TYPING_SEND_INTERVAL."""
        now = time.monotonic()
        if now - self._typing_sent.get(group_id, -1e9) < TYPING_SEND_INTERVAL:
            return
        if self.status.state is not ConnState.LIVE:
            return
        self._typing_sent[group_id] = now
        spawn(self._emit_typing(group_id), name=f"typing-{group_id}")

    async def _emit_typing(self, group_id: int) -> None:
        try:
            await self.realtime.emit(ClientEvent.TYPING, {"group_id": group_id})
        except NotConnected:
            pass

    async def create_group(self, name: str, members: list[str]) -> Group:
        group = await self.rest.create_group(name, members)
        self.sync.apply_groups_add(group)
        return group

    async def add_member(self, group_id: int, username: str) -> User:
        member = await self.rest.add_member(group_id, username)
        state = self.sync.registry.get(group_id)
        if state is not None:
            members = self.sync.members(group_id)
            if members.loaded:
                # The member.added event may come before or after this answer: the count
                # is the list's either way, never one more per path.
                members.add(member)
                state.member_count = len(members)
            else:
                state.member_count += 1
            self.sync.registry.changed(group_id)
        return member

    async def search_users(self, prefix: str) -> list[User]:
        return await self.rest.search_users(prefix)

    async def search_messages(
        self, q: str, group_id: int | None, before_id: int | None
    ) -> SearchResults:
        return await self.rest.search_messages(q, group_id=group_id, before_id=before_id)

    def unsent_count(self, group_id: int) -> int:
        """How many of the user's messages to the group have not reached the server."""
        return sum(1 for i in self.outbox.items() if i.group_id == group_id and i.is_message)

    async def set_muted(self, group_id: int, muted: bool) -> None:
        """Mute or unmute the group on the server (every device of the user follows through
        `group:muted`); shown here at once from the answer."""
        state = await self.rest.set_muted(group_id, muted)
        self.sync.set_muted(state.group_id, state.muted)

    async def leave_group(self, group_id: int) -> None:
        """Leave on the server, then drop the group and its unsent messages (which could no
        longer be delivered). A group the server no longer has us in counts as left."""
        try:
            await self.rest.leave_group(group_id)
        except NotFoundError:
            self.journal.record(
                "state", f"{self.sync.group_name(group_id)} was already left on the server."
            )
        dropped = self._drop_unsent(group_id)
        if dropped:
            self.journal.record(
                "discarded",
                f"{len(dropped)} unsent message(s) to {self.sync.group_name(group_id)} dropped "
                "on leaving it.",
                group_id,
            )
        self.sync.on_group_left({"group_id": group_id})
