"""/api/auth: register, login, logout."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chat_protocol.models import AuthResponse, LoginRequest, RegisterRequest
from chat_server.api.common import (
    CallerDep,
    body_doc,
    ctx,
    json_response,
    no_content,
    parse_body,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=201,
    response_model=AuthResponse,
    openapi_extra=body_doc(RegisterRequest),
)
async def register(request: Request) -> Response:
    body = await parse_body(request, RegisterRequest)
    context = ctx(request)
    user, token = await context.auth.register(body.username, body.password, body.display_name)
    return json_response({"user": user, "token": token, "instance_id": context.db.instance_id}, 201)


@router.post("/login", response_model=AuthResponse, openapi_extra=body_doc(LoginRequest))
async def login(request: Request) -> Response:
    body = await parse_body(request, LoginRequest)
    address = request.client.host if request.client else "unknown"
    context = ctx(request)
    user, token = await context.auth.login(body.username, body.password, address)
    return json_response({"user": user, "token": token, "instance_id": context.db.instance_id})


@router.post("/logout", status_code=204)
async def logout(request: Request, caller: CallerDep) -> Response:
    await ctx(request).auth.logout(caller)
    return no_content()
