"""Catch-up and history: the REST half of the sync engine (a mixin of SyncEngine).

On `ready`, on a skipped seq (after a short grace) and on a ping head ahead of what is held,
a group is fetched from `hi` with `after_seq`, paged until `has_more` is false; news that a
catch-up brought is announced once per group. Scrolling back pages with `before_seq`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from chat_protocol.models import Event, GroupHead, Message, Ready
from desktop_app.net.errors import ApiError, AuthError, NotFoundError
from desktop_app.net.rest import RestClient
from desktop_app.session.groups import GroupRegistry
from desktop_app.session.journal import Journal
from desktop_app.session.reads import ReadMarkers
from desktop_app.session.sync_listener import CatchUpNews, SyncFailed, SyncListener
from desktop_app.session.timeline import Row, Timeline
from desktop_app.tasks import spawn

if TYPE_CHECKING:
    from chat_protocol.models import User


class CatchUp:
    """The fetching part of SyncEngine; the state and helpers it uses are SyncEngine's."""

    rest: RestClient
    journal: Journal
    me: User
    listener: SyncListener
    registry: GroupRegistry
    reads: ReadMarkers
    catchup_page: int
    history_page: int
    gap_grace: float
    stale_cache_gap: int
    _restored: dict[int, int]
    _want: dict[int, int]
    _fetching: dict[int, asyncio.Task[int]]
    _gap_waits: dict[int, asyncio.Task[None]]
    _older_loading: set[int]

    if TYPE_CHECKING:

        def timeline(self, group_id: int) -> Timeline: ...
        def group_name(self, group_id: int) -> str: ...
        async def refresh_groups(self) -> None: ...
        def _refresh_soon(self) -> None: ...
        def _apply_page(
            self, group_id: int, messages: list[Message], overlap: bool = False
        ) -> list[Row]: ...
        def _remove(self, group_id: int, why: str) -> None: ...
        def _forget_history(self, group_id: int, why: str) -> None: ...
        def _lost_history(
            self, group_id: int, server_seq: int, held: dict[int, int], created: object = None
        ) -> str | None: ...
        def _reset_group(self, group_id: int, why: str) -> None: ...
        async def load_members(self, group_id: int) -> None: ...
        def apply_events(
            self, group_id: int, events: list[Event]
        ) -> tuple[list[Message], list[Row]]: ...

    # --- catch-up --------------------------------------------------------------------

    async def on_ready(self, ready: Ready, held: dict[int, int] | None = None) -> tuple[int, int]:
        """Check the groups against the server, then catch up every group the `ready` heads
        show ahead; returns (messages, groups). `held`: what each group held when the socket
        connected; a head below it means the server lost that history (see `_reset_group`)."""
        heads = {h.id: max(h.last_seq, h.head_seq) for h in ready.groups}
        for gid, seq in heads.items():
            lost = self._lost_history(gid, seq, held or {})
            if lost is not None:
                self._reset_group(gid, lost)
        # Every group's identity (creation time, head) is checked against the list before a
        # read marker goes out, so none lands in an id the server now gives another group;
        # the list is asked again after, for unread counts that include those markers.
        await self.refresh_groups()
        await self.reads.resend()
        await self.refresh_groups()
        tasks = []
        for gid in self.registry.ids():
            tl = self.timeline(gid)
            state = self.registry.by_id[gid]
            target = heads.get(gid, state.base_seq)
            if not tl.loaded or (tl.hi or 0) < target:
                tasks.append(self.ensure(gid, target))
        results = await asyncio.gather(*tasks) if tasks else []
        # Members and their read markers (seen-by) as of now; events keep them live after.
        loads = [self.load_members(gid) for gid in self.registry.ids()]
        for failure in await asyncio.gather(*loads, return_exceptions=True):
            if isinstance(failure, AuthError):
                raise failure
        # Sending waits for the catch-up too: its first page overlaps the message held last,
        # which tells a group restored and written past that point (its unsent messages are
        # then handed back, not sent after a history the user never saw).
        self.listener.on_server_verified()
        if any(r < 0 for r in results):
            raise SyncFailed("some groups could not be caught up")
        self._restored.clear()  # every cached group has met the server
        return sum(results), len(tasks)

    def check_heads(self, heads: list[GroupHead], held: dict[int, int] | None = None) -> None:
        """The ping's safety net: any group whose head is ahead of what we hold is fetched;
        one behind what we held when the ping was sent lost history, and is taken afresh."""
        for head in heads:
            top = max(head.last_seq, head.head_seq)
            lost = self._lost_history(head.id, top, held or {})
            if lost is not None:
                self._reset_group(head.id, lost)
            if head.id not in self.registry:
                self._refresh_soon()
                continue
            tl = self.timeline(head.id)
            if tl.loaded and top > (tl.hi or 0) and head.id not in self._fetching:
                self.journal.record(
                    "gap_detected",
                    f"The ping shows {self.group_name(head.id)} at #{top} but we hold "
                    f"up to #{tl.hi}: a live event was missed; fetching it.",
                    head.id,
                )
                self.ensure(head.id, top)

    def _fetch_gap_soon(self, group_id: int, target: int) -> None:
        """A skipped seq is usually the message before arriving second (two server nodes, or
        two sends racing): wait `gap_grace` for it, then fetch what is still missing."""
        self._want[group_id] = max(self._want.get(group_id, 0), target)
        waiting = self._gap_waits.get(group_id)
        if waiting is None or waiting.done():
            self._gap_waits[group_id] = spawn(self._gap_after_grace(group_id), name="gap-grace")

    async def _gap_after_grace(self, group_id: int) -> None:
        await asyncio.sleep(self.gap_grace)
        if group_id not in self.registry:
            return
        want, hi = self._want.get(group_id, 0), self.timeline(group_id).hi or 0
        if hi < want:
            self.ensure(group_id, want)
        else:
            self.journal.record(
                "gap_filled_live",
                f"The missing message(s) of {self.group_name(group_id)} arrived live, out of "
                f"order; complete up to #{hi} without a fetch.",
                group_id,
            )

    def ensure(self, group_id: int, target: int) -> asyncio.Task[int]:
        """Make sure the group holds everything up to `target` (and its newest page)."""
        self._want[group_id] = max(self._want.get(group_id, 0), target)
        task = self._fetching.get(group_id)
        if task is None or task.done():
            task = spawn(self._catch_up(group_id), name=f"catch-up-{group_id}")
            self._fetching[group_id] = task
        return task

    async def _catch_up(self, group_id: int) -> int:
        """Fetch until `hi` reaches the wanted seq; returns messages added, or -1 on failure."""
        tl = self.timeline(group_id)
        cached_hi = self._restored.get(group_id)
        if cached_hi is not None and tl.loaded:
            behind = self._want.get(group_id, 0) - (tl.hi or 0)
            if behind > self.stale_cache_gap:
                self._forget_history(
                    group_id,
                    f"is {behind} messages behind the server, more than one catch-up "
                    f"should fetch ({self.stale_cache_gap})",
                )
        start_hi = tl.hi
        fetched = 0
        # What a restored group catches up on arrived while the app was closed: shown in
        # unread counts, not announced (a first load without a cache does not either).
        quiet = start_hi is None or cached_hi is not None
        news = None if quiet else self._news_for(group_id)
        overlap = True
        try:
            while group_id in self.registry:
                if not tl.loaded:
                    fetched += await self._load_newest(group_id, tl)
                    overlap = False  # the newest page is the server's own: nothing to check
                    continue
                hi = tl.hi or 0
                if hi >= self._want.get(group_id, 0):
                    break
                # The first page starts at the message held last: a server restored from an
                # older backup and written past it shows another message there (a conflict,
                # and the group starts over), which `ready`'s heads alone cannot reveal.
                after = hi - 1 if overlap and hi > 0 else hi
                overlap = False
                # The log, not the messages: edits, reactions and members come with them.
                page = await self.rest.events(group_id, after_seq=after, limit=self.catchup_page)
                messages, new_rows = self.apply_events(group_id, page.events)
                fetched += len(new_rows)
                if news is not None:
                    news.collect(messages, new_rows, self.me.id)
                if not page.events or (not page.has_more and (tl.hi or 0) == hi):
                    break  # the server has nothing more: the head we were told is not there
        except NotFoundError:
            self._remove(group_id, "is gone on the server (404)")
            return fetched
        except AuthError:
            raise  # the token is refused: not a catch-up problem, the session must sign in again
        except ApiError as exc:
            self.journal.record(
                "error",
                f"Catch-up of {self.group_name(group_id)} stopped: {exc.message}. "
                "It resumes on the next reconnect or ping.",
                group_id,
            )
            self._announce(group_id, news)
            return -1
        finally:
            if self._fetching.get(group_id) is asyncio.current_task():
                del self._fetching[group_id]
        self._restored.pop(group_id, None)
        self._announce(group_id, news)
        if start_hi is not None and fetched:
            self.journal.record(
                "gap_repaired",
                f"Fetched {fetched} missing message(s) for {self.group_name(group_id)} "
                f"after #{start_hi}; it is complete up to #{tl.hi}.",
                group_id,
            )
        return fetched

    def _news_for(self, group_id: int) -> CatchUpNews:
        """What a catch-up brings was missed live, so it is announced as live messages are
        (the UI decides whether the group is in front of the user); messages already read
        (here or on another device) are left out."""
        state = self.registry.get(group_id)
        if state is None:
            return CatchUpNews(0)
        return CatchUpNews(state.last_read_seq)

    def _announce(self, group_id: int, news: CatchUpNews | None) -> None:
        if news is None or news.newest is None or group_id not in self.registry:
            return
        newest = news.newest
        state = self.registry.get(group_id)
        if state is not None and state.muted and news.mention is not None:
            newest = news.mention  # a muted group speaks up only for a mention
        if self._newest_from_others(group_id) > news.newest.seq:
            # A gap behind a live message: that newer one was announced already.
            return
        self.journal.record(
            "caught_up_news",
            f"Catch-up brought {news.count} new message(s) from others to "
            f"{self.group_name(group_id)}; announcing the newest (#{newest.seq} from "
            f"{newest.sender.display_name}) once.",
            group_id,
        )
        self.listener.on_caught_up(group_id, newest, news.count)
        self.listener.on_message_received(group_id, newest)

    def _newest_from_others(self, group_id: int) -> int:
        for row in reversed(self.timeline(group_id).confirmed):
            if row.sender_id != self.me.id:
                return row.seq or 0
        return 0

    async def _load_newest(self, group_id: int, tl: Timeline) -> int:
        page = await self.rest.messages(group_id, limit=self.history_page)
        added = len(self._apply_page(group_id, page.messages))
        first = page.messages[0].seq if page.messages else 1
        tl.anchor(first, at_start=not page.has_more)
        self.journal.record(
            "history_loaded",
            f"Loaded the newest {len(page.messages)} message(s) of {self.group_name(group_id)}"
            f" (up to #{tl.hi}).",
            group_id,
        )
        return added

    # --- history ---------------------------------------------------------------------

    async def load_older(self, group_id: int) -> int:
        """Fetch the page just older than what the group holds; returns rows inserted."""
        tl = self.timeline(group_id)
        if group_id in self._older_loading or not tl.has_older():
            return 0
        self._older_loading.add(group_id)
        try:
            if not tl.loaded:
                before = len(tl)
                await self.ensure(group_id, 0)
                return len(tl) - before
            lo = tl.lo or 1
            page = await self.rest.messages(group_id, before_seq=lo, limit=self.history_page)
            if tl.lo != lo:
                return 0  # the history was reloaded meanwhile (a stale cache dropped)
            added = len(self._apply_page(group_id, page.messages))
            if page.messages:
                tl.anchor(page.messages[0].seq, at_start=not page.has_more)
            else:
                tl.mark_start()
            self.journal.record(
                "history_loaded",
                f"Loaded {added} older message(s) of {self.group_name(group_id)} "
                f"(before #{lo}); {'more' if tl.has_older() else 'nothing'} older on the server.",
                group_id,
            )
            return added
        finally:
            self._older_loading.discard(group_id)
