"""/api/groups/{id}/messages: history pages, and sending (a plain route: see api/plain.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator

from chat_protocol.models import Message, MessagesPage, SendMessageRequest
from chat_server.api.common import MAX_INT64, CallerDep, GroupId, ctx, json_response, plain_int
from chat_server.api.openapi_doc import errors_doc
from chat_server.api.plain import PlainRouter
from chat_server.context import AppContext
from chat_server.services.fanout import Caller
from chat_server.wire import MessageDict

router = APIRouter(prefix="/api/groups", tags=["messages"])
plain = PlainRouter(prefix="/api/groups", tags=["messages"])

SeqQuery = Annotated[int | None, Query(ge=0, le=MAX_INT64), BeforeValidator(plain_int)]
# The largest limit is a server setting: /openapi.json states it (api/openapi_doc.py).
LimitQuery = Annotated[int | None, Query(ge=1, le=MAX_INT64), BeforeValidator(plain_int)]


@router.get(
    "/{group_id}/messages",
    response_model=MessagesPage,
    responses=errors_doc(404),
    description="`after_seq` and `before_seq` together are a 422 (`validation_error`).",
)
async def list_messages(
    request: Request,
    group_id: GroupId,
    caller: CallerDep,
    after_seq: SeqQuery = None,
    before_seq: SeqQuery = None,
    limit: LimitQuery = None,
) -> Response:
    page, has_more = await ctx(request).messages.page(
        caller, group_id, after_seq=after_seq, before_seq=before_seq, limit=limit
    )
    return json_response({"messages": page, "has_more": has_more})


@plain.post(
    "/{group_id}/messages",
    body=SendMessageRequest,
    status_code=201,
    response_model=Message,
    responses={
        200: {"model": Message, "description": "the message was already stored (a retry)"},
        **errors_doc(404, 429),
    },
)
async def send_message(
    context: AppContext, caller: Caller, group_id: int, body: SendMessageRequest
) -> tuple[int, MessageDict]:
    """Store a message (idempotent by `client_msg_id`) and announce it to the group."""
    message, created = await context.messages.send(
        caller,
        group_id,
        body.client_msg_id,
        body.body,
        body.reply_to_message_id,
        body.attachment_ids,
    )
    return (201 if created else 200), message
