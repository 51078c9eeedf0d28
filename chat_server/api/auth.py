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
from chat_server.api.openapi_doc import errors_doc

# A token must not be kept by any cache between the server and the client (RFC 6749 5.1).
TOKEN_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=201,
    response_model=AuthResponse,
    responses=errors_doc(
        (403, "`registration_closed`"),
        (409, "`username_taken`"),
        (422, "`validation_error`, or `weak_password`: see the message"),
    ),
    openapi_extra=body_doc(RegisterRequest),
)
async def register(request: Request) -> Response:
    body = await parse_body(request, RegisterRequest)
    context = ctx(request)
    user, token = await context.auth.register(body.username, body.password, body.display_name)
    return json_response(
        {"user": user, "token": token, "instance_id": context.db.instance_id}, 201, TOKEN_HEADERS
    )


@router.post(
    "/login",
    response_model=AuthResponse,
    responses=errors_doc((401, "`invalid_credentials`"), 429),
    openapi_extra=body_doc(LoginRequest),
)
async def login(request: Request) -> Response:
    body = await parse_body(request, LoginRequest)
    address = request.client.host if request.client else "unknown"
    context = ctx(request)
    user, token = await context.auth.login(body.username, body.password, address)
    return json_response(
        {"user": user, "token": token, "instance_id": context.db.instance_id},
        headers=TOKEN_HEADERS,
    )


@router.post("/logout", status_code=204)
async def logout(request: Request, caller: CallerDep) -> Response:
    await ctx(request).auth.logout(caller)
    return no_content()
