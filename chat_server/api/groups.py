"""/api/groups: list, create, detail, members, leave, read position."""

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
    ReadRequest,
)
from chat_server.api.common import (
    CallerDep,
    GroupId,
    body_doc,
    check_int64,
    ctx,
    json_response,
    no_content,
    parse_body,
)

router = APIRouter(prefix="/api/groups", tags=["groups"])


@router.get("", response_model=GroupsResponse)
async def list_groups(request: Request, caller: CallerDep) -> Response:
    return json_response({"groups": await ctx(request).groups.for_user(caller)})


@router.post("", status_code=201, response_model=Group, openapi_extra=body_doc(CreateGroupRequest))
async def create_group(request: Request, caller: CallerDep) -> Response:
    body = await parse_body(request, CreateGroupRequest)
    return json_response(
        await ctx(request).groups.create(caller, body.name, list(body.members)), 201
    )


@router.get("/{group_id}", response_model=GroupDetail)
async def group_detail(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    return json_response(await ctx(request).groups.detail(caller, group_id))


@router.post(
    "/{group_id}/members",
    status_code=201,
    response_model=MemberResponse,
    openapi_extra=body_doc(AddMemberRequest),
)
async def add_member(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    body = await parse_body(request, AddMemberRequest)
    member = await ctx(request).groups.add_member(caller, group_id, body.username)
    return json_response({"member": member}, 201)


@router.delete("/{group_id}/members/me", status_code=204)
async def leave_group(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    await ctx(request).groups.leave(caller, group_id)
    return no_content()


@router.post("/{group_id}/read", status_code=204, openapi_extra=body_doc(ReadRequest))
async def mark_read(request: Request, group_id: GroupId, caller: CallerDep) -> Response:
    body = await parse_body(request, ReadRequest)
    await ctx(request).groups.mark_read(caller, group_id, check_int64("seq", body.seq))
    return no_content()
