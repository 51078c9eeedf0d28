"""Searching the messages a user can read: the rules (bounds, membership, paging, a rate
limit) around storage/search.py, and the hits as the wire shows them."""

from __future__ import annotations

from typing import Any

from chat_protocol import limits
from chat_protocol.validation import NUL
from chat_server import errors
from chat_server.ratelimit import TokenBucket
from chat_server.search_words import highlights, query_words
from chat_server.services.fanout import Caller
from chat_server.storage import groups, messages, search
from chat_server.storage.db import Database
from chat_server.wire import message_from_row

SEARCH_QUERY_MAX = limits.SEARCH_QUERY_MAX
SEARCH_LIMIT_DEFAULT = limits.SEARCH_LIMIT_DEFAULT
SEARCH_LIMIT_MAX = limits.SEARCH_LIMIT_MAX
# A full burst (settings.search_burst) refills in this time. Per node: a search changes
# nothing, so a few more across nodes harm no one.
SEARCH_WINDOW_SECONDS = 10.0
# Above every id (SQLite and PostgreSQL ids are signed 64-bit).
NO_UPPER_BOUND = errors.MAX_INT64

SearchResultsDict = dict[str, Any]


def check_query(q: str) -> None:
    """422 unless `q` is 1..SEARCH_QUERY_MAX code points without NUL."""
    if not 1 <= len(q) <= SEARCH_QUERY_MAX:
        raise errors.ValidationFailed(f"q: must be 1 to {SEARCH_QUERY_MAX} characters long")
    if NUL in q:
        raise errors.ValidationFailed("q: must not contain the NUL character (U+0000)")


class SearchService:
    def __init__(self, db: Database, burst: int) -> None:
        self.db = db
        self._bucket = TokenBucket(burst, SEARCH_WINDOW_SECONDS)

    async def search(
        self,
        caller: Caller,
        q: str,
        *,
        group_id: int | None = None,
        before_id: int | None = None,
        limit: int | None = None,
    ) -> SearchResultsDict:
        """`{results, has_more}`: matching messages newest first, below `before_id`."""
        check_query(q)
        limit = SEARCH_LIMIT_DEFAULT if limit is None else limit
        if not 1 <= limit <= SEARCH_LIMIT_MAX:
            raise errors.ValidationFailed(f"limit: must be between 1 and {SEARCH_LIMIT_MAX}")
        wait = self._bucket.take(caller.id)
        if wait:
            raise errors.RateLimited("Searching too often; wait a moment.", wait)
        words = query_words(q)
        async with self.db.read() as conn:
            if group_id is not None and not await groups.is_member(conn, group_id, caller.id):
                raise errors.GroupNotFound()
            if not words:  # only punctuation: nothing can match
                return {"results": [], "has_more": False}
            ids = await search.matching_ids(
                conn,
                words,
                user_id=caller.id,
                group_id=group_id,
                before_id=NO_UPPER_BOUND if before_id is None else before_id,
                limit=limit + 1,
            )
            has_more = len(ids) > limit
            ids = ids[:limit]
            rows = await messages.by_ids(conn, ids)
            found = await messages.reactions_of(conn, ids)
            names = await search.group_names(conn, list({int(r.group_id) for r in rows}))
        rows.sort(key=lambda r: int(r.id), reverse=True)
        hits = [
            {
                "message": message_from_row(r, found.get(int(r.id))),
                "group_name": names.get(int(r.group_id), ""),
                "highlights": highlights(r.body, words),
            }
            for r in rows
        ]
        return {"results": hits, "has_more": has_more}
