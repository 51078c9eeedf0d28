"""Authorisation matrix: every operation in /openapi.json and every client socket event ×
{anonymous, garbage token, revoked token, non-member, member}, generated from the schema, so a
route added tomorrow is in the matrix the day it is added (and a public one must be named).

Expected: anonymous, garbage and revoked are refused (401 `unauthorized`; the socket refuses
to connect); a non-member gets 404 `not_found` for a group, exactly as for a group that does
not exist, and for the group's file or another user's upload (issue 12: `{file_id}` is a
file the member posted in the group, `{upload_id}` the member's upload for GET and a new one
for PUT); a member is let through (whatever the route then says, it is not 401/403/404).
Figures: docs/reliability.md.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from chat_protocol.events import ClientEvent
from chat_protocol.models import PingEvent, SendEvent, TypingEvent
from tests.support.api import Api, group_of
from tests.support.files import png, send_files, upload, uploaded
from tests.support.server import PASSWORD, ServerProcess
from tests.support.sockets import connect, connect_error

pytestmark = pytest.mark.proof
ROLES = ("anonymous", "garbage", "revoked", "non-member", "member")
REFUSED_ROLES = ("anonymous", "garbage", "revoked")
# Operations anyone may call; a new route without a token must be added here on purpose.
PUBLIC = {
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("get", "/healthz"),
    ("get", "/metrics"),
}
# Each client event and its payload model (the test fails for an event missing here).
EVENT_MODELS = {
    ClientEvent.MESSAGE_SEND: SendEvent,
    ClientEvent.TYPING: TypingEvent,
    ClientEvent.PING: PingEvent,
}
GARBAGE_TOKEN = "not-a-token-anyone-was-given"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
Json = dict[str, Any]


class People:
    """The group's owner, a member, an outsider, and a user for bodies that name someone."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def setup(self) -> None:
        self.owner, self.member, self.outsider, self.invitee = [
            await Api.new_user(self.url) for _ in range(4)
        ]
        self.group_id = await group_of(self.owner, self.member)
        self.file_id = await _posted_image(self.member, self.group_id)
        self.upload_id = str(uuid.uuid4())
        assert (await upload(self.member, b"matrix", "m.bin", self.upload_id)).status_code == 201
        revoked = await Api.new_user(self.url)
        await group_of(revoked)
        assert (await revoked.request("POST", "/api/auth/logout")).status_code == 204
        self.revoked_token = revoked.token or ""
        await revoked.close()

    async def token(self, role: str) -> str | None:
        """A fresh token per call (a logout in the matrix must not spoil the next call)."""
        if role == "anonymous":
            return None
        if role == "garbage":
            return GARBAGE_TOKEN
        if role == "revoked":
            return self.revoked_token
        who = self.member if role == "member" else self.outsider
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            answer = await http.post(
                "/api/auth/login", json={"username": who.username, "password": PASSWORD}
            )
        return str(answer.json()["token"])

    async def restore(self) -> None:
        """Undo what a member's call may have changed: back in the group, invitee out."""
        await self.owner.request(
            "POST", f"/api/groups/{self.group_id}/members", json={"username": self.member.username}
        )
        invitee_view = await self.invitee.request("GET", f"/api/groups/{self.group_id}")
        if invitee_view.status_code == 200:
            await self.invitee.request("DELETE", f"/api/groups/{self.group_id}/members/me")

    async def close(self) -> None:
        for api in (self.owner, self.member, self.outsider, self.invitee):
            await api.close()


def _resolve(schema: Json, spec: Json) -> Json:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def example(schema: Json, spec: Json, names: Json, name: str = "") -> Any:
    """A valid value of `schema`: minimal, with real names where a property names a user."""
    schema = _resolve(schema, spec)
    if "const" in schema:
        return schema["const"]
    if "oneOf" in schema:  # a tagged union (POST …/events): its first shape
        return example(schema["oneOf"][0], spec, names, name)
    if "anyOf" in schema:
        return example(
            next(s for s in schema["anyOf"] if s.get("type") != "null"), spec, names, name
        )
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            key: example(properties[key], spec, names, key) for key in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return names.get(name, "matrix")


