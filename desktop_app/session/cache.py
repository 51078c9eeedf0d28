"""The local cache: the group list and each group's newest messages, so the app starts offline.

One SQLite file per profile (`Profile.cache_path`, next to the outbox), owned by one user on
one server. At start the session shows what it holds before it touches the network; while it
runs, a timer writes what changed (`CACHE_FLUSH_INTERVAL`), and `stop` writes the rest.

What is kept
    * every group's `Group` payload as the list last showed it (name, members, last read,
      unread count, the newest stored message for the preview), rebuilt from the registry;
    * per group, the newest `CACHED_MESSAGES_PER_GROUP` confirmed messages of the contiguous
      block the timeline holds (`lo`..`hi`), keyed by (group_id, seq), with that block's
      bounds. Pending messages are not cached: the outbox already keeps them. Rows keep no
      sender username (a `Row` has none), so a cached preview's sender has an empty one.

Writes stay off the hot path: nothing is done per message. Each flush compares every
group's timeline bounds and list row with what it last wrote, and writes only the rows that
entered the window and one DELETE for those that left it, in one transaction.

Restoring (`SyncEngine.restore`): the rows are merged and anchored at the cached `lo`, so
the timeline is `loaded` with `hi` = the cached `hi`: catch-up asks `after_seq=hi` exactly as
after a reconnect (gap-free, dedup by id), and scrolling back asks `before_seq=lo`
(`has_older` holds unless the cached block reached the group's first message). Messages a
catch-up brings for a restored group are not announced as news (no notification), as a
first load without a cache would not announce them either; unread counts show them.

Far behind: when the server's head is more than `STALE_CACHE_GAP` messages past the cached
`hi`, the group's cached rows are dropped and its newest page is loaded fresh. Catching up
pages `after_seq` to the head and keeps every message in memory (the timeline must stay
contiguous from `lo`), so a cache a week old on a busy group would mean dozens of round trips
before the newest messages show, for history the user may never scroll to. Five catch-up
pages (1000 messages) is still a quick catch-up; past that the newest page is what the user
wants to see, and older history pages in on scrolling as usual. The same happens when the
cache is ahead of the server (the server's data was replaced).

Ownership and privacy: the file records its user id, server URL, server instance and schema
version; opened for anyone else (another user signing in on the profile, another server URL,
another server instance at the same URL: a reset or replaced server) it is deleted and
started afresh, so nobody sees another account's or another server's history. A session that
does not know its instance yet records none and `adopt`s the first one it confirms. Every flush checks the owner
inside its transaction, so a session that is stopping cannot write into the file a newer
session of another user has claimed. Signing out deletes the file. A file that cannot be
read (corrupt, wrong format, unreadable rows) is deleted with a journal entry and rebuilt; a
cache that cannot be written is given up for the session. None of it ever stops the app.
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chat_protocol.models import Group, Message, User
from desktop_app.session.groups import GroupRegistry, GroupState
from desktop_app.session.journal import Journal
from desktop_app.session.members import GroupMembers
from desktop_app.session.row_codec import get_extras, set_extras
from desktop_app.session.timeline import SENT, Row, Timeline

# 2: the owner includes the server instance; 3: protocol v2 state (row extras, log gaps,
# members). A file of another version is deleted and rebuilt (see _owned_by_me).
CACHE_SCHEMA_VERSION = 3
CACHED_MESSAGES_PER_GROUP = 200
CACHE_FLUSH_INTERVAL = 2.0  # seconds between writes of what changed
STALE_CACHE_GAP = 1000  # five catch-up pages: further behind, a group starts from its newest page
_SIDE_FILES = ("-wal", "-shm", "-journal")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS groups (
        group_id INTEGER PRIMARY KEY,
        payload  TEXT NOT NULL,
        lo       INTEGER,
        hi       INTEGER,
        at_start INTEGER NOT NULL DEFAULT 0,
        gaps     TEXT NOT NULL DEFAULT '[]',
        members  TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS messages (
        group_id      INTEGER NOT NULL,
        seq           INTEGER NOT NULL,
        id            INTEGER NOT NULL,
        sender_id     INTEGER NOT NULL,
        sender_name   TEXT NOT NULL,
        body          TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        client_msg_id TEXT NOT NULL,
        extras        TEXT,
        PRIMARY KEY (group_id, seq)
    ) WITHOUT ROWID""",
)
_INSERT_ROW = (
    "INSERT OR REPLACE INTO messages (group_id, seq, id, sender_id, sender_name, body, "
    "created_at, client_msg_id, extras) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

Window = tuple[int, int, bool]  # lo, hi, at_start of the cached block
# What a flush last wrote for a group: its list row's signature, its block, the timeline's
# reset count (after a reset the rows on disk may no longer be the server's: rewrite them),
# and its count of rows changed in place (edits, deletions, reactions: rewritten).
Written = tuple[tuple[object, ...] | None, Window | None, int, int]


@dataclass(frozen=True)
class CachedHistory:
    """One group's cached messages: the contiguous block `lo`..`hi`, oldest first."""

    lo: int
    hi: int
    at_start: bool
    rows: list[Row]
    gaps: list[int] = field(default_factory=list)
    members: dict[str, Any] | None = None


@dataclass(frozen=True)
class CacheSnapshot:
    """Everything the cache held at start."""

    groups: list[Group] = field(default_factory=list)
    histories: dict[int, CachedHistory] = field(default_factory=dict)

    @property
    def message_count(self) -> int:
        return sum(len(h.rows) for h in self.histories.values())


class CacheCorrupt(Exception):
    """The file opened but its content is not what this version writes."""


class LocalCache:
    """The cache file of one profile, for one user on one server. Every method is safe to
    call in any state: failures become journal entries, never exceptions."""

    def __init__(
        self,
        path: Path,
        server_url: str,
        user_id: int,
        journal: Journal,
        instance_id: str | None = None,
    ) -> None:
        self.path = path
        self.server_url = server_url.rstrip("/")
        self.user_id = user_id
        self.instance_id = instance_id or ""
        self.journal = journal
        self._db: sqlite3.Connection | None = None
        self._written: dict[int, Written] = {}
        self._last_messages: dict[int, Message] = {}

    @property
    def is_open(self) -> bool:
        return self._db is not None

    # --- opening ---------------------------------------------------------------------

    def load(self) -> CacheSnapshot:
        """Open the file (creating it if needed) and read what the last run left."""
        try:
            self._db = self._connect()
            if not self._owned_by_me(self._db):
                return CacheSnapshot()
            snapshot = self._read(self._db)
        except (sqlite3.Error, OSError, ValueError, CacheCorrupt) as exc:
            # ValueError covers pydantic's ValidationError and a bad timestamp.
            self.journal.record(
                "error",
                f"The local cache {self.path.name} could not be read ({exc}); it was deleted "
                "and is rebuilt from the server. Groups and history show once the server "
                "answers.",
            )
            self._start_afresh()
            return CacheSnapshot()
        for group in snapshot.groups:
            if group.last_message is not None:
                self._last_messages[group.id] = group.last_message
        return snapshot

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=2000")
            for statement in _SCHEMA:
                db.execute(statement)
        except BaseException:
            db.close()
            raise
        return db

    def _owned_by_me(self, db: sqlite3.Connection) -> bool:
        """Claim a new file; a file of another user, server or version is deleted (False)."""
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        mine = self._owner()
        if not meta:
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", mine.items())
            return True
        if meta == mine:
            return True
        if meta.get("schema") != mine["schema"]:
            why = f"was written by another version (schema {meta.get('schema')})"
        else:
            why = (
                f"belonged to another account or server (user #{meta.get('user_id')} on "
                f"{meta.get('server_url')}, instance {meta.get('instance_id') or 'unknown'})"
            )
        self.journal.record(
            "cache_cleared",
            f"The local cache {self.path.name} {why}; it was deleted so its history does not "
            "show, and a new one is built for this account.",
        )
        self._start_afresh()
        return False

    def _owner(self) -> dict[str, str]:
        return {
            "schema": str(CACHE_SCHEMA_VERSION),
            "server_url": self.server_url,
            "user_id": str(self.user_id),
            "instance_id": self.instance_id,
        }

    def adopt(self, instance_id: str) -> None:
        """The session confirmed its server's instance: a file made without one is its."""
        if self.instance_id == instance_id:
            return
        self.instance_id = instance_id
        if self._db is None:
            return
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('instance_id', ?)", (instance_id,)
            )
        except sqlite3.Error as exc:
            self._give_up(f"its owner could not be recorded ({exc})")

    def _start_afresh(self) -> None:
        """Delete the file and create an empty one; without a usable file, go without."""
        self._unlink()
        try:
            self._db = self._connect()
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)", self._owner().items()
            )
        except (sqlite3.Error, OSError) as exc:
            self._give_up(f"it cannot be created ({exc})")

    def _read(self, db: sqlite3.Connection) -> CacheSnapshot:
        groups: list[Group] = []
        windows: dict[int, Window | None] = {}
        extra: dict[int, tuple[list[int], dict[str, Any] | None]] = {}
        for gid, payload, lo, hi, at_start, gaps, members in db.execute(
            "SELECT group_id, payload, lo, hi, at_start, gaps, members FROM groups "
            "ORDER BY group_id"
        ):
            group = Group.model_validate_json(payload)
            if group.id != gid:
                raise CacheCorrupt(f"group row {gid} holds group {group.id}")
            groups.append(group)
            detail = json.loads(members) if members else None
            extra[gid] = ([int(g) for g in json.loads(gaps)], detail)
            windows[gid] = None if lo is None or hi is None else (lo, hi, bool(at_start))
        rows: dict[int, list[Row]] = {gid: [] for gid, w in windows.items() if w is not None}
        names: dict[int, str] = {}
        for gid, seq, mid, sender_id, sender_name, body, at, cid, extras in db.execute(
            "SELECT group_id, seq, id, sender_id, sender_name, body, created_at, client_msg_id,"
            " extras FROM messages ORDER BY group_id, seq"
        ):
            if gid in rows:
                # One string per sender name, as Row.from_message shares them.
                name = names.setdefault(sender_id, sender_name)
                if name != sender_name:  # renamed: rows keep the name they were sent with
                    name = sender_name
                row = self._row(seq, mid, sender_id, name, body, at, cid)
                if extras:
                    set_extras(row, json.loads(extras))
                rows[gid].append(row)
        histories = {}
        for gid, window in windows.items():
            if window is None:
                continue
            lo, hi, at_start = window
            held = [r for r in rows[gid] if r.seq is not None and lo <= r.seq <= hi]
            gaps, detail = extra[gid]
            histories[gid] = CachedHistory(lo, hi, at_start, held, gaps, detail)
            self._written[gid] = (None, window, 0, 0)
        for gid in windows:
            self._written.setdefault(gid, (None, None, 0, 0))
        return CacheSnapshot(groups, histories)

    def _row(
        self, seq: int, mid: int, sender_id: int, name: str, body: str, at: str, cid: str
    ) -> Row:
        created = datetime.fromisoformat(at)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        own = sender_id == self.user_id
        return Row(
            id=mid,
            seq=seq,
            sender_id=sender_id,
            sender_name=name,
            body=body,
            created_at=created,
            client_msg_id=cid if own else "",
            state=SENT,
            is_own=own,
        )

    # --- writing ---------------------------------------------------------------------

    def flush(
        self,
        registry: GroupRegistry,
        timelines: Mapping[int, Timeline],
        members: Mapping[int, GroupMembers] | None = None,
    ) -> int:
        """Write what changed since the last flush; returns the message rows written."""
        db = self._db
        if db is None:
            return 0
        try:
            plan = self._plan(registry, timelines, members or {})
        except ValueError as exc:  # a list row the wire model refuses: a bug, not a crash
            self._give_up(f"a group could not be written ({exc})")
            return 0
        if not plan.changed and not plan.gone:
            return 0
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                if meta != self._owner():
                    db.execute("ROLLBACK")
                    self._give_up("another account has taken over this profile's cache")
                    return 0
                written = self._write(db, plan)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self._give_up(f"writing failed ({exc})")
            return 0
        for gid, record in plan.changed:
            self._written[gid] = record
            tl = timelines.get(gid)
            if tl is not None:
                tl.dirty.clear()
        for gid in plan.gone:
            self._written.pop(gid, None)
            self._last_messages.pop(gid, None)
        self.journal.count("cache_flushed")
        return written

    def _plan(
        self,
        registry: GroupRegistry,
        timelines: Mapping[int, Timeline],
        members: Mapping[int, GroupMembers],
    ) -> _Plan:
        plan = _Plan()
        for gid, state in registry.by_id.items():
            tl = timelines.get(gid)
            window = _window(tl)
            resets = tl.resets if tl is not None else 0
            revision = tl.revision if tl is not None else 0
            ms = members.get(gid)
            member_sig = ms.revision if ms is not None else 0
            now: Written = ((*_signature(state), member_sig), window, resets, revision)
            before = self._written.get(gid)
            if before == now:
                continue
            on_disk = before[1] if before is not None and before[2] == resets else None
            payload = self._payload(state, tl)
            rows = _rows_to_write(tl, window, on_disk) if tl is not None else []
            plan.changed.append((gid, now))
            gaps = _gaps(tl, window)
            plan.groups.append((gid, payload, window, gaps, _members_json(state, ms)))
            plan.rows.extend(rows)
        plan.gone = [gid for gid in self._written if gid not in registry.by_id]
        return plan

    def _write(self, db: sqlite3.Connection, plan: _Plan) -> int:
        for gid, payload, window, gaps, members in plan.groups:
            lo, hi, at_start = window if window is not None else (None, None, False)
            db.execute(
                "INSERT OR REPLACE INTO groups (group_id, payload, lo, hi, at_start, gaps,"
                " members) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (gid, payload, lo, hi, int(at_start), gaps, members),
            )
            if window is None:
                db.execute("DELETE FROM messages WHERE group_id = ?", (gid,))
            else:
                db.execute(
                    "DELETE FROM messages WHERE group_id = ? AND (seq < ? OR seq > ?)",
                    (gid, window[0], window[1]),
                )
        db.executemany(_INSERT_ROW, plan.rows)
        for gid in plan.gone:
            db.execute("DELETE FROM groups WHERE group_id = ?", (gid,))
            db.execute("DELETE FROM messages WHERE group_id = ?", (gid,))
        return len(plan.rows)

    def _payload(self, state: GroupState, tl: Timeline | None) -> str:
        """The group as the server would list it now (what the list shows)."""
        last = self._last_message(state, tl)
        group = Group(
            id=state.id,
            name=state.name,
            created_at=state.created_at,
            member_count=state.member_count,
            last_seq=max(state.last_seq, state.base_seq),
            last_read_seq=state.last_read_seq,
            unread_count=state.unread,
            last_message=last,
            head_seq=tl.hi if tl is not None and tl.hi is not None else 0,
            muted=state.muted,
        )
        return group.model_dump_json()

    def _last_message(self, state: GroupState, tl: Timeline | None) -> Message | None:
        row = _row_at(tl, state.last_seq) if tl is not None and state.last_seq else None
        if row is not None and row.id is not None and row.seq is not None:
            message = Message(
                id=row.id,
                group_id=state.id,
                seq=row.seq,
                sender=User(id=row.sender_id, username="", display_name=row.sender_name),
                client_msg_id=row.client_msg_id,
                body=row.body,
                created_at=row.created_at,
            )
            self._last_messages[state.id] = message
            return message
        known = self._last_messages.get(state.id)
        return known if known is not None and known.seq == state.last_seq else None

    # --- closing ---------------------------------------------------------------------

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def delete(self) -> None:
        """Close and delete the file (signing out leaves no readable history)."""
        self.close()
        self._unlink()
        self.journal.record(
            "cache_deleted",
            f"Signed out: the local cache of groups and messages ({self.path.name}) was deleted.",
        )

    def _unlink(self) -> None:
        self.close()
        self._written.clear()
        for suffix in ("", *_SIDE_FILES):
            try:
                self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
            except OSError as exc:
                self.journal.record("error", f"Could not delete {self.path.name}{suffix}: {exc}")

    def _give_up(self, why: str) -> None:
        self.close()
        self.journal.record(
            "error",
            f"The local cache {self.path.name} is not used for the rest of this session: {why}. "
            "Everything else works; the next start goes to the server first.",
        )


