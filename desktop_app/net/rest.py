"""Typed client for every REST route of protocol v1, on httpx.AsyncClient."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from chat_protocol.models import (
    AuthResponse,
    Event,
    EventsPage,
    Group,
    GroupDetail,
    GroupsResponse,
    Health,
    MemberResponse,
    Message,
    MessagesPage,
    MuteState,
    SearchResults,
    User,
    UsersResponse,
)
from desktop_app.net.errors import (
    BAD_RESPONSE,
    ApiError,
    AuthError,
    Conflict,
    ForbiddenError,
    NotFoundError,
    RateLimited,
    ServerError,
    ServerUnreachable,
    ValidationFailed,
    error_for,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "ApiError",
    "AuthError",
    "Conflict",
    "ForbiddenError",
    "NotFoundError",
    "RateLimited",
    "RestClient",
    "ServerError",
    "ServerUnreachable",
    "ValidationFailed",
]

log = logging.getLogger(__name__)

# A chat request is small; anything slower than this is treated as "server unreachable"
# so the outbox retries instead of the UI hanging.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
API_PREFIX = "/api"
HISTORY_SIZE = 500
DEFAULT_RETRY_AFTER = 1.0

M = TypeVar("M", bound=BaseModel)
Hooks = Mapping[str, list[Any]]


class RestClient:
    """One HTTP connection pool to one server, authorised by a bearer token (changeable)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: httpx.Timeout | None = None,
        *,
        event_hooks: Hooks | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        # The last requests made, as (method, path, query): for diagnostics and for tests
        # that check a screen was shown without fetching.
        self.history: deque[tuple[str, str, str]] = deque(maxlen=HISTORY_SIZE)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout or DEFAULT_TIMEOUT,
            event_hooks=dict(event_hooks) if event_hooks else None,
            transport=transport,
        )

    # --- auth ------------------------------------------------------------------------

    async def register(
        self, username: str, password: str, display_name: str | None = None
    ) -> AuthResponse:
        body: dict[str, Any] = {"username": username, "password": password}
        if display_name is not None:
            body["display_name"] = display_name
        return await self._typed(AuthResponse, "POST", "/auth/register", json=body)

    async def login(self, username: str, password: str) -> AuthResponse:
        body = {"username": username, "password": password}
        return await self._typed(AuthResponse, "POST", "/auth/login", json=body)

    async def logout(self) -> None:
        await self._request("POST", "/auth/logout")

    async def me(self) -> User:
        return await self._typed(User, "GET", "/me")

    async def search_users(self, q: str) -> list[User]:
        page = await self._typed(UsersResponse, "GET", "/users", params={"q": q})
        return page.users

    async def search_messages(
        self, q: str, *, group_id: int | None = None, before_id: int | None = None
    ) -> SearchResults:
        """GET /api/search: one page of hits, newest first (see docs/protocol.md)."""
        params: dict[str, str | int] = {"q": q}
        if group_id is not None:
            params["group_id"] = group_id
        if before_id is not None:
            params["before_id"] = before_id
        return await self._typed(SearchResults, "GET", "/search", params=params)

    # --- groups ----------------------------------------------------------------------

    async def groups(self) -> list[Group]:
        return (await self._typed(GroupsResponse, "GET", "/groups")).groups

    async def create_group(self, name: str, members: list[str] | None = None) -> Group:
        body = {"name": name, "members": list(members or [])}
        return await self._typed(Group, "POST", "/groups", json=body)

    async def group(self, group_id: int) -> GroupDetail:
        return await self._typed(GroupDetail, "GET", f"/groups/{group_id}")

    async def add_member(self, group_id: int, username: str) -> User:
        path = f"/groups/{group_id}/members"
        answer = await self._typed(MemberResponse, "POST", path, json={"username": username})
        return answer.member

    async def leave_group(self, group_id: int) -> None:
        await self._request("DELETE", f"/groups/{group_id}/members/me")

    async def set_muted(self, group_id: int, muted: bool) -> MuteState:
        path = f"/groups/{group_id}/muted"
        return await self._typed(MuteState, "PUT", path, json={"muted": muted})

    # --- messages --------------------------------------------------------------------

    async def messages(
        self,
        group_id: int,
        *,
        after_seq: int | None = None,
        before_seq: int | None = None,
        limit: int = 50,
    ) -> MessagesPage:
        params: dict[str, int] = {"limit": limit}
        if after_seq is not None:
            params["after_seq"] = after_seq
        if before_seq is not None:
            params["before_seq"] = before_seq
        return await self._typed(MessagesPage, "GET", f"/groups/{group_id}/messages", params=params)

    async def send(
        self,
        group_id: int,
        client_msg_id: str,
        body: str,
        reply_to_message_id: int | None = None,
        attachment_ids: list[int] | None = None,
    ) -> Message:
        payload: dict[str, Any] = {"client_msg_id": client_msg_id, "body": body}
        if reply_to_message_id is not None:
            payload["reply_to_message_id"] = reply_to_message_id
        if attachment_ids:
            payload["attachment_ids"] = attachment_ids
        return await self._typed(Message, "POST", f"/groups/{group_id}/messages", json=payload)

    # --- protocol v2: the group's event log --------------------------------------------

    async def events(self, group_id: int, after_seq: int = 0, limit: int = 100) -> EventsPage:
        params = {"after_seq": after_seq, "limit": limit}
        return await self._typed(EventsPage, "GET", f"/groups/{group_id}/events", params=params)

    async def post_event(
        self, group_id: int, client_event_id: str, kind: str, data: dict[str, Any]
    ) -> Event | Message:
        """Make an event; the answer is the Event (201, or 200 for a replayed id), or the
        Message as it stands for a reaction that changed nothing (200)."""
        payload = {"client_event_id": client_event_id, "kind": kind, "data": data}
        response = await self._request("POST", f"/groups/{group_id}/events", json=payload)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "kind" in body:
            return self._parse(Event, response)
        return self._parse(Message, response)

    async def mark_read(self, group_id: int, seq: int) -> None:
        await self._request("POST", f"/groups/{group_id}/read", json={"seq": seq})

    async def health(self) -> Health:
        # /healthz answers 503 with the same body when a dependency is down; still typed.
        response = await self._send("GET", "/healthz", prefix="")
        if response.status_code not in (200, 503):
            raise self._error(response)
        return self._parse(Health, response)

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- plumbing --------------------------------------------------------------------

    async def _typed(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return self._parse(model, await self._request(method, path, **kwargs))

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._send(method, path, **kwargs)
        if response.status_code >= 400:
            raise self._error(response)
        return response

    async def _send(
        self, method: str, path: str, *, prefix: str = API_PREFIX, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        params = kwargs.get("params")
        self.history.append((method, prefix + path, str(params or "")))
        try:
            return await self._http.request(method, prefix + path, headers=headers, **kwargs)
        except (httpx.RequestError, OSError) as exc:
            # Connect refused, reset, DNS, timeouts, a body that does not decode (a proxy's
            # broken gzip): all mean "try again later". Anything else escaping here would end
            # the sender's or a catch-up's task for good.
            raise ServerUnreachable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        except RuntimeError as exc:
            if not self._http.is_closed:
                raise
            # The session is stopping: a request still in flight ends like an unreachable one.
            raise ServerUnreachable(f"{method} {path}: the client is closed") from exc

    @staticmethod
    def _parse(model: type[M], response: httpx.Response) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise ApiError(response.status_code, BAD_RESPONSE, f"unexpected answer: {exc}") from exc

    @staticmethod
    def _error(response: httpx.Response) -> ApiError:
        code, message = "http_error", response.reason_phrase or f"HTTP {response.status_code}"
        try:
            body = response.json()
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict):
                code = str(error.get("code", code))
                message = str(error.get("message", message))
        except ValueError:
            pass
        retry_after = _retry_after(response.headers.get("Retry-After"))
        return error_for(response.status_code, code, message, retry_after)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return DEFAULT_RETRY_AFTER
