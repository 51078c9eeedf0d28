"""A cache file of schema 2 (before protocol v2 state was kept) is rebuilt, not read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop_app.session.cache import CACHE_SCHEMA_VERSION, LocalCache
from desktop_app.session.journal import Journal

URL = "http://127.0.0.1:9"

SCHEMA_2 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE groups (group_id INTEGER PRIMARY KEY, payload TEXT NOT NULL, lo INTEGER,"
    " hi INTEGER, at_start INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE messages (group_id INTEGER NOT NULL, seq INTEGER NOT NULL, id INTEGER NOT"
    " NULL, sender_id INTEGER NOT NULL, sender_name TEXT NOT NULL, body TEXT NOT NULL,"
    " created_at TEXT NOT NULL, client_msg_id TEXT NOT NULL, PRIMARY KEY (group_id, seq))"
    " WITHOUT ROWID",
)


def test_a_schema_2_cache_is_deleted_and_rebuilt_with_the_v2_columns(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    db = sqlite3.connect(path)
    for statement in SCHEMA_2:
        db.execute(statement)
    owner = {"schema": "2", "server_url": URL, "user_id": "1", "instance_id": "i"}
    db.executemany("INSERT INTO meta VALUES (?, ?)", owner.items())
    db.execute(
        "INSERT INTO messages VALUES (1, 1, 1, 2, 'Bob', 'old body', '2026-01-01T00:00:00', '')"
    )
    db.commit()
    db.close()
    journal = Journal()
    cache = LocalCache(path, URL, 1, journal, "i")

    snapshot = cache.load()

    assert snapshot.groups == [] and snapshot.histories == {}
    assert any("another version (schema 2)" in t for t in journal.texts("cache_cleared"))
    cache.close()
    db = sqlite3.connect(path)
    columns = {row[1] for row in db.execute("PRAGMA table_info(messages)")}
    assert "extras" in columns
    assert dict(db.execute("SELECT key, value FROM meta"))["schema"] == str(CACHE_SCHEMA_VERSION)
    db.close()
