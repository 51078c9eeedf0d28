"""A pure-ASGI request body limit (413 `payload_too_large`), cheaper than any framework middleware."""

from __future__ import annotations

from typing import Any

import orjson

from chat_server import errors

Scope = dict[str, Any]


class BodySizeLimit:
    """Refuse bodies over `max_bytes`: by Content-Length up front, or while streaming."""

    def __init__(self, app: Any, max_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths whose route enforces a limit of its own while streaming (uploads).
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (
            self.exempt_prefixes
            and scope["method"] == "PUT"
            and scope["path"].startswith(self.exempt_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(send)
                    return
                break
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body read; the ApiError handler answers 413.
                    raise errors.PayloadTooLarge(self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."

    async def _refuse(self, send: Any) -> None:
        body = orjson.dumps({"error": {"code": "payload_too_large", "message": self._message()}})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
