"""Bulk history for tests: insert many messages straight into a test server's SQLite file.

Posting 10,000 messages over REST takes the test server ~50 s; this writes the same rows
with the server's own table definitions in one transaction (well under a second). Only for
setting up history; everything the client does still goes through the running server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, insert, select, update

from chat_server.config import SQLITE_FILE
from chat_server.storage.schema import groups, messages
from tests.support.server import ServerProcess


def seed_history(server: ServerProcess, group_id: int, sender_id: int, count: int) -> None:
    """Append `count` messages "history 1", "history 2", ... to the group, in seq order."""
    engine = create_engine(f"sqlite:///{server.data_dir / SQLITE_FILE}")
    start = datetime.now(UTC) - timedelta(days=1)
    with engine.begin() as conn:
        last = conn.execute(select(groups.c.last_seq).where(groups.c.id == group_id)).scalar_one()
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
        conn.execute(update(groups).where(groups.c.id == group_id).values(last_seq=last + count))
    engine.dispose()
