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
# First the newest PG_RECENT_WINDOW messages, walked newest first (a common word fills the
# page there, whatever the planner guesses for it); only if they do not fill it, the rest
# below them through the planner's choice (the GIN index for a rare word). Not for one
# group: most of the newest messages are other groups', and the planner does well there.
PG_RECENT_WINDOW = 20_000
PG_RECENT = """
SELECT m.id FROM (
    SELECT id, group_id, search_tsv FROM messages WHERE id < :before_id
    ORDER BY id DESC LIMIT :window
) m
WHERE m.search_tsv @@ ({tsquery}) AND {scope}
ORDER BY m.id DESC LIMIT :limit
"""
PG_WINDOW_FLOOR = (
    "SELECT id FROM messages WHERE id < :before_id ORDER BY id DESC OFFSET :offset LIMIT 1"
)
# The best plan depends on the words: a common one is found fastest by walking messages
# newest first, a rare one through the GIN index. A prepared statement's generic plan
# cannot tell them apart (one such plan took 1.6 s for a common word on 1 million
# messages, against 1 ms planned for the word); the setting ends with the transaction.
PG_PLAN_PER_QUERY = "SET LOCAL plan_cache_mode = force_custom_plan"
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
    if conn.dialect.name != "sqlite":
        return await _pg_matching_ids(conn, words, scope, params)
    params["match"] = fts5_match(words)
    rows = (await conn.execute(text(SQLITE_SEARCH.format(scope=scope)), params)).all()
    return [int(r.id) for r in rows]


async def _pg_matching_ids(
    conn: AsyncConnection, words: Sequence[str], scope: str, params: dict[str, object]
) -> list[int]:
    tsquery = " && ".join(_PG_TERM.format(n=n) for n in range(len(words)))
    params.update({f"w{n}": w for n, w in enumerate(words)}, window=PG_RECENT_WINDOW)
    await conn.execute(text(PG_PLAN_PER_QUERY))
    if scope == _SCOPE_ONE:
        return [
            int(r.id)
            for r in (
                await conn.execute(text(PG_SEARCH.format(scope=scope, tsquery=tsquery)), params)
            ).all()
        ]
    recent = PG_RECENT.format(scope=scope, tsquery=tsquery)
    ids = [int(r.id) for r in (await conn.execute(text(recent), params)).all()]
    limit = int(str(params["limit"]))
    if len(ids) >= limit:
        return ids
    floor = (
        await conn.execute(
            text(PG_WINDOW_FLOOR),
            {"before_id": params["before_id"], "offset": PG_RECENT_WINDOW - 1},
        )
    ).scalar()
    if floor is None:  # the window held every message below before_id
        return ids
    rest = {**params, "before_id": int(floor), "limit": limit - len(ids)}
    older = (await conn.execute(text(PG_SEARCH.format(scope=scope, tsquery=tsquery)), rest)).all()
    return ids + [int(r.id) for r in older]


async def group_names(conn: AsyncConnection, group_ids: Sequence[int]) -> dict[int, str]:
    if not group_ids:
        return {}
    query = select(groups.c.id, groups.c.name).where(groups.c.id.in_(list(group_ids)))
    return {int(r.id): r.name for r in (await conn.execute(query)).all()}
