"""A second user driven from the test over plain REST (synchronous httpx: setup, not the client)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

TIMEOUT = 30.0


class Peer:
    """Another user of the server: creates groups and posts messages while the client watches."""

    def __init__(self, url: str, auth: tuple[dict[str, Any], str]) -> None:
        self.user, self.token = auth
        self.username: str = self.user["username"]
        self._http = httpx.Client(
            base_url=url, timeout=TIMEOUT, headers={"Authorization": f"Bearer {self.token}"}
        )

    def create_group(self, name: str, members: list[str]) -> int:
        r = self._http.post("/api/groups", json={"name": name, "members": members})
        r.raise_for_status()
        return int(r.json()["id"])

    def send(self, group_id: int, body: str) -> dict[str, Any]:
        r = self._http.post(
            f"/api/groups/{group_id}/messages",
            json={"client_msg_id": str(uuid.uuid4()), "body": body},
        )
        r.raise_for_status()
        return dict(r.json())

    def add_member(self, group_id: int, username: str) -> None:
        r = self._http.post(f"/api/groups/{group_id}/members", json={"username": username})
        r.raise_for_status()

    def reply(self, group_id: int, body: str, reply_to: int) -> dict[str, Any]:
        r = self._http.post(
            f"/api/groups/{group_id}/messages",
            json={
                "client_msg_id": str(uuid.uuid4()),
                "body": body,
                "reply_to_message_id": reply_to,
            },
        )
        r.raise_for_status()
        return dict(r.json())

    def post_event(self, group_id: int, kind: str, **data: Any) -> dict[str, Any]:
        """POST …/events with a fresh client_event_id (protocol v2)."""
        payload = {"client_event_id": str(uuid.uuid4()), "kind": kind, "data": data}
        r = self._http.post(f"/api/groups/{group_id}/events", json=payload)
        r.raise_for_status()
        return dict(r.json())

    def events(self, group_id: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            after = out[-1]["seq"] if out else 0
            r = self._http.get(
                f"/api/groups/{group_id}/events", params={"after_seq": after, "limit": 500}
            )
            r.raise_for_status()
            out += r.json()["events"]
            if not r.json()["has_more"]:
                return out

    def group(self, group_id: int) -> dict[str, Any]:
        r = self._http.get(f"/api/groups/{group_id}")
        r.raise_for_status()
        return dict(r.json())

    def mark_read(self, group_id: int, seq: int) -> None:
        r = self._http.post(f"/api/groups/{group_id}/read", json={"seq": seq})
        r.raise_for_status()

    def messages(self, group_id: int, **params: int) -> list[dict[str, Any]]:
        r = self._http.get(f"/api/groups/{group_id}/messages", params={"limit": 200, **params})
        r.raise_for_status()
        return list(r.json()["messages"])

    def all_messages(self, group_id: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = self.messages(group_id, after_seq=out[-1]["seq"] if out else 0)
            if not page:
                return out
            out += page

    def login_again(self, url: str, password: str) -> str:
        r = httpx.post(
            f"{url}/api/auth/login",
            json={"username": self.username, "password": password},
            timeout=TIMEOUT,
        )
        r.raise_for_status()
        return str(r.json()["token"])

    def close(self) -> None:
        self._http.close()
