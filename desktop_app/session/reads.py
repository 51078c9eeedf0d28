"""Read markers: the group on screen is read as messages arrive; other windows' reads lower unread."""

from __future__ import annotations

import asyncio
import logging
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
    """Owns `last_read_seq` per group. The server keeps the marker (it only ever rises); we
    send ours for the open group, at most one request in flight per group, and apply the
    `read` events the server sends when the same user reads in another window."""

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

    def close(self) -> None:
        for task in self._tasks.values():
            if not task.done():
                task.cancel()

    def set_active(self, group_id: int | None) -> None:
        """The group on screen: its messages count as read as they arrive."""
        self.active_group = group_id
        if group_id is not None and group_id in self.registry:
            self.mark_read(group_id)

    def mark_read(self, group_id: int) -> None:
        """Everything the group holds is read: unread 0 now, the server told in the background."""
        state = self.registry.get(group_id)
        if state is None:
            return
        target = max(self.timeline(group_id).max_seq, state.last_seq, state.base_seq)
        if target <= state.last_read_seq and state.unread == 0:
            self.registry.changed(group_id)
            return
        state.set_read(target, 0, target)
        self.registry.changed(group_id)
        task = self._tasks.get(group_id)
        if task is None or task.done():
            self._tasks[group_id] = spawn(self._send(group_id), name=f"read-{group_id}")

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
        state = self.registry.by_id[group_id]
        tl = self.timeline(group_id)
        self._sent[group_id] = max(self._sent.get(group_id, 0), seq)
        top = max(tl.max_seq, state.base_seq, state.last_seq)
        if seq >= top:
            state.set_read(seq, 0, seq)
        elif tl.lo is not None and tl.lo <= seq + 1 and tl.max_seq >= state.base_seq:
            # Everything after the marker is here: count the others' messages after it.
            state.set_read(seq, tl.count_unread(seq, self.my_id), tl.max_seq)
        else:
            # Some of the unread messages are not loaded: ask the server for the count.
            state.last_read_seq = max(state.last_read_seq, seq)
            spawn(self._refresh_group(group_id), name=f"refresh-group-{group_id}")
        self.registry.changed(group_id)

    async def _refresh_group(self, group_id: int) -> None:
        try:
            group = await self.rest.group(group_id)
            self.server_has(group_id, group.last_read_seq)
            self._upsert(group)
        except ApiError as exc:
            log.info("refreshing group %s failed: %s", group_id, exc)
