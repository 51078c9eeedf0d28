"""The persistent outbox: messages typed but not yet stored by the server, in SQLite.

Each row belongs to (server instance, user): it is sent only to the instance it was typed
for, once a `ready` of that instance confirmed it. Rows of another instance (the server at
this address was reset or replaced) are never sent; the session hands their text back with
the name the group had when it was typed. Rows from before instances were recorded have no
instance and are adopted by the first instance the session confirms."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_app.session.attachments import unstage
from desktop_app.session.timeline import FAILED, PENDING

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    position      INTEGER PRIMARY KEY AUTOINCREMENT,
    client_msg_id TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL,
    group_id      INTEGER NOT NULL,
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending',
    error         TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0
)
"""
# Added after the first version; a file without them gets them (NULL for its rows).
_ADDED_COLUMNS = {
    "instance_id": "TEXT",
    "username": "TEXT",
    "group_name": "TEXT",
    # Protocol v2: what the row asks for (NULL: a message; else an event kind) and its data.
    "kind": "TEXT",
    "data": "TEXT",
}
_COLUMNS = (
    "client_msg_id, group_id, body, created_at, state, error, attempts, group_name, kind, data"
)
MESSAGE = "message"
_MINE = "user_id = ? AND instance_id IS ?"


@dataclass(frozen=True)
class OutboxItem:
    """One message (or, in protocol v2, one event: an edit, a deletion, a reaction, a
    rename, a removal) waiting for the server, in the order it was typed. An event's
    `client_msg_id` is its client_event_id, chosen before the first try."""

    client_msg_id: str
    group_id: int
    body: str
    created_at: datetime
    state: str = PENDING
    error: str | None = None
    attempts: int = 0
    group_name: str = ""  # as the group was called when the message was typed
    kind: str = MESSAGE
    data: dict[str, Any] | None = None

    @property
    def is_message(self) -> bool:
        return self.kind == MESSAGE


class Outbox:
    """Ordered, durable queue of one user's unsent messages on one server instance (one file
    per profile).

    SQLite in WAL mode commits a row in well under a millisecond, so calls stay on the event
    loop; a message is on disk before the user sees its pending echo."""

    def __init__(
        self,
        path: Path,
        user_id: int,
        *,
        username: str = "",
        instance_id: str | None = None,
        files_root: Path | None = None,
    ) -> None:
        self.path = path
        # Staged copies of messages' files (session/attachments.py): removed with their row.
        self.files_root = files_root
        self.user_id = user_id
        self.username = username
        self.instance_id = instance_id
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self.closed = False
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=2000")
        self._db.execute(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        for name, kind in _ADDED_COLUMNS.items():
            if name not in have:
                self._db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {kind}")

    @property
    def _me(self) -> tuple[int, str | None]:
        return self.user_id, self.instance_id

    def close(self) -> None:
        self.closed = True
        self._db.close()

    def add(self, item: OutboxItem) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO outbox (client_msg_id, user_id, group_id, body, created_at,"
            " state, instance_id, username, group_name, kind, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.client_msg_id,
                self.user_id,
                item.group_id,
                item.body,
                item.created_at.isoformat(),
                item.state,
                self.instance_id,
                self.username,
                item.group_name,
                None if item.is_message else item.kind,
                None if item.data is None else json.dumps(item.data),
            ),
        )

    def replace_body(self, client_msg_id: str, body: str) -> bool:
        """An unsent message was edited before it left: it goes out with the new text."""
        cur = self._db.execute(
            f"UPDATE outbox SET body = ? WHERE client_msg_id = ? AND kind IS NULL AND {_MINE}",
            (body, client_msg_id, *self._me),
        )
        return cur.rowcount > 0

    def items(self) -> list[OutboxItem]:
        """Every item of this user on this instance, oldest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE {_MINE} ORDER BY position", self._me
        ).fetchall()
        return [_item(r) for r in rows]

    def next_pending(self) -> OutboxItem | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE {_MINE} AND state = ? ORDER BY position LIMIT 1",
            (*self._me, PENDING),
        ).fetchone()
        return _item(row) if row else None

    def get(self, client_msg_id: str) -> OutboxItem | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE {_MINE} AND client_msg_id = ?",
            (*self._me, client_msg_id),
        ).fetchone()
        return _item(row) if row else None

    def count(self) -> int:
        # A window may still ask while its session is being signed out; nothing is queued then.
        if self.closed:
            return 0
        row = self._db.execute(f"SELECT COUNT(*) FROM outbox WHERE {_MINE}", self._me).fetchone()
        return int(row[0])

    def adopt(self, instance_id: str) -> None:
        """The instance is now known: this user's rows that had none are its from now on."""
        self._db.execute(
            "UPDATE outbox SET instance_id = ? WHERE user_id = ? AND instance_id IS NULL",
            (instance_id, self.user_id),
        )
        self.instance_id = instance_id

    def foreign(self) -> list[OutboxItem]:
        """This person's rows typed for another server instance, oldest first: they can never
        be sent (the ids they name belong to another server). Matched by username, since the
        same person may have another user id on the new instance."""
        if self.instance_id is None or not self.username:
            return []
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE instance_id IS NOT NULL AND instance_id != ?"
            " AND username = ? ORDER BY position",
            (self.instance_id, self.username),
        ).fetchall()
        return [_item(r) for r in rows]

    def count_attempt(self, client_msg_id: str) -> None:
        self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1 WHERE client_msg_id = ?", (client_msg_id,)
        )

    def mark_failed(self, client_msg_id: str, error: str) -> None:
        self._db.execute(
            "UPDATE outbox SET state = ?, error = ? WHERE client_msg_id = ?",
            (FAILED, error, client_msg_id),
        )

    def mark_pending(self, client_msg_id: str) -> bool:
        cur = self._db.execute(
            f"UPDATE outbox SET state = ?, error = NULL WHERE client_msg_id = ? AND {_MINE}",
            (PENDING, client_msg_id, *self._me),
        )
        return cur.rowcount > 0

    def set_data(self, client_msg_id: str, data: dict[str, Any]) -> None:
        """Record what a try learnt (the attachment ids of uploaded files)."""
        self._db.execute(
            "UPDATE outbox SET data = ? WHERE client_msg_id = ?",
            (json.dumps(data), client_msg_id),
        )

    def remove(self, client_msg_id: str) -> bool:
        cur = self._db.execute("DELETE FROM outbox WHERE client_msg_id = ?", (client_msg_id,))
        if self.files_root is not None:
            unstage(self.files_root, client_msg_id)
        return cur.rowcount > 0


def _item(row: tuple[Any, ...]) -> OutboxItem:
    cid, group_id, body, created_at, state, error, attempts, group_name, kind, data = row
    at = datetime.fromisoformat(created_at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return OutboxItem(
        cid,
        group_id,
        body,
        at,
        state,
        error,
        attempts,
        group_name or "",
        kind or MESSAGE,
        json.loads(data) if data else None,
    )
