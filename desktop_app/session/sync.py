"""The sync engine: applies live events and REST pages so each group holds its history once, in order.

`SyncFailed` and `SyncListener` live in sync_listener.py and are re-exported here; the REST
half is catchup.py, the protocol v2 log half log_sync.py (both mixins)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import ValidationError

from chat_protocol.models import (
    Group,
    GroupLeft,
    Message,
    MuteState,
    TypingNotice,
    User,
)
from desktop_app.net.errors import ApiError
from desktop_app.net.rest import RestClient
from desktop_app.session.attachments import preview_body
from desktop_app.session.cache import STALE_CACHE_GAP, CacheSnapshot
from desktop_app.session.catchup import CatchUp
from desktop_app.session.events import EventApplier
from desktop_app.session.groups import GroupRegistry, GroupState
from desktop_app.session.journal import Journal
from desktop_app.session.log_sync import LogSync, parsed
from desktop_app.session.members import GroupMembers
from desktop_app.session.mentions import mention_seqs, mentions_me
from desktop_app.session.reads import ReadMarkers
from desktop_app.session.sync_listener import Removal, SyncFailed, SyncListener
from desktop_app.session.timeline import Row, Timeline
from desktop_app.tasks import spawn

__all__ = ["CATCHUP_PAGE", "HISTORY_PAGE", "Removal", "SyncEngine", "SyncFailed", "SyncListener"]

log = logging.getLogger(__name__)

CATCHUP_PAGE = 200  # the protocol's maximum: catch-up wants few round trips
HISTORY_PAGE = 50  # one screenful and a bit: opening a group and each scroll-back
# How long a skipped seq may take to arrive live before it is fetched from REST.
GAP_GRACE_SECONDS = 0.3


class SyncEngine(CatchUp, LogSync):
    """Keeps a Timeline per group and `hi` (the contiguous last seq) for each. Live messages
    are applied at once; a skipped seq, a `ready` or a ping head ahead of `hi` starts a REST
    catch-up from `hi`, paged until `has_more` is false. Everything is deduplicated by id."""

    def __init__(
        self,
        rest: RestClient,
        journal: Journal,
        me: User,
        listener: SyncListener,
        *,
        catchup_page: int = CATCHUP_PAGE,
        history_page: int = HISTORY_PAGE,
        gap_grace: float = GAP_GRACE_SECONDS,
        stale_cache_gap: int = STALE_CACHE_GAP,
    ) -> None:
        self.rest = rest
        self.journal = journal
        self.me = me
        self.listener = listener
        self.catchup_page = catchup_page
        self.history_page = history_page
        self.gap_grace = gap_grace
        self.stale_cache_gap = stale_cache_gap
        self.registry = GroupRegistry(me.id)
        self.timelines: dict[int, Timeline] = {}
        self.member_lists: dict[int, GroupMembers] = {}
        self.applier = EventApplier(self)
        self._names: dict[int, str] = {me.id: me.display_name}
        self._want: dict[int, int] = {}
        self._fetching: dict[int, asyncio.Task[int]] = {}
        self._gap_waits: dict[int, asyncio.Task[None]] = {}
        self._older_loading: set[int] = set()
        self._refresh_task: asyncio.Task[None] | None = None
        # Groups whose history came from the local cache and has not met the server yet,
        # with the cached `hi` (see session/cache.py).
        self._restored: dict[int, int] = {}
        # Live membership changes (group:joined/left, a group created), numbered, with the
        # number of each group's latest: a list fetched before one must not undo it.
        self._membership_changes = 0
        self._membership_changed: dict[int, int] = {}
        self.reads = ReadMarkers(rest, journal, self.registry, self.timeline, me.id, self._upsert)

    def close(self) -> None:
        """Cancel every fetch and read-marker task (the session is stopping)."""
        for task in [*self._fetching.values(), *self._gap_waits.values(), self._refresh_task]:
            if task is not None and not task.done():
                task.cancel()
        self.reads.close()

    @property
    def active_group(self) -> int | None:
        """The group on screen (see ReadMarkers)."""
        return self.reads.active_group

    def set_active(self, group_id: int | None) -> None:
        self.reads.set_active(group_id)

    # --- lookup ----------------------------------------------------------------------

    def timeline(self, group_id: int) -> Timeline:
        """The group's timeline, created on first use and kept for the whole session."""
        tl = self.timelines.get(group_id)
        if tl is None:
            tl = self.timelines[group_id] = Timeline(group_id)
        return tl

    def members(self, group_id: int) -> GroupMembers:
        """The group's members, created on first use and kept for the whole session."""
        ms = self.member_lists.get(group_id)
        if ms is None:
            ms = self.member_lists[group_id] = GroupMembers(group_id, self.me.id)
        return ms

    def group_name(self, group_id: int) -> str:
        state = self.registry.get(group_id)
        return f"'{state.name}'" if state else f"group {group_id}"

    # --- the local cache --------------------------------------------------------------

    def restore(self, snapshot: CacheSnapshot) -> None:
        """Show the last run's groups and history before the server answers: each group's
        cached block is anchored as a loaded timeline (catch-up resumes after its `hi`), and
        the list goes through the same path as the server's."""
        for gid, history in snapshot.histories.items():
            tl = self.timeline(gid)
            if tl.loaded or len(tl):
                continue  # never mix cached rows into a timeline already in use
            tl.merge(history.rows)
            tl.gaps.update(history.gaps)
            tl.anchor(history.lo, history.at_start)
            if history.members is not None:
                self.members(gid).restore(history.members)
            self._restored[gid] = tl.hi or 0
        for group in snapshot.groups:
            self._upsert(group)

    def _forget_history(self, group_id: int, why: str) -> None:
        """Drop a restored group's cached rows; its next catch-up loads the newest page."""
        tl = self.timeline(group_id)
        cached_hi = self._restored.pop(group_id, tl.hi)
        dropped = tl.reset()
        state = self.registry.get(group_id)
        if state is not None:
            # The rows counted as unread are gone; the reload counts them again, once.
            state.extra_unread = 0
        self.journal.record(
            "cache_dropped",
            f"The cached history of {self.group_name(group_id)} (up to #{cached_hi}) {why}; "
            f"dropped its {dropped} cached message(s) and loading the newest page instead.",
            group_id,
        )

    # --- groups ----------------------------------------------------------------------

    def apply_groups(
        self,
        groups: list[Group],
        asked_at: int | None = None,
        held: dict[int, int] | None = None,
    ) -> None:
        """Reconcile with the server's list: add new groups, refresh known ones, drop gone ones.
        `asked_at`: the membership change count when the list was requested; a group joined or
        left live since then keeps what the live event said. `held`: what each group held
        when the list was requested (see `held`): a group the list shows behind it, or with
        another creation time, lost its history on the server and is taken afresh."""
        seen = set()
        for group in groups:
            seen.add(group.id)
            if self._changed_since(group.id, asked_at) and group.id not in self.registry:
                continue  # left after the server made the list
            lost = self._lost_history(group.id, group.last_seq, held or {}, group.created_at)
            if lost is not None:
                self._reset_group(group.id, lost)
            self.reads.server_has(group.id, group.last_read_seq)
            self._upsert(group)
        for gid in self.registry.ids():
            if gid not in seen and not self._changed_since(gid, asked_at):
                self._remove(gid, "is no longer in your group list")

    def _changed_since(self, group_id: int, asked_at: int | None) -> bool:
        return asked_at is not None and self._membership_changed.get(group_id, 0) > asked_at

    def _membership_change(self, group_id: int) -> None:
        self._membership_changes += 1
        self._membership_changed[group_id] = self._membership_changes

    def apply_groups_add(self, group: Group) -> None:
        """A group we just created or joined (the server also sends group:joined)."""
        self._membership_change(group.id)
        self.reads.server_has(group.id, group.last_read_seq)
        self._upsert(group)
        self.ensure(group.id, max(group.last_seq, group.head_seq))

    async def refresh_groups(self) -> None:
        asked_at, held = self._membership_changes, self.held()
        self.apply_groups(await self.rest.groups(), asked_at, held)

    # --- history the server no longer has (restored from an older backup) ---------------

    def held(self) -> dict[int, int]:
        """Each group's newest seq this client has from the server. Taken before a request,
        it is a floor for the answer: a server answering lower lost history (it was
        restored from an older backup, and its ids and seqs are being reused)."""
        return {
            gid: max(self.timeline(gid).max_seq, state.last_seq, state.base_seq)
            for gid, state in self.registry.by_id.items()
        }

    def _lost_history(
        self, group_id: int, server_seq: int, held: dict[int, int], created: object = None
    ) -> str | None:
        """Why the server's view of a known group cannot be the history we hold, or None."""
        state = self.registry.get(group_id)
        if state is None:
            return None
        if created is not None and created != state.created_at:
            return "is another group on the server now (its id was reused)"
        before = held.get(group_id, 0)
        if server_seq < before:
            return f"is at #{server_seq} on the server, behind the #{before} this app holds"
        return None

    def _history_conflict(self, group_id: int, seq: int) -> None:
        """The server sent another message as a seq we hold: it is not the history we hold
        (restored from an older backup and written past our point). Start the group over."""
        if group_id in self.registry:
            self._reset_group(group_id, f"has another message as #{seq} than the one held")
            self._refresh_soon()

    def _reset_group(self, group_id: int, why: str) -> None:
        """The server lost this group's history as we know it: its unsent messages are handed
        back (never sent into whatever the id now names), its rows dropped, and the group is
        taken afresh from the server's list and newest page."""
        task = self._fetching.pop(group_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        self._want.pop(group_id, None)
        self._remove(
            group_id,
            f"{why}; the server lost part of its history (restored from an older backup?), so "
            "its cached messages were dropped and it is loaded afresh",
            Removal.LOST,
        )
        self.timeline(group_id).reset()

    def _refresh_soon(self) -> None:
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = spawn(self._refresh_quietly(), name="refresh-groups")

    async def _refresh_quietly(self) -> None:
        try:
            await self.refresh_groups()
        except ApiError as exc:
            self.journal.record("error", f"Could not refresh the group list: {exc.message}")
            return
        for gid in self.registry.ids():
            if not self.timeline(gid).loaded:
                self.ensure(gid, 0)

    def _upsert(self, group: Group) -> None:
        new = self.registry.upsert(group)
        state = self.registry.by_id[group.id]
        tl = self.timeline(group.id)
        # Messages already applied beyond the server's count are ours to count.
        state.extra_unread = tl.count_unread(max(state.base_seq, state.last_read_seq), self.me.id)
        state.mention_seqs = mention_seqs(tl, state.last_read_seq, self.me.id)
        if new:
            if tl.pending:  # unsent messages restored before the group list arrived
                self._set_pending_preview(state)
            self.journal.record(
                "group_added",
                f"Group '{group.name}' is in the list ({group.member_count} members, "
                f"last message #{group.last_seq}, {group.unread_count} unread).",
                group.id,
            )
            self.listener.on_group_added(group.id)
        self.registry.changed(group.id)

    def _remove(self, group_id: int, why: str, reason: Removal = Removal.LEFT) -> None:
        name = self.group_name(group_id)
        state = self.registry.get(group_id)
        plain_name = state.name if state is not None else f"group {group_id}"
        if self.reads.active_group == group_id:
            # Nothing is on screen until the UI opens another group; a stale active group
            # would be marked read (and fail) at the next catch-up.
            self.reads.active_group = None
        self._restored.pop(group_id, None)
        self.reads.forget(group_id)
        if self.registry.remove(group_id):
            self.journal.record("group_removed", f"Group {name} {why}.", group_id)
            self.listener.on_group_removed(group_id, plain_name, reason)

    # --- live events -----------------------------------------------------------------

    def on_message_new(self, data: Any) -> None:
        message = parsed(Message, data, self.journal, "message:new event")
        if message is None:
            return
        gid = message.group_id
        if gid not in self.registry:
            self.journal.record(
                "error",
                f"Message #{message.seq} arrived for group {gid}, which is not in the list yet; "
                "refreshing the group list.",
                gid,
            )
            self._refresh_soon()
            return
        tl = self.timeline(gid)
        row = Row.from_message(message, self.me.id, self._names)
        result = tl.merge((row,))
        name = self.group_name(gid)
        if result.conflicts:
            self._history_conflict(gid, result.conflicts[0])
            return
        if result.duplicates:
            if message.sender.id == self.me.id:
                # The normal second half of our own send when the REST answer came first:
                # not a duplicate anyone would worry about, so not counted as one.
                self.journal.record(
                    "own_echo_matched",
                    f"Own message #{message.seq} in {name} came back on the socket after the "
                    "REST answer had confirmed it; nothing to change.",
                    gid,
                )
            else:
                self.journal.record(
                    "duplicate_suppressed",
                    f"Message #{message.seq} in {name} was already here (same id); ignored "
                    "the copy.",
                    gid,
                )
            return
        if result.own_matched:
            self.journal.record(
                "own_echo_matched",
                f"Own message #{message.seq} in {name} came back on the socket and replaced its "
                "pending echo (matched by client_msg_id).",
                gid,
            )
            self.listener.on_own_confirmed(result.matched_cids)
        self._after_new(gid, result.new_rows)
        if not result.own_matched:
            if gid == self.reads.active_group:
                self.journal.record(
                    "received_live",
                    f"Message #{message.seq} from {row.sender_name} arrived live in {name} (on screen).",
                    gid,
                )
            else:
                state = self.registry.by_id[gid]
                self.journal.record(
                    "stored_background",
                    f"Message #{message.seq} from {row.sender_name} stored in background group "
                    f"{name}; {state.unread} unread there.",
                    gid,
                )
            if message.sender.id != self.me.id:
                self.listener.on_message_received(gid, message)
        hi = tl.hi
        if hi is None:
            self.ensure(gid, message.seq)
        elif message.seq > hi:
            self.journal.record(
                "gap_detected",
                f"Live message #{message.seq} in {name} skips #{hi + 1}; fetching the gap from "
                f"REST unless it arrives within {self.gap_grace:g} s.",
                gid,
            )
            self._fetch_gap_soon(gid, message.seq)

    def on_group_joined(self, data: Any) -> None:
        try:
            group = Group.model_validate(data)
        except ValidationError as exc:
            self.journal.record("error", f"Ignored a malformed group:joined event: {exc}")
            return
        self._membership_change(group.id)
        self.reads.server_has(group.id, group.last_read_seq)
        self._upsert(group)
        self.ensure(group.id, max(group.last_seq, group.head_seq))
        spawn(self._load_members_quietly(group.id), name=f"members-{group.id}")

    async def _load_members_quietly(self, group_id: int) -> None:
        try:
            await self.load_members(group_id)
        except ApiError as exc:
            log.info("members of group %s not loaded: %s", group_id, exc)

    def on_group_left(self, data: Any) -> None:
        try:
            left = GroupLeft.model_validate(data)
        except ValidationError as exc:
            self.journal.record("error", f"Ignored a malformed group:left event: {exc}")
            return
        self._membership_change(left.group_id)
        self._remove(left.group_id, "was left (you left or were removed)")

    def on_group_muted(self, data: Any) -> None:
        """`group:muted`: the user (maybe on another device) muted or unmuted a group."""
        notice = parsed(MuteState, data, self.journal, "group:muted event")
        if notice is not None:
            self.set_muted(notice.group_id, notice.muted)

    def set_muted(self, group_id: int, muted: bool) -> None:
        state = self.registry.get(group_id)
        if state is not None and state.muted != muted:
            state.muted = muted
            self.journal.record(
                "state",
                f"{self.group_name(group_id)} is {'muted' if muted else 'unmuted'}.",
                group_id,
            )
            self.registry.changed(group_id)

    def on_typing(self, data: Any) -> None:
        try:
            notice = TypingNotice.model_validate(data)
        except ValidationError:
            return
        # A node skips only the typist's sockets it holds; with several nodes, our own notice
        # comes back through Redis to this user's sockets on the others.
        if notice.user.id != self.me.id and notice.group_id in self.registry:
            self.listener.on_typing(notice.group_id, notice.user.display_name)

    # --- applying --------------------------------------------------------------------

    def _apply_page(
        self, group_id: int, messages: list[Message], overlap: bool = False
    ) -> list[Row]:
        """Merge a REST page; returns the rows that were new (own echoes confirmed included).
        `overlap`: the page starts with the message held last (asked for on purpose)."""
        if not messages:
            return []
        tl = self.timeline(group_id)
        rows = [Row.from_message(m, self.me.id, self._names) for m in messages]
        result = tl.merge(rows)
        if result.conflicts:
            self._history_conflict(group_id, result.conflicts[0])
            return []
        duplicates = result.duplicates - (1 if overlap else 0)
        if duplicates > 0:
            self.journal.count("duplicate_suppressed", duplicates)
        if result.matched_cids:
            for cid in result.matched_cids:
                self.journal.record(
                    "own_echo_matched",
                    f"Own message {cid[:8]} in {self.group_name(group_id)} was found stored on "
                    "the server during catch-up; its pending echo is now sent.",
                    group_id,
                )
            self.listener.on_own_confirmed(result.matched_cids)
        if result.new_rows:
            self._after_new(group_id, result.new_rows)
        return result.new_rows

    def apply_sent(self, message: Message) -> bool:
        """The REST answer to our send; True if it replaced the pending echo (REST came first)."""
        tl = self.timeline(message.group_id)
        row = Row.from_message(message, self.me.id, self._names)
        result = tl.merge((row,))
        if result.conflicts:
            self._history_conflict(message.group_id, result.conflicts[0])
            return False
        if result.new_rows:
            # Also when it only confirmed the pending echo: the preview shows the stored copy.
            self._after_new(message.group_id, result.new_rows)
        if message.group_id in self.registry and tl.hi is not None and message.seq > tl.hi:
            self.ensure(message.group_id, message.seq)
        return bool(result.own_matched)

    def _after_new(self, group_id: int, rows: list[Row]) -> None:
        """Update the group's unread count and preview for newly applied rows (each row is
        counted here once: pass only rows the timeline did not hold, never duplicates)."""
        state = self.registry.get(group_id)
        if state is None:
            return
        # Unread also in the group on screen: it is read once seen (ReadMarkers.mark_seen).
        floor = max(state.base_seq, state.last_read_seq)
        newest = None
        my_id = self.me.id
        own = False
        for row in rows:
            seq = row.seq or 0
            if row.system is not None:
                continue  # system lines are not messages: no unread, no preview
            if row.sender_id == my_id:
                own = True
            elif seq > floor and not row.deleted:
                state.extra_unread += 1
            if seq > state.last_read_seq and mentions_me(row, my_id):
                state.mention_seqs.add(seq)
            if seq >= state.last_seq and (newest is None or seq > (newest.seq or 0)):
                newest = row
        if newest is not None:
            state.set_last(
                newest.seq or 0,
                newest.sender_name,
                preview_body(newest.body, newest.attachments),
                newest.created_at,
                newest.sender_id,
            )
        if own:
            self._set_pending_preview(state)
        self.registry.changed(group_id)

    def show_pending(self, group_id: int) -> None:
        """The user's unsent messages of the group changed: the list shows the newest at once."""
        state = self.registry.get(group_id)
        if state is not None:
            self._set_pending_preview(state)
            self.registry.changed(group_id)

    def _set_pending_preview(self, state: GroupState) -> None:
        pending = self.timeline(state.id).pending
        if pending:
            newest = pending[-1]
            state.set_pending(preview_body(newest.body, newest.attachments), newest.created_at)
        else:
            state.set_pending(None)
