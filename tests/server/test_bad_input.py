"""Whatever a client sends, the answer is a 4xx in the error shape: never a 500, never a half-written message."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess

GOOD_ID = "3f1c2a9e-0000-4000-8000-000000000000"


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"not json",
        b"\xff\xfe\xfd",
        b'{"client_msg_id": "' + GOOD_ID.encode() + b'", "body": "\xff"}',
        b"[]",
        b"null",
        b'"string"',
        b'{"client_msg_id": 5, "body": "x"}',
        b'{"body": "x"}',
        b'{"client_msg_id": "' + GOOD_ID.encode() + b'"}',
        b'{"client_msg_id": "' + GOOD_ID.encode() + b'", "body": "x", "group_id": 1}',
        b'{"client_msg_id": "' + GOOD_ID.encode() + b'", "body": ["x"]}',
    ],
)
async def test_bad_send_bodies_are_422(server: ServerProcess, raw: bytes) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    response = await alice.request(
        "POST",
        f"/api/groups/{group_id}/messages",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 422, "validation_error")
    assert (await alice.messages(group_id))["messages"] == []
    await alice.close()


async def test_string_ids_are_rejected_everywhere(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    assert_error(
        await alice.request("POST", f"/api/groups/{group_id}/read", json={"seq": "1"}),
        422,
        "validation_error",
    )
    assert_error(
        await alice.request("POST", f"/api/groups/{group_id}/read", json={"seq": 1.0}),
        422,
        "validation_error",
    )
    assert_error(
        await alice.request("POST", f"/api/groups/{group_id}/read", json={"seq": True}),
        422,
        "validation_error",
    )
    assert_error(await alice.request("GET", "/api/groups/abc"), 422, "validation_error")
    assert_error(await alice.request("GET", "/api/groups/1.5/messages"), 422, "validation_error")
    assert_error(await alice.request("GET", f"/api/groups/{2**70}"), 422, "validation_error")
    assert_error(
        await alice.request("POST", f"/api/groups/{group_id}/read", json={"seq": 2**70}),
        422,
        "validation_error",
    )
    assert_error(await alice.request("GET", f"/api/groups/{2**62}"), 404, "not_found")
    await alice.close()


async def test_register_and_login_validation(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        for body in (
            {"username": "ab", "password": "long enough"},
            {"username": "Has Spaces", "password": "long enough"},
            {"username": "UPPER", "password": "long enough"},
            {"username": "valid_name", "password": "short"},
            {"username": "valid_name", "password": "x" * 257},
            {"username": "valid_name", "password": "long enough", "display_name": ""},
            {"username": "valid_name", "password": "long enough", "admin": True},
            {"username": 12345, "password": "long enough"},
        ):
            assert_error(await http.post("/api/auth/register", json=body), 422, "validation_error")
        assert_error(
            await http.post("/api/auth/login", json={"username": "x"}), 422, "validation_error"
        )


async def test_group_validation(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    for body in (
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": 5},
        {"name": "ok", "members": "bob"},
        {},
    ):
        assert_error(await alice.request("POST", "/api/groups", json=body), 422, "validation_error")
    group_id = await group_of(alice)
    assert_error(
        await alice.request("POST", f"/api/groups/{group_id}/members", json={"username": 7}),
        422,
        "validation_error",
    )
    await alice.close()


async def test_oversized_body_is_413(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    huge = b'{"client_msg_id": "' + GOOD_ID.encode() + b'", "body": "' + b"x" * 70_000 + b'"}'
    response = await alice.request(
        "POST",
        f"/api/groups/{group_id}/messages",
        content=huge,
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")

    async def chunks():  # no Content-Length: the limit applies while streaming
        for _ in range(20):
            yield b"x" * 8192

    streamed = await alice.request("POST", f"/api/groups/{group_id}/messages", content=chunks())
    assert_error(streamed, 413, "payload_too_large")
    assert (await alice.messages(group_id))["messages"] == []
    await alice.close()


async def test_unknown_routes_and_methods_use_the_error_shape(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    assert_error(await alice.request("GET", "/api/nope"), 404, "not_found")
    assert_error(await alice.request("GET", "/nope"), 404, "not_found")
    assert_error(await alice.request("PUT", "/api/me"), 405, "method_not_allowed")
    assert_error(await alice.request("DELETE", "/api/groups"), 405, "method_not_allowed")
    await alice.close()


async def test_server_survives_it_all(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    assert (await alice.send(group_id, "still fine", str(uuid.uuid4()))).status_code == 201
    async with httpx.AsyncClient() as http:
        health = await http.get(f"{server.url}/healthz")
    assert health.status_code == 200
    assert '"level": "error"' not in server.log_tail(10_000).replace('":"', '": "')
    await alice.close()
