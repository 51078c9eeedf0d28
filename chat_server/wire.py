"""Database rows to wire dicts, built by hand for speed (shapes match chat_protocol.models)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

UserDict = dict[str, Any]
MessageDict = dict[str, Any]


def utc_z(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and `Z`, as chat_protocol renders times."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    else:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def now_utc() -> datetime:
    # Millisecond precision, so what is stored equals what was sent on the wire.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def user_dict(row: Any) -> UserDict:
    return {"id": int(row.id), "username": row.username, "display_name": row.display_name}


def message_from_row(row: Row) -> MessageDict:
    return {
        "id": int(row.id),
        "group_id": int(row.group_id),
        "seq": int(row.seq),
        "sender": {
            "id": int(row.sender_id),
            "username": row.sender_username,
            "display_name": row.sender_display_name,
        },
        "client_msg_id": row.client_msg_id,
        "body": row.body,
        "created_at": utc_z(row.created_at),
    }


def group_from_row(row: Row, last_message: MessageDict | None) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "name": row.name,
        "created_at": utc_z(row.created_at),
        "member_count": int(row.member_count),
        "last_seq": int(row.last_seq),
        "last_read_seq": int(row.last_read_seq),
        "unread_count": int(row.unread_count),
        "last_message": last_message,
    }


def message_from_tuple(row: tuple[Any, ...]) -> MessageDict:
    """A message from sqlite_writer's raw row: (id, group_id, seq, client_msg_id, body,
    created_at text, sender id, username, display_name)."""
    created = row[5] if isinstance(row[5], datetime) else datetime.fromisoformat(str(row[5]))
    return {
        "id": int(row[0]),
        "group_id": int(row[1]),
        "seq": int(row[2]),
        "sender": {"id": int(row[6]), "username": row[7], "display_name": row[8]},
        "client_msg_id": row[3],
        "body": row[4],
        "created_at": utc_z(created),
    }
