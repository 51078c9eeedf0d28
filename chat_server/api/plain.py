"""Routes served in plain ASGI ahead of FastAPI, each written once and documented from the same declaration.

The hottest routes (send a message, mark a group read) skip FastAPI's per-request machinery
(matching every route twice, solving dependencies, building Request and Response objects),
which cost as much CPU as the rest of a send. A plain route is a function
`(context, caller, group_id, body) -> (status, payload)` declared with `PlainRouter.post`;
`PlainApp` serves it (the same token parser, validation models and error answers as every
FastAPI route), and `doc_routes` turns the declaration into route objects that only feed
/openapi.json. There is no FastAPI copy of these routes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError
from starlette.routing import Match

from chat_server import errors
from chat_server.api.common import CallerDep, GroupId, body_doc, parse_json, plain_int
from chat_server.api.handlers import error_answer
from chat_server.context import AppContext
from chat_server.security import bearer_token
from chat_server.services.fanout import Caller

Scope = dict[str, Any]
Handler = Callable[[AppContext, Caller, int, Any], Awaitable[tuple[int, Any]]]
_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
JSON_HEADERS = [(b"content-type", b"application/json")]
# The one path parameter plain routes take; checked as GroupId is on FastAPI routes.
_PARAM = "{group_id}"
_GROUP_ID: TypeAdapter[int] = TypeAdapter(
    Annotated[int, Field(ge=1, le=errors.MAX_INT64), BeforeValidator(plain_int)]
)


@dataclass(frozen=True)
class PlainRoute:
    method: str
    path: str
    body: type[BaseModel]
    handler: Handler
    status_code: int
    response_model: Any = None
    responses: dict[int | str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    @property
    def pattern(self) -> re.Pattern[str]:
        # Any segment matches, so a malformed id is a 422 (as on FastAPI routes), not a 404.
        return re.compile("([^/]+)".join(re.escape(part) for part in self.path.split(_PARAM)))


class PlainRouter:
    """Collects plain routes, as FastAPI's APIRouter collects its own."""

    def __init__(self, prefix: str = "", tags: list[str] | None = None) -> None:
        self.prefix = prefix
        self.tags = tags or []
        self.routes: list[PlainRoute] = []

    def post(
        self,
        path: str,
        *,
        body: type[BaseModel],
        status_code: int,
        response_model: Any = None,
        responses: dict[int | str, Any] | None = None,
    ) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            route = PlainRoute(
                "POST",
                self.prefix + path,
                body,
                handler,
                status_code,
                response_model,
                responses or {},
                self.tags,
            )
            self.routes.append(route)
            return handler

        return add


class PlainApp:
    """Serves the plain routes; passes every other request to `app` (FastAPI)."""

    def __init__(self, app: FastAPI, context: AppContext, routes: list[PlainRoute]) -> None:
        self.app = app
        self.context = context
        self.routes = [(route, route.pattern) for route in routes]
        # What FastAPI answers on each plain route's path (GET on …/messages), found once.
        self._beside = {
            route.path: self._framework_methods(route.path.replace(_PARAM, "1")) for route in routes
        }
        app.state.allowed_methods = self.allowed_methods

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            for route, pattern in self.routes:
                match = pattern.fullmatch(path)
                if match is None:
                    continue
                if scope["method"] == route.method:
                    await self._serve(route, match.group(1), scope, receive, send)
                    return
                if scope["method"] not in self._beside[route.path]:
                    await self._not_allowed(scope, send)
                    return
        await self.app(scope, receive, send)

    def allowed_methods(self, path: str) -> list[str]:
        """Every method some route (plain or FastAPI) answers on `path`."""
        plain = {route.method for route, pattern in self.routes if pattern.fullmatch(path)}
        return sorted(plain | self._framework_methods(path))

    def _framework_methods(self, path: str) -> set[str]:
        methods = set()
        for method in _HTTP_METHODS:
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            if any(route.matches(scope)[0] == Match.FULL for route in self.app.routes):
                methods.add(method)
        return methods

    async def _serve(
        self, route: PlainRoute, raw_id: str, scope: Scope, receive: Any, send: Any
    ) -> None:
        context = self.context
        try:
            caller = await context.auth.authenticate(bearer_token(_authorization(scope)))
            group_id = _group_id(raw_id)
            body = parse_json(route.body, await _read_body(receive))
            status, payload = await route.handler(context, caller, group_id, body)
        except Exception as exc:
            status, answer, headers = error_answer(
                exc, context.metrics, scope["path"], scope["method"]
            )
            await _respond(send, status, orjson.dumps(answer), headers)
            return
        await _respond(send, status, b"" if payload is None else orjson.dumps(payload), None)

    async def _not_allowed(self, scope: Scope, send: Any) -> None:
        failure = errors.MethodNotAllowed(f"{scope['method']} is not allowed here.")
        status, answer, _headers = error_answer(
            failure, self.context.metrics, scope["path"], scope["method"]
        )
        allow = {"Allow": ", ".join(self.allowed_methods(scope["path"]))}
        await _respond(send, status, orjson.dumps(answer), allow)


def doc_routes(routes: list[PlainRoute]) -> list[APIRoute]:
    """FastAPI route objects describing the plain routes, for /openapi.json only (never mounted)."""
    return [
        APIRoute(
            route.path,
            _doc_endpoint(route.handler),
            methods=[route.method],
            status_code=route.status_code,
            response_model=route.response_model,
            responses=route.responses,
            openapi_extra=body_doc(route.body),
            tags=list(route.tags),
            name=route.handler.__name__,
        )
        for route in routes
    ]


def _doc_endpoint(handler: Handler) -> Callable[..., Awaitable[None]]:
    # The parameters every plain route takes, in FastAPI's terms (the path's group id and
    # the bearer token), so the document shows them as it shows them on other routes.
    async def endpoint(group_id: GroupId, caller: CallerDep) -> None:
        raise RuntimeError("documentation only; PlainApp serves this route")

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def _authorization(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


def _group_id(raw: str) -> int:
    try:
        return _GROUP_ID.validate_python(raw)
    except ValidationError as exc:
        problems = [{**e, "loc": ("group_id", *e["loc"])} for e in exc.errors()]
        raise errors.ValidationFailed(errors.validation_message(problems)) from None


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(send: Any, status: int, body: bytes, headers: dict[str, str] | None) -> None:
    raw_headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())] if body else []
    if headers:
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
