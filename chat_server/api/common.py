"""What every router shares: the app context, the caller dependency, strict body parsing, JSON replies."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Path, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator, ValidationError

from chat_server import errors
from chat_server.context import AppContext
from chat_server.services.fanout import Caller

M = TypeVar("M", bound=BaseModel)

# Ids, seqs and limits in paths and queries: digits only, no sign, no leading zero, no
# spaces, no "1.0" (pydantic's lax int parsing would take each of those).
_PLAIN_INT = re.compile(r"0|[1-9][0-9]*")


def _plain_int(value: Any) -> Any:
    if isinstance(value, str) and not _PLAIN_INT.fullmatch(value):
        raise ValueError("must be a whole number written in plain digits")
    return value


PlainInt = Annotated[int, BeforeValidator(_plain_int)]
GroupId = Annotated[PlainInt, Path(ge=1, le=errors.MAX_INT64, description="group id")]

MAX_INT64 = errors.MAX_INT64
check_int64 = errors.check_int64

_bearer = HTTPBearer(
    auto_error=False, description="The token from /api/auth/register or /api/auth/login"
)


def ctx(request: Request) -> AppContext:
    context: AppContext = request.app.state.ctx
    return context


async def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    """The authenticated caller; 401 `unauthorized` otherwise."""
    return await ctx(request).auth.authenticate(credentials.credentials if credentials else None)


async def parse_body(request: Request, model: type[M]) -> M:
    """Validate the raw body strictly (string ids, bad JSON and bad UTF-8 all answer 422)."""
    body = await request.body()
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise errors.ValidationFailed(errors.validation_message(exc.errors())) from None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data), status_code=status, media_type="application/json", headers=headers
    )


def no_content() -> Response:
    return Response(status_code=204)


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI text for a body we parse ourselves (so /docs still shows it)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": model.model_json_schema(ref_template="#/components/schemas/{model}")
                }
            },
        }
    }


CallerDep = Annotated[Caller, Depends(current_caller)]
