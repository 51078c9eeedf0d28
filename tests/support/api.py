"""A small async REST client for tests: `api = await Api.new_user(url)`, then `await api.send(gid, "hi")`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.server import PASSWORD, unique_name

TIMEOUT_SECONDS = 30.0


class Api:
    def __init__(
        self, url: str, token: str | None = None, user: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.token = token
        self.user = user or {}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=url, headers=headers, timeout=TIMEOUT_SECONDS)

    @classmethod
    async def new_user(cls, url: str, name: str | None = None, password: str = PASSWORD) -> Api:
        async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT_SECONDS) as http:
            response = await http.post(
                "/api/auth/register", json={"username": name or unique_name(), "password": password}
            )
        assert response.status_code == 201, response.text
        body = response.json()
        return cls(url, body["token"], body["user"])

    @property
    def username(self) -> str:
        return str(self.user["username"])

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, **kwargs)

    async def create_group(
        self, name: str = "Team", members: list[str] | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/api/groups", json={"name": name, "members": members or []}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def send(
        self, group_id: int, body: str = "hello", client_msg_id: str | None = None
    ) -> httpx.Response:
        payload = {"client_msg_id": client_msg_id or str(uuid.uuid4()), "body": body}
        return await self.http.post(f"/api/groups/{group_id}/messages", json=payload)

    async def messages(self, group_id: int, **params: Any) -> dict[str, Any]:
        response = await self.http.get(f"/api/groups/{group_id}/messages", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def close(self) -> None:
        await self.http.aclose()


async def group_of(owner: Api, *members: Api, name: str = "Team") -> int:
    """Create a group owned by `owner` with `members`; its id."""
    group = await owner.create_group(name, [m.username for m in members])
    return int(group["id"])