@dataclass
class _Plan:
    """What one flush writes."""

    changed: list[tuple[int, Written]] = field(default_factory=list)
    groups: list[tuple[int, str, Window | None, str, str | None]] = field(default_factory=list)
    rows: list[tuple[object, ...]] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)


def _signature(state: GroupState) -> tuple[object, ...]:
    """What the cached list row depends on; a flush rewrites the row when it changes."""
    return (
        state.name,
        state.member_count,
        state.last_read_seq,
        state.unread,
        state.last_seq,
        state.base_seq,
        state.stored_time,
        state.stored_preview,
        state.muted,
    )


def _window(tl: Timeline | None) -> Window | None:
    """The block to cache: the newest CACHED_MESSAGES_PER_GROUP rows of `lo`..`hi`."""
    if tl is None or tl.hi is None or tl.lo is None:
        return None
    hi = tl.hi
    lo = max(tl.lo, hi - CACHED_MESSAGES_PER_GROUP + 1)
    return lo, hi, (tl.at_start and lo == tl.lo) or lo <= 1


def _rows_to_write(
    tl: Timeline, window: Window | None, old: Window | None
) -> list[tuple[object, ...]]:
    """Rows of `window` not already on disk, and those changed in place since (`dirty`)."""
    if window is None:
        return []
    lo, hi, _ = window
    seqs = tl.seqs
    first, last = bisect_left(seqs, lo), bisect_right(seqs, hi)
    gid = tl.group_id
    out: list[tuple[object, ...]] = []
    for row in tl.confirmed[first:last]:
        seq = row.seq
        if seq is None or (old is not None and old[0] <= seq <= old[1] and seq not in tl.dirty):
            continue
        out.append(
            (
                gid,
                seq,
                row.id,
                row.sender_id,
                row.sender_name,
                row.body,
                row.created_at.isoformat(),
                row.client_msg_id,
                get_extras(row),
            )
        )
    return out


def _gaps(tl: Timeline | None, window: Window | None) -> str:
    """The log seqs of the window that are no row (so a restored `hi` passes them)."""
    if tl is None or window is None:
        return "[]"
    lo, hi, _ = window
    return json.dumps(sorted(g for g in tl.gaps if lo <= g <= hi))


def _members_json(state: GroupState, members: GroupMembers | None) -> str | None:
    if members is None or not members.loaded:
        return None
    return json.dumps(
        {
            "creator_id": members.creator_id,
            "members": [
                {
                    "id": m.id,
                    "username": m.username,
                    "display_name": m.display_name,
                    "last_read_seq": m.last_read_seq,
                }
                for m in members.ordered()
            ],
        }
    )


def _row_at(tl: Timeline, seq: int) -> Row | None:
    i = bisect_left(tl.seqs, seq)
    return tl.confirmed[i] if i < len(tl.seqs) and tl.seqs[i] == seq else None
