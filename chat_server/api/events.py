"""/api/groups/{id}/events (protocol v2): the group's log for catch-up, and posting changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter

from chat_protocol import limits
from chat_protocol.models import Event, EventsPage, Message, PostEventRequest
from chat_server.api.common import MAX_INT64, CallerDep, GroupId, PlainInt, ctx, json_response
from chat_server.api.openapi_doc import errors_doc
from chat_server.services.events import parse_post

router = APIRouter(prefix="/api/groups", tags=["events"])


@router.get("/{group_id}/events", response_model=EventsPage)
async def list_events(
    request: Request,
    group_id: GroupId,
    caller: CallerDep,
    after_seq: Annotated[PlainInt, Query(ge=0, le=MAX_INT64)] = 0,
    limit: Annotated[PlainInt | None, Query(ge=1, le=limits.EVENTS_PAGE_LIMIT_MAX)] = None,
) -> Response:
    page, has_more = await ctx(request).events.page(
        caller, group_id, after_seq=after_seq, limit=limit
    )
    return json_response({"events": page, "has_more": has_more})


@router.post(
    "/{group_id}/events",
    status_code=201,
    response_model=Event,
    responses={
        200: {
            "model": Event | Message,
            "description": "the original event (a retry of its client_event_id), or the "
            "message unchanged (a reaction already there, or already gone)",
        },
        **errors_doc(
            (403, "`not_author` (edit or delete of another's message) or `not_creator`"),
            (409, "`message_deleted` or `edit_window_closed`"),
            429,
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": TypeAdapter(PostEventRequest).json_schema(
                        ref_template="#/components/schemas/{model}"
                    )
                }
            },
        }
    },
)
async def post_event(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    outcome = await ctx(request).events.post(caller, group_id, parse_post(await request.body()))
    return json_response(outcome.body, outcome.status)
