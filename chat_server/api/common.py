"""What every router shares: the app context, the caller dependency, strict body parsing, JSON replies."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Path, Request
from fastapi.responses import Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel, BeforeValidator, ValidationError

from chat_server import errors
from chat_server.context import AppContext
from chat_server.security import bearer_token
from chat_server.services.fanout import Caller

M = TypeVar("M", bound=BaseModel)

# Ids, seqs and limits in paths and queries: digits only, no sign, no leading zero, no
# spaces, no "1.0" (pydantic's lax int parsing would take each of those).
_PLAIN_INT = re.compile(r"0|[1-9][0-9]*")


def plain_int(value: Any) -> Any:
    if isinstance(value, str) and not _PLAIN_INT.fullmatch(value):
        raise ValueError("must be a whole number written in plain digits")
    return value


PlainInt = Annotated[int, BeforeValidator(plain_int)]
# Constraints before the validator, or pydantic writes them into the schema as "ge"/"le".
GroupId = Annotated[
    int, Path(ge=1, le=errors.MAX_INT64, description="group id"), BeforeValidator(plain_int)
]

MAX_INT64 = errors.MAX_INT64
check_int64 = errors.check_int64


class Bearer(HTTPBearer):
    """FastAPI's bearer security scheme (it documents the routes) reading the header with
    the server's one RFC 6750 parser, the one the plain routes and the socket use."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return bearer_token(request.headers.get("authorization"))


_bearer = Bearer(
    auto_error=False, description="The token from /api/auth/register or /api/auth/login"
)


def ctx(request: Request) -> AppContext:
    context: AppContext = request.app.state.ctx
    return context


async def current_caller(
    request: Request, token: Annotated[str | None, Depends(_bearer)]
) -> Caller:
    """The authenticated caller; 401 `unauthorized` otherwise."""
    return await ctx(request).auth.authenticate(token)


async def parse_body(request: Request, model: type[M]) -> M:
    """Validate the raw body strictly (string ids, bad JSON and bad UTF-8 all answer 422)."""
    return parse_json(model, await request.body())


def parse_json(model: type[M], body: bytes) -> M:
    """`body` as `model`, strictly; ValidationFailed (422) with a readable message otherwise."""
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
