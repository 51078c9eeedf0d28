"""Text and number rules on every backend: no NUL character anywhere (PostgreSQL cannot
store it), invisible-only bodies count as blank, ids and limits in plain digits only."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import connect

NUL = "\u0000"


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    """Run this module on every database backend."""
    return backend_server


def assert_422(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, (response.status_code, response.text)
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith(f"{field}:"), error["message"]


async def test_nul_is_refused_in_every_text_a_client_sends(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    async with httpx.AsyncClient(base_url=server.url) as http:
        register = {"username": f"u{uuid.uuid4().hex[:8]}", "password": "password123"}
        assert_422(
            await http.post("/api/auth/register", json={**register, "display_name": f"a{NUL}b"}),
            "display_name",
        )
        assert_422(
            await http.post("/api/auth/login", json={"username": f"a{NUL}b", "password": "x"}),
            "username",
        )
    assert_422(await alice.request("GET", "/api/users", params={"q": f"a{NUL}"}), "q")
    assert_422(await alice.request("POST", "/api/groups", json={"name": f"g{NUL}"}), "name")
    assert_422(
        await alice.request("POST", "/api/groups", json={"name": "g", "members": [f"a{NUL}b"]}),
        "members.0",
    )
    assert_422(
        await alice.request(
            "POST", f"/api/groups/{group_id}/members", json={"username": f"a{NUL}b"}
        ),
        "username",
    )
    assert_422(await alice.send(group_id, f"x{NUL}"), "body")
    socket = await connect(server.url, alice.token or "")
    ack = await socket.call(
        "message:send",
        {"group_id": group_id, "client_msg_id": str(uuid.uuid4()), "body": f"x{NUL}"},
    )
    assert ack["ok"] is False and ack["error"]["code"] == "validation_error"
    await socket.close()
    # Nothing was stored, and the server is fine.
    assert (await alice.send(group_id, "after all that")).json()["seq"] == 1
    await alice.close()


async def test_a_body_of_invisible_characters_is_blank(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    for body in ("\u200b\u200b", "\ufeff", " \u2060\n"):
        assert_422(await alice.send(group_id, body), "body")
    assert (await alice.send(group_id, "a\u200bb")).status_code == 201
    await alice.close()


async def test_ids_and_limits_must_be_plain_digits(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    assert (await alice.send(group_id, "one")).status_code == 201
    path = f"/api/groups/{group_id}/messages"
    for query in (
        {"after_seq": "0.0"},
        {"before_seq": "1.0"},
        {"limit": "1.0"},
        {"limit": "+5"},
        {"limit": "05"},
        {"limit": " 5"},
        {"limit": "5 "},
    ):
        response = await alice.request("GET", path, params=query)
        assert_422(response, next(iter(query)))
    for spelled in (f"{group_id}.0", f"+{group_id}", f"0{group_id}", f"%20{group_id}"):
        response = await alice.request("GET", f"/api/groups/{spelled}")
        assert_422(response, "group_id")
        response = await alice.request("GET", f"/api/groups/{spelled}/messages")
        assert_422(response, "group_id")
        sent = await alice.request(
            "POST",
            f"/api/groups/{spelled}/messages",
            json={"client_msg_id": str(uuid.uuid4()), "body": "x"},
        )
        assert_422(sent, "group_id")
    ok = await alice.request("GET", path, params={"after_seq": "0", "limit": "10"})
    assert ok.status_code == 200 and len(ok.json()["messages"]) == 1
    await alice.close()
