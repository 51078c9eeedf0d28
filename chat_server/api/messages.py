"""/api/groups/{id}/messages: history pages and sending."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from chat_protocol.models import Message, MessagesPage, SendMessageRequest
from chat_server.api.common import (
    MAX_INT64,
    CallerDep,
    GroupId,
    PlainInt,
    body_doc,
    ctx,
    json_response,
    parse_body,
)

router = APIRouter(prefix="/api/groups", tags=["messages"])

SeqQuery = Annotated[PlainInt | None, Query(ge=0, le=MAX_INT64)]


@router.get("/{group_id}/messages", response_model=MessagesPage)
async def list_messages(
    request: Request,
    group_id: GroupId,
    caller: CallerDep,
    after_seq: SeqQuery = None,
    before_seq: SeqQuery = None,
    limit: Annotated[PlainInt | None, Query(ge=1, le=MAX_INT64)] = None,
) -> Response:
    page, has_more = await ctx(request).messages.page(
        caller, group_id, after_seq=after_seq, before_seq=before_seq, limit=limit
    )
    return json_response({"messages": page, "has_more": has_more})


@router.post(
    "/{group_id}/messages",
    status_code=201,
    response_model=Message,
    responses={200: {"model": Message, "description": "the message was already stored (a retry)"}},
    openapi_extra=body_doc(SendMessageRequest),
)
async def send_message(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    body = await parse_body(request, SendMessageRequest)
    message, created = await ctx(request).messages.send(
        caller, group_id, body.client_msg_id, body.body, body.reply_to_message_id
    )
    return json_response(message, 201 if created else 200)
