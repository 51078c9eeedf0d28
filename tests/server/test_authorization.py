"""Who may do what: anonymous, revoked tokens and non-members are refused on every route and event."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import connect

GOOD_ID = "3f1c2a9e-0000-4000-8000-000000000000"

# (method, path template, json body) of every authenticated route; {g} is a group id.
ROUTES = [
    ("POST", "/api/auth/logout", None),
    ("GET", "/api/me", None),
    ("GET", "/api/users?q=a", None),
    ("GET", "/api/groups", None),
    ("POST", "/api/groups", {"name": "x"}),
    ("GET", "/api/groups/{g}", None),
    ("POST", "/api/groups/{g}/members", {"username": "nobody_here"}),
    ("DELETE", "/api/groups/{g}/members/me", None),
    ("GET", "/api/groups/{g}/messages", None),
    ("POST", "/api/groups/{g}/messages", {"client_msg_id": GOOD_ID, "body": "x"}),
    ("POST", "/api/groups/{g}/read", {"seq": 0}),
]
GROUP_ROUTES = [r for r in ROUTES if "{g}" in r[1]]


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    """Run this module on every database backend."""
    return backend_server


async def _call(
    http: httpx.AsyncClient, route: tuple, group_id: int, headers: dict
) -> httpx.Response:
    method, path, body = route
    return await http.request(method, path.format(g=group_id), json=body, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
)
async def test_every_route_needs_a_valid_token(server: ServerProcess, headers: dict) -> None:
    owner = await Api.new_user(server.url)
    group_id = await group_of(owner)
    async with httpx.AsyncClient(base_url=server.url) as http:
        for route in ROUTES:
            response = await _call(http, route, group_id, headers)
            assert response.status_code == 401, route
            assert response.json()["error"]["code"] == "unauthorized"
    assert (await owner.messages(group_id))["messages"] == []
    await owner.close()


async def test_a_revoked_token_is_refused_everywhere(server: ServerProcess) -> None:
    owner = await Api.new_user(server.url)
    group_id = await group_of(owner)
    token = owner.token or ""
    assert (await owner.request("POST", "/api/auth/logout")).status_code == 204
    async with httpx.AsyncClient(base_url=server.url) as http:
        for route in ROUTES:
            response = await _call(http, route, group_id, {"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, route


async def test_non_members_see_404_as_if_the_group_did_not_exist(server: ServerProcess) -> None:
    owner, member, outsider = [await Api.new_user(server.url) for _ in range(3)]
    group_id = await group_of(owner, member)
    await owner.send(group_id, "secret")
    missing_id = group_id + 10_000
    async with httpx.AsyncClient(base_url=server.url) as http:
        for route in GROUP_ROUTES:
            headers = {"Authorization": f"Bearer {outsider.token}"}
            as_outsider = await _call(http, route, group_id, headers)
            nonexistent = await _call(http, route, missing_id, headers)
            assert as_outsider.status_code == 404, route
            assert as_outsider.json()["error"]["code"] == "not_found"
            assert nonexistent.status_code == 404 and nonexistent.json() == as_outsider.json()
    detail = (await owner.request("GET", f"/api/groups/{group_id}")).json()
    assert outsider.username not in [m["username"] for m in detail["members"]]
    assert [m["body"] for m in (await owner.messages(group_id))["messages"]] == ["secret"]


async def test_non_members_get_nothing_over_the_socket(server: ServerProcess) -> None:
    owner, outsider = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(owner)
    other_id = await group_of(outsider)
    spy = await connect(server.url, outsider.token or "")
    assert all(g["id"] != group_id for g in spy.events["ready"][0]["groups"])
    send = await spy.call(
        "message:send", {"group_id": group_id, "client_msg_id": str(uuid.uuid4()), "body": "x"}
    )
    assert send["ok"] is False and send["error"]["code"] == "not_found"
    typing = await spy.call("typing", {"group_id": group_id})
    assert typing["ok"] is False and typing["error"]["code"] == "not_found"
    await owner.send(group_id, "private")
    await outsider.send(other_id, "marker")
    await spy.wait_for("message:new", lambda m: m["group_id"] == other_id)
    assert [m["group_id"] for m in spy.events["message:new"]] == [other_id]
    assert [m["body"] for m in (await owner.messages(group_id))["messages"]] == ["private"]
    await spy.close()
