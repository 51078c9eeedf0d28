"""The HTTP surface: one token parser (RFC 6750) everywhere, the plain routes answering as any
route does, headers on every answer, /docs only when asked, and an exact /openapi.json."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Query

from chat_server.api.common import CallerDep, PlainInt
from chat_server.api.openapi_doc import build_openapi
from chat_server.config import load_settings
from chat_server.errors import MAX_INT64
from tests.support.api import Api, group_of
from tests.support.server import PASSWORD, ServerProcess, unique_name

JsonDict = dict[str, Any]


async def _three_routes(http: httpx.AsyncClient, group_id: int, header: str) -> list[int]:
    """Statuses of /api/me, a send and a read with `Authorization: header`."""
    headers = {"Authorization": header}
    me = await http.get("/api/me", headers=headers)
    sent = await http.post(
        f"/api/groups/{group_id}/messages",
        json={"client_msg_id": str(uuid.uuid4()), "body": "hi"},
        headers=headers,
    )
    read = await http.post(f"/api/groups/{group_id}/read", json={"seq": 0}, headers=headers)
    return [me.status_code, sent.status_code, read.status_code]


async def test_every_route_reads_the_bearer_header_alike(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    token = alice.token
    assert token is not None
    async with httpx.AsyncClient(base_url=server.url) as http:
        # RFC 6750: "Bearer" 1*SP b64token, the scheme in any case.
        for good in (f"Bearer {token}", f"Bearer  {token}", f"bearer {token}", f"BEARER {token}"):
            assert await _three_routes(http, group_id, good) == [200, 201, 204], good
        for bad in (
            f"Bearer\t{token}",
            f"Bearer {token} x",
            f"Basic {token}",
            "Bearer",
            f"{token}",
        ):
            assert await _three_routes(http, group_id, bad) == [401, 401, 401], bad
    await alice.close()


async def test_plain_routes_answer_bad_ids_and_methods_as_other_routes(
    server: ServerProcess,
) -> None:
    alice = await Api.new_user(server.url)
    for path in (
        "/api/groups/abc/read",
        "/api/groups/0/messages",
        f"/api/groups/{MAX_INT64 + 1}/read",
    ):
        response = await alice.request("POST", path, json={"seq": 0})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["message"].startswith("group_id:"), response.text
    read_get = await alice.request("GET", "/api/groups/1/read")
    assert read_get.status_code == 405 and read_get.headers["allow"] == "POST"
    for path in ("/api/groups/1/messages", "/api/groups"):
        options = await alice.request("OPTIONS", path)
        assert options.status_code == 405 and options.headers["allow"] == "GET, POST", path
        assert options.json()["error"]["code"] == "method_not_allowed"
    await alice.close()


async def test_token_answers_are_not_cached_and_nothing_is_sniffed(server: ServerProcess) -> None:
    name = unique_name("hdr")
    credentials = {"username": name, "password": PASSWORD}
    async with httpx.AsyncClient(base_url=server.url) as http:
        registered = await http.post("/api/auth/register", json=credentials)
        logged_in = await http.post("/api/auth/login", json=credentials)
        token = logged_in.json()["token"]
        answers = [
            registered,
            logged_in,
            await http.get("/api/me"),  # an error
            await http.get("/api/groups", headers={"Authorization": f"Bearer {token}"}),
            await http.post("/api/groups/1/read", json={"seq": 0}),  # a plain route
            await http.post("/api/groups", content=b"x" * 70_000),  # refused before routing
            await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"}),
            await http.get("/openapi.json"),
        ]
    for answer in (registered, logged_in):
        assert answer.headers["cache-control"] == "no-store", answer.headers
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff", (answer.url, answer.headers)


async def test_docs_are_off_unless_asked(
    server: ServerProcess, make_server: Callable[..., ServerProcess]
) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{server.url}/docs")).status_code == 404
        assert (await http.get(f"{server.url}/redoc")).status_code == 404
        assert (await http.get(f"{server.url}/openapi.json")).status_code == 200
        asked = make_server(args=["--api-docs"])
        assert (await http.get(f"{asked.url}/docs")).status_code == 200


def _operations(spec: JsonDict) -> list[tuple[str, str, JsonDict]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


async def test_openapi_states_every_answer_and_bound(server: ServerProcess) -> None:
    async with httpx.AsyncClient() as http:
        spec = (await http.get(f"{server.url}/openapi.json")).json()
    text = json.dumps(spec)
    assert '"ge"' not in text and '"le"' not in text  # pydantic's names are not JSON Schema
    operations = _operations(spec)
    assert ("post", "/api/groups/{group_id}/messages") in {(m, p) for m, p, _ in operations}
    assert ("post", "/api/groups/{group_id}/read") in {(m, p) for m, p, _ in operations}
    for method, path, operation in operations:
        responses = operation["responses"]
        assert "413" in responses, (method, path)
        if operation.get("security"):
            assert "401" in responses, (method, path)
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in responses, (method, path)
        for status, response in responses.items():
            if int(status) >= 400 and path != "/healthz":
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    assert {"404", "429"} <= set(
        spec["paths"]["/api/groups/{group_id}/messages"]["post"]["responses"]
    )
    assert {"403", "409"} <= set(spec["paths"]["/api/auth/register"]["post"]["responses"])
    page = {
        p["name"]: p["schema"]
        for p in spec["paths"]["/api/groups/{group_id}/messages"]["get"]["parameters"]
    }
    assert page["limit"] == {**page["limit"], "type": "integer", "minimum": 1, "maximum": 200}
    assert page["group_id"]["maximum"] == MAX_INT64 and page["group_id"]["minimum"] == 1
    assert page["after_seq"]["maximum"] == MAX_INT64 and "anyOf" not in page["after_seq"]
    send = spec["paths"]["/api/groups/{group_id}/messages"]["post"]["requestBody"]
    body = send["content"]["application/json"]["schema"]["properties"]
    assert body["client_msg_id"]["format"] == "uuid" and body["body"]["maxLength"] == 4000
    assert "pattern" in body["body"]  # no NUL, not blank
    read = spec["paths"]["/api/groups/{group_id}/read"]["post"]["requestBody"]
    assert (
        read["content"]["application/json"]["schema"]["properties"]["seq"]["maximum"] == MAX_INT64
    )


def test_a_new_group_route_is_documented_right_by_default(tmp_path: Path) -> None:
    """What the document adds by rule reaches a route the day it is added (here one written
    with constraints pydantic names "ge"/"le", and no errors of its own declared)."""
    api = FastAPI()

    @api.get("/api/groups/{group_id}/events")
    async def events(
        group_id: int,
        caller: CallerDep,
        limit: Annotated[PlainInt | None, Query(ge=1, le=500)] = None,
    ) -> None:
        """A route as another module might write it."""

    spec = build_openapi(api, [], load_settings(data_dir=tmp_path))
    operation = spec["paths"]["/api/groups/{group_id}/events"]["get"]
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")["schema"]
    assert limit == {"title": "Limit", "type": "integer", "minimum": 1, "maximum": 500}
    assert sorted(operation["responses"]) == ["200", "401", "404", "413", "422", "503"]
