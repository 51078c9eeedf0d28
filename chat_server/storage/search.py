"""SQL for full-text search: the ids of matching messages, newest first, on either backend.

The indexes (migration 0005) hold only messages that are not deleted, as they now stand:
SQLite's `messages_fts` (FTS5, kept by triggers) and PostgreSQL's `messages.search_tsv`
(a generated `tsvector` with a GIN index). Each word of the search is a prefix that must
match; the words reach the database as bound parameters, quoted as plain terms, so no text
a user types is ever search syntax.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from chat_server.storage.schema import groups

# Which groups a search may look in: one group, or every group the user belongs to now.
_SCOPE_ALL = "m.group_id IN (SELECT group_id FROM memberships WHERE user_id = :user_id)"
_SCOPE_ONE = "m.group_id = :group_id"

SQLITE_SEARCH = """
SELECT m.id FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
WHERE messages_fts MATCH :match AND messages_fts.rowid < :before_id AND {scope}
ORDER BY messages_fts.rowid DESC LIMIT :limit
"""

PG_SEARCH = """
SELECT m.id FROM messages m
WHERE m.search_tsv @@ ({tsquery}) AND m.id < :before_id AND {scope}
ORDER BY m.id DESC LIMIT :limit
"""
# One prefix term per word, folded by the same function that built the index.
_PG_TERM = "to_tsquery('simple', quote_literal(chat_search_fold(:w{n})) || ':*')"


def fts5_match(words: Sequence[str]) -> str:
    """An FTS5 query of prefix terms, all required: `"crème"* "brûl"*`. Words hold only
    letters and digits (search_words.query_words), and quoting makes even AND or NEAR a term."""
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


async def matching_ids(
    conn: AsyncConnection,
    words: Sequence[str],
    *,
    user_id: int,
    group_id: int | None,
    before_id: int,
    limit: int,
) -> list[int]:
    """Up to `limit` ids of matching messages below `before_id`, newest first, from the
    user's groups (or `group_id` alone: the caller checks the membership)."""
    scope = _SCOPE_ALL if group_id is None else _SCOPE_ONE
    params: dict[str, object] = {
        "user_id": user_id,
        "group_id": group_id,
        "before_id": before_id,
        "limit": limit,
    }
    if conn.dialect.name == "sqlite":
        sql = SQLITE_SEARCH.format(scope=scope)
        params["match"] = fts5_match(words)
    else:
        sql = PG_SEARCH.format(
            scope=scope, tsquery=" && ".join(_PG_TERM.format(n=n) for n in range(len(words)))
        )
        params.update({f"w{n}": w for n, w in enumerate(words)})
    rows = (await conn.execute(text(sql), params)).all()
    return [int(r.id) for r in rows]


async def group_names(conn: AsyncConnection, group_ids: Sequence[int]) -> dict[int, str]:
    if not group_ids:
        return {}
    query = select(groups.c.id, groups.c.name).where(groups.c.id.in_(list(group_ids)))
    return {int(r.id): r.name for r in (await conn.execute(query)).all()}
