"""SQL for files (issue 12): uploads, attaching them to a message, access lookups, expiry and
which blobs no file refers to any more."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.storage.schema import blobs, files, memberships

AttachmentDict = dict[str, Any]

FILE_COLUMNS = (
    files.c.id,
    files.c.uploader_id,
    files.c.name,
    files.c.size,
    files.c.content_type,
    files.c.width,
    files.c.height,
    files.c.blob_sha256,
    files.c.thumb_sha256,
    files.c.thumb_type,
    files.c.message_id,
    files.c.group_id,
)


def attachment_from_row(row: Row) -> AttachmentDict:
    """The wire `Attachment` of a files row."""
    return {
        "id": int(row.id),
        "name": row.name,
        "size": int(row.size),
        "content_type": row.content_type,
        "width": None if row.width is None else int(row.width),
        "height": None if row.height is None else int(row.height),
        "thumbnail": row.thumb_sha256 is not None,
    }


def attachments_json(attachments: Sequence[AttachmentDict]) -> str | None:
    """What messages.attachments stores: null for none."""
    return orjson.dumps(list(attachments)).decode() if attachments else None


def attachments_of_row(raw: str | None) -> list[AttachmentDict]:
    return [] if not raw else list(orjson.loads(raw))


async def by_upload_id(conn: AsyncConnection, uploader_id: int, upload_id: str) -> Row | None:
    query = select(*FILE_COLUMNS).where(
        files.c.uploader_id == uploader_id, files.c.upload_id == upload_id
    )
    return (await conn.execute(query)).first()


async def by_id(conn: AsyncConnection, file_id: int) -> Row | None:
    return (await conn.execute(select(*FILE_COLUMNS).where(files.c.id == file_id))).first()


async def visible_to(conn: AsyncConnection, file_id: int, user_id: int) -> Row | None:
    """The file if `user_id` may fetch it now: its uploader while it is in no message; a
    current member of the message's group once it is. None otherwise (as for no file)."""
    member = exists().where(
        memberships.c.group_id == files.c.group_id, memberships.c.user_id == user_id
    )
    query = select(*FILE_COLUMNS).where(
        files.c.id == file_id,
        or_(
            and_(files.c.message_id.is_(None), files.c.uploader_id == user_id),
            and_(files.c.message_id.is_not(None), member),
        ),
    )
    return (await conn.execute(query)).first()


async def pending(conn: AsyncConnection, uploader_id: int) -> tuple[int, datetime | None]:
    """How many uploads of this user are in no message, and when the oldest was made."""
    query = select(func.count(), func.min(files.c.created_at)).where(
        files.c.uploader_id == uploader_id, files.c.message_id.is_(None)
    )
    count, oldest = (await conn.execute(query)).one()
    return int(count), oldest


async def insert_file(conn: AsyncConnection, **values: Any) -> int:
    result = await conn.execute(insert(files).values(**values).returning(files.c.id))
    return int(result.scalar_one())


async def claimable(
    conn: AsyncConnection, uploader_id: int, file_ids: Sequence[int]
) -> dict[int, Row]:
    """Of `file_ids`, the uploads of this user in no message yet, by id."""
    query = select(*FILE_COLUMNS).where(
        files.c.id.in_(list(file_ids)),
        files.c.uploader_id == uploader_id,
        files.c.message_id.is_(None),
    )
    return {int(r.id): r for r in (await conn.execute(query)).all()}


async def attach(
    conn: AsyncConnection, file_ids: Sequence[int], message_id: int, group_id: int
) -> int:
    """Put the files in the message (in the given order); how many were still free to."""
    attached = 0
    for position, file_id in enumerate(file_ids):
        result = await conn.execute(
            update(files)
            .where(files.c.id == file_id, files.c.message_id.is_(None))
            .values(message_id=message_id, group_id=group_id, position=position)
        )
        attached += result.rowcount
    return attached


async def delete_for_message(conn: AsyncConnection, message_id: int) -> list[str]:
    """Delete a message's files; the blobs they referred to (to collect if now unreferenced)."""
    return await _delete_where(conn, files.c.message_id == message_id)


async def delete_expired(conn: AsyncConnection, before: datetime) -> list[str]:
    """Delete uploads made before `before` that never went into a message."""
    return await _delete_where(
        conn, and_(files.c.message_id.is_(None), files.c.created_at < before)
    )


async def _delete_where(conn: AsyncConnection, condition: Any) -> list[str]:
    rows = (
        await conn.execute(select(files.c.blob_sha256, files.c.thumb_sha256).where(condition))
    ).all()
    if not rows:
        return []
    await conn.execute(delete(files).where(condition))
    return sorted({sha for row in rows for sha in row if sha is not None})


def _referenced(sha: Any) -> Any:
    return exists().where(or_(files.c.blob_sha256 == sha, files.c.thumb_sha256 == sha))


async def unreferenced(conn: AsyncConnection, candidates: Sequence[str] | None) -> list[str]:
    """Blobs no file refers to: of `candidates`, or of all blobs when None."""
    query = select(blobs.c.sha256).where(~_referenced(blobs.c.sha256))
    if candidates is not None:
        if not candidates:
            return []
        query = query.where(blobs.c.sha256.in_(list(candidates)))
    return [str(sha) for sha in (await conn.execute(query)).scalars().all()]


async def is_unreferenced(conn: AsyncConnection, sha256: str) -> bool:
    return bool(await unreferenced(conn, [sha256]))


async def blob_exists(conn: AsyncConnection, sha256: str) -> bool:
    found = await conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha256))
    return found.first() is not None


async def blob_size(conn: AsyncConnection, sha256: str) -> int:
    size = (await conn.execute(select(blobs.c.size).where(blobs.c.sha256 == sha256))).scalar_one()
    return int(size)
