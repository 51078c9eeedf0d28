"""Every node follows the database's control log, so revocations and membership ends reach
it whether or not Redis delivered them (pub/sub stays the fast path; this is the promise).

The bound: a change is committed before its request answers; each read of the log starts at
most `POLL_SECONDS` after the previous one, and a node trusts its token cache only while its
last complete read started under `CACHE_TRUST_SECONDS` ago. docs/operations.md gives the sum.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from chat_server.services.auth import AuthService
from chat_server.storage import control
from chat_server.storage.db import Database
from chat_server.wire import now_utc

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# Longer than a poll plus a slow read on a loaded machine; the REST refusal bound.
CACHE_TRUST_SECONDS = 3.0
BATCH = 500
# An id below the newest read but not yet visible belongs to a transaction still committing
# (ids are taken at insert, commits land in any order) or to one rolled back: look again
# for this long, then give it up.
HOLE_GRACE_SECONDS = 30.0
MAX_HOLES = 1000
# At start, ids this close below the head that are missing may still be committing.
START_LOOKBACK = 100
RETENTION = timedelta(days=1)
PRUNE_EVERY_SECONDS = 600.0
# A node that could not read the log for this long (past the token cache's trust) re-checks
# every socket when it can again: it may have missed joins too, which are not in the log.
RESYNC_AFTER_SECONDS = 5.0
FAILURE_LOG_EVERY_SECONDS = 30.0
ERROR_TEXT_MAX = 200
# /healthz says "behind" once the last good read is this old: revocations and removals no
# longer reach this node's sockets within the 5 s the operations guide promises.
BEHIND_AFTER_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ControlEntry:
    id: int
    kind: str
    user_id: int | None
    group_id: int | None
    token_hash: str | None


class ControlSink(Protocol):
    """Applies entries to this node's sockets (the realtime layer)."""

    async def token_revoked_here(self, token_hash: str) -> None: ...

    async def membership_ended_here(self, user_id: int, group_id: int) -> None: ...

    async def revalidate_sockets(self) -> None: ...


class ControlFollower:
    """Reads the control log about every second and applies each entry once, in id order."""

    def __init__(
        self, db: Database, auth: AuthService, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.auth = auth
        self.sink: ControlSink | None = None
        self._clock = clock
        self._last_id = 0
        self._holes: dict[int, float] = {}  # id -> when to stop waiting for it
        self._failing_since: float | None = None
        self._last_read = clock()
        self._failure_logged = 0.0
        self._next_prune = 0.0
        self._task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        """Begin at the current head: what came before is already in the database's state."""
        started = self._clock()
        async with self.db.read() as conn:
            head = await control.head(conn)
            recent = await control.after(conn, max(head - START_LOOKBACK, 0), (), START_LOOKBACK)
        present = {int(r.id) for r in recent}
        for missing in range(max(head - START_LOOKBACK, 0) + 1, head):
            if missing not in present:
                self._holes[missing] = started + HOLE_GRACE_SECONDS
        self._last_id = head
        self._last_read = started
        self.auth.trust_cache_until(started + CACHE_TRUST_SECONDS)
        self._task = asyncio.create_task(self._run(), name="control-log-follower")

    def age(self) -> float:
        """Seconds since the start of the last round that read the whole log (or since start)."""
        return max(self._clock() - self._last_read, 0.0)

    def state(self) -> str:
        """`ok`, or `behind` when entries may be waiting longer than the promised bound."""
        return "ok" if self.age() <= BEHIND_AFTER_SECONDS else "behind"

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await self.poll()
                await self._prune_now_and_then()
            except Exception:  # a bug of ours: say so, and keep following
                log.exception("control log follower failed")

    async def poll(self) -> None:
        """One round: read everything new, apply it; extend the token cache's trust on success."""
        started = self._clock()
        try:
            while True:
                async with self.db.read() as conn:
                    rows = await control.after(conn, self._last_id, self._holes, BATCH)
                for row in rows:
                    await self._take(row)
                if len(rows) < BATCH:
                    break
        except Exception as exc:
            self._note_failure(started, exc)
            return
        self._expire_holes(started)
        self._last_read = started
        self.auth.trust_cache_until(started + CACHE_TRUST_SECONDS)
        if self._failing_since is not None:
            outage = started - self._failing_since
            self._failing_since = None
            log.warning("control log readable again", extra={"seconds": round(outage, 1)})
            if outage >= RESYNC_AFTER_SECONDS and self.sink is not None:
                await self._revalidate(started)

    async def _revalidate(self, started: float) -> None:
        assert self.sink is not None
        try:
            await self.sink.revalidate_sockets()
        except Exception as exc:  # the database went away again: re-check on its return
            self._failing_since = started - RESYNC_AFTER_SECONDS
            self._note_failure(started, exc)

    async def _take(self, row: Any) -> None:
        entry_id = int(row.id)
        if self._holes.pop(entry_id, None) is None:
            if entry_id <= self._last_id:
                return  # already applied
            deadline = self._clock() + HOLE_GRACE_SECONDS
            for missing in range(self._last_id + 1, entry_id):
                if len(self._holes) >= MAX_HOLES:
                    break
                self._holes[missing] = deadline
            self._last_id = entry_id
        entry = ControlEntry(entry_id, row.kind, row.user_id, row.group_id, row.token_hash)
        try:
            await self.apply(entry)
        except Exception:  # one bad entry must not stop the log for every later one
            log.exception("control log entry failed", extra={"entry_id": entry_id})

    async def apply(self, entry: ControlEntry) -> None:
        if entry.kind == control.TOKEN_REVOKED and entry.token_hash:
            self.auth.forget_token(entry.token_hash)
            if self.sink is not None:
                await self.sink.token_revoked_here(entry.token_hash)
        elif entry.kind == control.MEMBER_REMOVED and entry.user_id and entry.group_id:
            if self.sink is not None:
                await self.sink.membership_ended_here(int(entry.user_id), int(entry.group_id))

    def _expire_holes(self, now: float) -> None:
        for hole in [h for h, deadline in self._holes.items() if deadline <= now]:
            del self._holes[hole]

    def _note_failure(self, started: float, exc: Exception) -> None:
        if self._failing_since is None:
            self._failing_since = started
        if started - self._failure_logged >= FAILURE_LOG_EVERY_SECONDS:
            self._failure_logged = started
            # A database outage, not a bug of ours: one line, no traceback.
            log.warning(
                "cannot read the control log; tokens are checked in the database meanwhile",
                extra={"error": _describe(exc)},
            )

    async def _prune_now_and_then(self) -> None:
        now = self._clock()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_SECONDS
        try:
            async with self.db.write() as conn:
                removed = await control.prune(conn, now_utc() - RETENTION)
        except Exception as exc:
            log.warning("pruning the control log failed", extra={"error": _describe(exc)})
            return
        if removed:
            log.info("control log pruned", extra={"rows": removed})


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_MAX]
