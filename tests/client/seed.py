"""Bulk history for tests: insert many messages straight into a test server's SQLite file.

Posting 10,000 messages over REST takes the test server ~50 s; this writes the same rows
with the server's own table definitions in one transaction (well under a second), each
message with its `message.posted` event of the group's log, as the server stores them. Only
for setting up history; everything the client does still goes through the running server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import create_engine, insert, select, update

from chat_server.config import SQLITE_FILE
from chat_server.storage.schema import events, groups, messages, users
from chat_server.wire import utc_z
from tests.support.server import ServerProcess


def seed_history(server: ServerProcess, group_id: int, sender_id: int, count: int) -> None:
    """Append `count` messages "history 1", "history 2", ... to the group, in seq order."""
    engine = create_engine(f"sqlite:///{server.data_dir / SQLITE_FILE}")
    start = datetime.now(UTC) - timedelta(days=1)
    with engine.begin() as conn:
        last = conn.execute(select(groups.c.head_seq).where(groups.c.id == group_id)).scalar_one()
        sender = conn.execute(
            select(users.c.id, users.c.username, users.c.display_name).where(
                users.c.id == sender_id
            )
        ).one()
        rows = [
            {
                "group_id": group_id,
                "seq": last + i,
                "sender_id": sender_id,
                "client_msg_id": str(uuid.uuid4()),
                "body": f"history {last + i}",
                "created_at": start + timedelta(seconds=i),
            }
            for i in range(1, count + 1)
        ]
        conn.execute(insert(messages), rows)
        stored = conn.execute(
            select(messages.c.id, messages.c.seq).where(
                messages.c.group_id == group_id, messages.c.seq > last
            )
        ).all()
        ids = {int(r.seq): int(r.id) for r in stored}
        conn.execute(insert(events), [_posted(row, ids[row["seq"]], sender) for row in rows])
        conn.execute(
            update(groups)
            .where(groups.c.id == group_id)
            .values(last_seq=last + count, head_seq=last + count)
        )
    engine.dispose()


def _posted(row: dict[str, Any], message_id: int, sender: Any) -> dict[str, Any]:
    """The `message.posted` event row of a seeded message."""
    message = {
        "id": message_id,
        "group_id": row["group_id"],
        "seq": row["seq"],
        "sender": {
            "id": sender.id,
            "username": sender.username,
            "display_name": sender.display_name,
        },
        "client_msg_id": row["client_msg_id"],
        "body": row["body"],
        "created_at": utc_z(row["created_at"]),
        "edited_at": None,
        "deleted": False,
        "reply_to": None,
        "reactions": [],
    }
    return {
        "group_id": row["group_id"],
        "seq": row["seq"],
        "kind": "message.posted",
        "actor_id": row["sender_id"],
        "at": row["created_at"],
        "client_event_id": row["client_msg_id"],
        "message_id": message_id,
        "data": orjson.dumps(message).decode(),
    }
