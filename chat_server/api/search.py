"""GET /api/search: full-text search over the messages the caller can read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator

from chat_protocol.models import SearchResults
from chat_server.api.common import MAX_INT64, CallerDep, ctx, json_response, plain_int
from chat_server.api.openapi_doc import errors_doc
from chat_server.services.search import SEARCH_LIMIT_MAX, SEARCH_QUERY_MAX

router = APIRouter(prefix="/api", tags=["search"])

QueryText = Annotated[
    str, Query(min_length=1, max_length=SEARCH_QUERY_MAX, description="the words to find")
]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_INT64), BeforeValidator(plain_int)]
LimitQuery = Annotated[int | None, Query(ge=1, le=SEARCH_LIMIT_MAX), BeforeValidator(plain_int)]


@router.get(
    "/search",
    response_model=SearchResults,
    responses=errors_doc((404, "`not_found`: `group_id` is not a group of the caller's"), 429),
    description=(
        "Messages of the caller's groups whose text has every word of `q` as a word prefix "
        "(case and accents ignored), newest first; the next page passes the last result's "
        "message id as `before_id`. `group_id` searches one group."
    ),
)
async def search_messages(
    request: Request,
    caller: CallerDep,
    q: QueryText,
    group_id: IdQuery = None,
    before_id: IdQuery = None,
    limit: LimitQuery = None,
) -> Response:
    results = await ctx(request).search.search(
        caller, q, group_id=group_id, before_id=before_id, limit=limit
    )
    return json_response(results)
