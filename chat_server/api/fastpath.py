"""The two hottest routes in plain ASGI: POST /api/groups/{id}/messages and …/read.

The FastAPI routes stay registered (they document the routes in /openapi.json and answer
anything this path declines); these handlers answer exactly as those routes would, the same
authentication, validation, errors and status codes, for about half the CPU per request.
"""

from __future__ import annotations

import logging
import re
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from chat_protocol.errors import ErrorCode
from chat_protocol.models import ReadRequest, SendMessageRequest
from chat_server import errors
from chat_server.context import AppContext

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

FAST_PATH = re.compile(r"^/api/groups/([1-9][0-9]{0,18})/(messages|read)$")
JSON_HEADERS = [(b"content-type", b"application/json")]


class FastSend:
    """Serves POST /api/groups/{id}/messages and /read; passes every other request to `app`."""

    def __init__(self, app: Any, context: AppContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = FAST_PATH.match(scope["path"])
            if match is not None:
                group_id = int(match.group(1))
                if 1 <= group_id <= errors.MAX_INT64:
                    await self._serve(scope, receive, send, group_id, match.group(2))
                    return
        await self.app(scope, receive, send)

    async def _serve(
        self, scope: dict[str, Any], receive: Any, send: Any, group_id: int, action: str
    ) -> None:
        context = self.context
        try:
            caller = await context.auth.authenticate(_bearer_token(scope))
            body = await _read_body(receive)
            if action == "read":
                mark = _parse(ReadRequest, body)
                await context.groups.mark_read(
                    caller, group_id, errors.check_int64("seq", mark.seq)
                )
                await _respond(send, 204, b"", None)
                return
            request = _parse(SendMessageRequest, body)
            message, created = await context.messages.send(
                caller, group_id, request.client_msg_id, request.body, request.reply_to_message_id
            )
        except errors.ApiError as exc:
            context.metrics.rejected_events.labels(str(exc.code)).inc()
            await _respond(send, exc.status, orjson.dumps(exc.body()), exc.headers)
            return
        except Exception as exc:
            unavailable = errors.database_unavailable(exc)
            if unavailable is not None:
                log.warning("database unavailable: %s", type(exc).__name__)
                await _respond(
                    send, unavailable.status, orjson.dumps(unavailable.body()), unavailable.headers
                )
                return
            log.exception("request failed", extra={"path": scope["path"], "method": "POST"})
            failure = {
                "error": {
                    "code": str(ErrorCode.INTERNAL),
                    "message": "The server failed to handle this request.",
                }
            }
            await _respond(send, 500, orjson.dumps(failure), None)
            return
        await _respond(send, 201 if created else 200, orjson.dumps(message), None)


def _parse(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise errors.ValidationFailed(errors.validation_message(exc.errors())) from None


def _bearer_token(scope: dict[str, Any]) -> str | None:
    """The credentials of `Authorization: Bearer <token>`, as FastAPI's HTTPBearer reads them."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not credentials:
                return None
            return credentials
    return None


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
