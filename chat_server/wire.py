"""Database rows to wire dicts, built by hand for speed (shapes match chat_protocol.models)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Row

from chat_protocol import limits

UserDict = dict[str, Any]
MessageDict = dict[str, Any]
EventDict = dict[str, Any]

# A reply quotes this many characters (code points) of the original as it now stands.
REPLY_EXCERPT_CHARS = limits.REPLY_EXCERPT_CHARS
# `messages.mentions` of a message that mentions nobody (the column's default).
NO_MENTIONS = "[]"


def excerpt(body: str) -> str:
    return body[:REPLY_EXCERPT_CHARS]


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


def _reply_from_row(row: Row) -> dict[str, Any] | None:
    if row.reply_id is None:
        return None
    return {
        "message_id": int(row.reply_id),
        "seq": int(row.reply_seq),
        "sender": {
            "id": int(row.reply_sender_id),
            "username": row.reply_sender_username,
            "display_name": row.reply_sender_display_name,
        },
        "excerpt": excerpt(row.reply_body),
    }


def mentions_from_column(value: str | None) -> list[int]:
    """`messages.mentions` (a JSON array of user ids) as a list; most messages have none."""
    if not value or value == NO_MENTIONS:
        return []
    return [int(user_id) for user_id in orjson.loads(value)]


def mentions_column(user_ids: list[int]) -> str:
    return orjson.dumps(user_ids).decode() if user_ids else NO_MENTIONS


def message_from_row(row: Row, reactions: list[dict[str, Any]] | None = None) -> MessageDict:
    """A message as it now stands (storage.messages' columns), with its reactions if given."""
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
        "edited_at": None if row.edited_at is None else utc_z(row.edited_at),
        "deleted": bool(row.deleted),
        "reply_to": _reply_from_row(row),
        "reactions": reactions or [],
        **_attachments(getattr(row, "attachments", None)),
        "mentions": mentions_from_column(row.mentions),
    }


def _attachments(stored: str | None) -> dict[str, Any]:
    """`attachments` from messages.attachments (JSON as posted; issue 12), present only when
    there are some: a message without files reads as v1 wrote it (the model's default is [])."""
    return {"attachments": orjson.loads(stored)} if stored else {}


def group_from_row(row: Row, last_message: MessageDict | None) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "name": row.name,
        "created_at": utc_z(row.created_at),
        "creator": {
            "id": int(row.creator_id),
            "username": row.creator_username,
            "display_name": row.creator_display_name,
        },
        "member_count": int(row.member_count),
        "last_seq": int(row.last_seq),
        "head_seq": int(row.head_seq),
        "last_read_seq": int(row.last_read_seq),
        "unread_count": int(row.unread_count),
        "last_message": last_message,
        "muted": bool(row.muted),
    }
