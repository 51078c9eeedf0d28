"""/api/me and /api/users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from chat_protocol.models import User, UsersResponse
from chat_protocol.validation import NUL
from chat_server import errors
from chat_server.api.common import CallerDep, ctx, json_response

router = APIRouter(prefix="/api", tags=["users"])

QUERY_MAX = 64


@router.get("/me", response_model=User)
async def me(caller: CallerDep) -> Response:
    return json_response(caller.wire())


@router.get("/users", response_model=UsersResponse)
async def search_users(
    request: Request,
    caller: CallerDep,
    q: Annotated[str, Query(max_length=QUERY_MAX)] = "",
) -> Response:
    if NUL in q:
        raise errors.ValidationFailed("q: must not contain the NUL character (U+0000)")
    return json_response({"users": await ctx(request).users.search(q)})