def operations(spec: Json) -> list[tuple[str, str, Json]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


async def _call(
    http: httpx.AsyncClient,
    people: People,
    spec: Json,
    method: str,
    path: str,
    op: Json,
    token: str | None,
) -> httpx.Response:
    names = {"username": people.invitee.username, "name": "Matrix", "body": "hello"}
    params = {}
    for parameter in op.get("parameters", []):
        if parameter["in"] == "query" and parameter.get("required"):
            params[parameter["name"]] = example(parameter["schema"], spec, names, parameter["name"])
    body = None
    content: bytes | None = None
    if "requestBody" in op:
        media = op["requestBody"]["content"]
        if "application/json" in media:
            body = example(media["application/json"]["schema"], spec, names)
        else:  # an upload: raw bytes
            content = png(8, 8)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    url = (
        path.replace("{group_id}", str(people.group_id))
        .replace("{file_id}", str(people.file_id))
        .replace("{upload_id}", people.upload_id if method == "get" else str(uuid.uuid4()))
    )
    return await http.request(
        method.upper(), url, params=params, json=body, content=content, headers=headers
    )


def _not_theirs(method: str, path: str) -> bool:
    """Paths naming the group, its file, or (reading) the member's upload: 404 to others."""
    return (
        "{group_id}" in path or "{file_id}" in path or (method == "get" and "{upload_id}" in path)
    )


async def _posted_image(owner: Api, group_id: int) -> int:
    """A file in a message of the group (the matrix's `{file_id}`)."""
    info = await uploaded(owner, png(8, 8), "matrix.png")
    assert (await send_files(owner, group_id, [info["id"]], "matrix")).status_code == 201
    return int(info["id"])


@pytest.fixture
async def people(server: ServerProcess) -> Any:
    crowd = People(server.url)
    await crowd.setup()
    yield crowd
    await crowd.close()


async def test_every_route_by_every_kind_of_caller(server: ServerProcess, people: People) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        spec = (await http.get("/openapi.json")).json()
        table = operations(spec)
        public = {(m, p) for m, p, op in table if not op.get("security")}
        assert public == PUBLIC, "a route without a token: add it to PUBLIC only on purpose"
        refused = total = 0
        problems: list[str] = []
        for method, path, op in table:
            if (method, path) in PUBLIC:
                continue
            for role in ROLES:
                token = await people.token(role)
                answer = await _call(http, people, spec, method, path, op, token)
                total += 1
                code = (
                    answer.json().get("error", {}).get("code")
                    if answer.status_code >= 400
                    else None
                )
                if role in REFUSED_ROLES:
                    ok = answer.status_code == 401 and code == "unauthorized"
                elif role == "non-member" and _not_theirs(method, path):
                    ok = answer.status_code == 404 and code == "not_found"
                else:
                    ok = answer.status_code not in (401, 403, 404)
                refused += answer.status_code in (401, 403, 404)
                if not ok:
                    problems.append(
                        f"{role} {method.upper()} {path}: {answer.status_code} {answer.text}"
                    )
                await people.restore()
    print(f"authorisation matrix (REST): {total} calls, {refused} refused")
    assert problems == [], "\n".join(problems)


async def test_every_socket_event_by_every_kind_of_caller(
    server: ServerProcess, people: People
) -> None:
    assert set(EVENT_MODELS) == set(ClientEvent), "a new client event needs its payload model here"
    names = {"group_id": people.group_id, "body": "hello"}
    refused = total = 0
    for role in REFUSED_ROLES:
        token = await people.token(role)
        auth = {} if token is None else {"token": token}
        refusal = await connect_error(server.url, auth)
        total += 1
        refused += 1
        assert refusal["code"] == "unauthorized", (role, refusal)
    for role in ("non-member", "member"):
        client = await connect(server.url, await people.token(role) or "")
        for event, model in EVENT_MODELS.items():
            schema = model.model_json_schema()
            payload = {
                k: names.get(k) or example(v, {}, {}, k)
                for k, v in schema.get("properties", {}).items()
                if k in schema.get("required", [])
            }
            ack = await client.call(str(event), payload)
            total += 1
            if role == "non-member" and "group_id" in payload:
                assert ack["ok"] is False and ack["error"]["code"] == "not_found", (
                    role,
                    event,
                    ack,
                )
                refused += 1
            else:
                assert ack["ok"] is True, (role, event, ack)
        await client.close()
    print(f"authorisation matrix (socket): {total} attempts, {refused} refused")
