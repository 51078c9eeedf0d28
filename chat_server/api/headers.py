"""Headers on every HTTP answer, REST and engine.io alike, added in plain ASGI."""

from __future__ import annotations

from typing import Any

# Browsers must not guess a type other than the one stated (a JSON error rendered as HTML).
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff")]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to each `http.response.start` that passes through."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state_context: Any = None  # the AppContext, for embedders and tests (app.py)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
