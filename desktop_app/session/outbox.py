"""The persistent outbox: messages typed but not yet stored by the server, in SQLite."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
_COLUMNS = "client_msg_id, group_id, body, created_at, state, error, attempts"


@dataclass(frozen=True)
class OutboxItem:
    """One message waiting for the server, in the order it was typed."""

    client_msg_id: str
    group_id: int
    body: str
    created_at: datetime
    state: str = PENDING
    error: str | None = None
    attempts: int = 0


class Outbox:
    """Ordered, durable queue of one user's unsent messages (one file per profile).

    SQLite in WAL mode commits a row in well under a millisecond, so calls stay on the event
    loop; a message is on disk before the user sees its pending echo."""

    def __init__(self, path: Path, user_id: int) -> None:
        self.path = path
        self.user_id = user_id
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=2000")
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(self, item: OutboxItem) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO outbox (client_msg_id, user_id, group_id, body, created_at, state)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                item.client_msg_id,
                self.user_id,
                item.group_id,
                item.body,
                item.created_at.isoformat(),
                item.state,
            ),
        )

    def items(self) -> list[OutboxItem]:
        """Every item of this user, oldest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE user_id = ? ORDER BY position", (self.user_id,)
        ).fetchall()
        return [_item(r) for r in rows]

    def next_pending(self) -> OutboxItem | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE user_id = ? AND state = ? ORDER BY position LIMIT 1",
            (self.user_id, PENDING),
        ).fetchone()
        return _item(row) if row else None

    def get(self, client_msg_id: str) -> OutboxItem | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE user_id = ? AND client_msg_id = ?",
            (self.user_id, client_msg_id),
        ).fetchone()
        return _item(row) if row else None

    def count(self) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM outbox WHERE user_id = ?", (self.user_id,)
        ).fetchone()
        return int(row[0])

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
            "UPDATE outbox SET state = ?, error = NULL WHERE client_msg_id = ? AND user_id = ?",
            (PENDING, client_msg_id, self.user_id),
        )
        return cur.rowcount > 0

    def remove(self, client_msg_id: str) -> bool:
        cur = self._db.execute("DELETE FROM outbox WHERE client_msg_id = ?", (client_msg_id,))
        return cur.rowcount > 0


def _item(row: tuple[str, int, str, str, str, str | None, int]) -> OutboxItem:
    cid, group_id, body, created_at, state, error, attempts = row
    at = datetime.fromisoformat(created_at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return OutboxItem(cid, group_id, body, at, state, error, attempts)
