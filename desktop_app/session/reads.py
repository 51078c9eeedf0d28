"""Read markers: a message is read once a view had it in sight; other windows' reads lower unread."""

from __future__ import annotations

import asyncio
import logging
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from chat_protocol.models import Group, ReadNotice
from desktop_app.net.errors import ApiError
from desktop_app.net.rest import RestClient
from desktop_app.session.groups import GroupRegistry
from desktop_app.session.journal import Journal
from desktop_app.session.timeline import Timeline
from desktop_app.tasks import spawn

log = logging.getLogger(__name__)


class ReadMarkers:
    """Owns `last_read_seq` per group. The server keeps the marker (it only ever rises); the
    UI reports what was seen (`mark_seen`), we send it, at most one request in flight per
    group, and apply the `read` events the server sends when the same user reads in another
    window or device."""

    def __init__(
        self,
        rest: RestClient,
        journal: Journal,
        registry: GroupRegistry,
        timeline: Callable[[int], Timeline],
        my_id: int,
        upsert: Callable[[Group], None],
    ) -> None:
        self.rest = rest
        self.journal = journal
        self.registry = registry
        self.timeline = timeline
        self.my_id = my_id
        self._upsert = upsert
        self.active_group: int | None = None
        self._sent: dict[int, int] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        # Groups whose unread count waits for the server (the messages read were not all held).
        self._recount: set[int] = set()

    def close(self) -> None:
        for task in self._tasks.values():
            if not task.done():
                task.cancel()

    def set_active(self, group_id: int | None) -> None:
        """The group on screen (for the journal and catch-up news). Being on screen reads
        nothing: only `mark_seen`, from a view that had the message in sight, does."""
        self.active_group = group_id

    def mark_seen(self, group_id: int, seq: int) -> None:
        """The user saw the group up to `seq` (its row was in view in an active window):
        the marker rises there, unread drops now, the server is told in the background."""
        state = self.registry.get(group_id)
        if state is None or seq <= state.last_read_seq:
            return
        counted = self._lower_unread(group_id, seq)
        if not counted:
            self._recount.add(group_id)
        self.registry.changed(group_id)
        task = self._tasks.get(group_id)
        if task is None or task.done():
            self._tasks[group_id] = spawn(self._send(group_id), name=f"read-{group_id}")

    def first_unread(self, group_id: int) -> int | None:
        """The seq of the first message from others after the marker, among the rows held."""
        state = self.registry.get(group_id)
        if state is None:
            return None
        tl = self.timeline(group_id)
        i = bisect_right(tl.seqs, state.last_read_seq)
        return next((r.seq for r in tl.confirmed[i:] if r.sender_id != self.my_id), None)

    def _lower_unread(self, group_id: int, seq: int) -> bool:
        """Move the marker up to `seq` and take the messages it passes out of the unread count;
        False when some of them are not held here (the server's count is needed then)."""
        state = self.registry.by_id[group_id]
        tl = self.timeline(group_id)
        old = state.last_read_seq
        if seq >= max(tl.max_seq, state.base_seq, state.last_seq):
            state.set_read(seq, 0, seq)
            return True
        if tl.lo is None or tl.hi is None or tl.lo > old + 1 or tl.hi < seq:
            state.last_read_seq = seq
            return False
        # Each message from others in (old, seq] is counted once: in the server's base count
        # up to base_seq, or among the messages applied after it.
        lo, hi = bisect_right(tl.seqs, old), bisect_right(tl.seqs, seq)
        passed = [r.seq or 0 for r in tl.confirmed[lo:hi] if r.sender_id != self.my_id]
        in_base = sum(1 for s in passed if s <= state.base_seq)
        state.base_unread = max(0, state.base_unread - in_base)
        state.extra_unread = max(0, state.extra_unread - (len(passed) - in_base))
        state.last_read_seq = seq
        return True

    def forget(self, group_id: int) -> None:
        """The user is no longer in the group: if they are added again, their new membership
        starts from the server's marker (0), so nothing we sent before counts."""
        self._sent.pop(group_id, None)

    def server_has(self, group_id: int, seq: int) -> None:
        """The server's list showed this marker: nothing up to it needs sending."""
        self._sent[group_id] = max(self._sent.get(group_id, 0), seq)

    async def resend(self) -> None:
        """Send every marker the server has not confirmed (a request failed, e.g. offline),
        before the group list is fetched again: its unread counts come from the server's
        marker, and a read the server never heard of would show as unread again."""
        for group_id in self.registry.ids():
            task = self._tasks.get(group_id)
            if task is not None and not task.done():
                await asyncio.shield(task)
            else:
                await self._send(group_id)

    async def _send(self, group_id: int) -> None:
        # One request in flight per group; a newer target found meanwhile is sent next.
        while (state := self.registry.get(group_id)) is not None:
            target = state.last_read_seq
            if target <= self._sent.get(group_id, 0):
                return
            try:
                await self.rest.mark_read(group_id, target)
            except ApiError as exc:
                log.info("mark_read %s up to %s failed: %s", group_id, target, exc)
                return
            self._sent[group_id] = max(self._sent.get(group_id, 0), target)
            if group_id in self._recount:
                self._recount.discard(group_id)
                await self._refresh_group(group_id)

    def on_read(self, data: Any) -> None:
        """The `read` event: the same user read up to `seq` somewhere else."""
        try:
            notice = ReadNotice.model_validate(data)
        except ValidationError as exc:
            self.journal.record("error", f"Ignored a malformed read event: {exc}")
            return
        state = self.registry.get(notice.group_id)
        if state is None:
            return
        if notice.seq <= state.last_read_seq:
            # Read markers only rise; this is our own marker coming back, or an old one.
            log.debug("read marker %s of group %s already applied", notice.seq, notice.group_id)
            return
        before = state.unread
        self._apply(notice.group_id, notice.seq)
        self.journal.record(
            "read",
            f"Another window read '{state.name}' up to #{notice.seq}; "
            f"unread {before} → {state.unread}.",
            notice.group_id,
        )

    def _apply(self, group_id: int, seq: int) -> None:
        self._sent[group_id] = max(self._sent.get(group_id, 0), seq)
        if not self._lower_unread(group_id, seq):
            # Some of the messages read are not loaded: ask the server for the count.
            spawn(self._refresh_group(group_id), name=f"refresh-group-{group_id}")
        self.registry.changed(group_id)

    async def _refresh_group(self, group_id: int) -> None:
        try:
            group = await self.rest.group(group_id)
            self.server_has(group_id, group.last_read_seq)
            self._upsert(group)
        except ApiError as exc:
            log.info("refreshing group %s failed: %s", group_id, exc)
