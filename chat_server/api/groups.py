"""/api/groups: list, create, detail, members, leave, mute, and the read position (a plain
route)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chat_protocol.models import (
    AddMemberRequest,
    CreateGroupRequest,
    Group,
    GroupDetail,
    GroupsResponse,
    MemberResponse,
    MuteRequest,
    MuteState,
    ReadRequest,
)
from chat_server.api.common import (
    CallerDep,
    GroupId,
    body_doc,
    ctx,
    json_response,
    no_content,
    parse_body,
)
from chat_server.api.openapi_doc import errors_doc
from chat_server.api.plain import PlainRouter
from chat_server.context import AppContext
from chat_server.services.fanout import Caller

router = APIRouter(prefix="/api/groups", tags=["groups"])
plain = PlainRouter(prefix="/api/groups", tags=["groups"])


@router.get("", response_model=GroupsResponse)
async def list_groups(request: Request, caller: CallerDep) -> Response:
    return json_response({"groups": await ctx(request).groups.for_user(caller)})


@router.post(
    "",
    status_code=201,
    response_model=Group,
    responses=errors_doc((422, "`validation_error`, or `unknown_user`: a member does not exist")),
    openapi_extra=body_doc(CreateGroupRequest),
)
async def create_group(request: Request, caller: CallerDep) -> Response:
    body = await parse_body(request, CreateGroupRequest)
    return json_response(
        await ctx(request).groups.create(caller, body.name, list(body.members)), 201
    )


@router.get("/{group_id}", response_model=GroupDetail, responses=errors_doc(404))
async def group_detail(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    return json_response(await ctx(request).groups.detail(caller, group_id))


@router.post(
    "/{group_id}/members",
    status_code=201,
    response_model=MemberResponse,
    responses=errors_doc(
        404, 409, (422, "`validation_error`, or `unknown_user`: no user has that name")
    ),
    openapi_extra=body_doc(AddMemberRequest),
)
async def add_member(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    body = await parse_body(request, AddMemberRequest)
    member = await ctx(request).groups.add_member(caller, group_id, body.username)
    return json_response({"member": member}, 201)


@router.delete("/{group_id}/members/me", status_code=204, responses=errors_doc(404))
async def leave_group(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    await ctx(request).groups.leave(caller, group_id)
    return no_content()


@router.put(
    "/{group_id}/muted",
    response_model=MuteState,
    responses=errors_doc(404),
    openapi_extra=body_doc(MuteRequest),
)
async def set_muted(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    """Mute or unmute the group for the caller; all their sockets get `group:muted`."""
    body = await parse_body(request, MuteRequest)
    return json_response(await ctx(request).groups.set_muted(caller, group_id, body.muted))


@plain.post("/{group_id}/read", body=ReadRequest, status_code=204, responses=errors_doc(404))
async def mark_read(
    context: AppContext, caller: Caller, group_id: int, body: ReadRequest
) -> tuple[int, None]:
    """Raise the caller's read position in the group (it never goes down)."""
    await context.groups.mark_read(caller, group_id, body.seq)
    return 204, None
