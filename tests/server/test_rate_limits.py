"""Rate limits: the send bucket (REST and socket), and retries of stored messages are never limited."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import connect


async def test_send_bucket_limits_rest_and_socket_but_not_retries(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server(args=["--send-burst", "3", "--send-window-seconds", "600"])
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    first_cmid = str(uuid.uuid4())
    for i in range(3):
        response = await alice.send(group_id, f"m{i}", first_cmid if i == 0 else None)
        assert response.status_code == 201
    limited = await alice.send(group_id, "one too many")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    retry = await alice.send(group_id, "m0", first_cmid)
    assert retry.status_code == 200 and retry.json()["seq"] == 1
    client = await connect(server.url, alice.token or "")
    ack = await client.call(
        "message:send", {"group_id": group_id, "client_msg_id": str(uuid.uuid4()), "body": "x"}
    )
    assert (
        ack["ok"] is False
        and ack["error"]["code"] == "rate_limited"
        and ack["error"]["retry_after"] >= 1
    )
    again = await client.call(
        "message:send", {"group_id": group_id, "client_msg_id": first_cmid, "body": "m0"}
    )
    assert again["ok"] is True and again["message"]["seq"] == 1
    # Another user has a bucket of their own.
    bob = await Api.new_user(server.url)
    assert (await bob.send(await group_of(bob), "fine")).status_code == 201
    assert [m["seq"] for m in (await alice.messages(group_id))["messages"]] == [1, 2, 3]
    await client.close()
    await alice.close()
    await bob.close()


async def test_login_failures_are_counted_per_client_address_behind_a_trusted_proxy(
    make_server: Callable[..., ServerProcess],
) -> None:
    """Behind a reverse proxy on this host (trusted by default: --forwarded-allow-ips), the
    per-address login limit applies to the client's address from X-Forwarded-For, not to the
    proxy's, so one client guessing passwords does not lock everyone else out."""
    server = make_server(args=["--login-failures-per-minute", "2"])
    async with httpx.AsyncClient(base_url=server.url) as http:

        async def login(name: str, client: str) -> int:
            response = await http.post(
                "/api/auth/login",
                json={"username": name, "password": "wrong-password"},
                headers={"X-Forwarded-For": client},
            )
            return response.status_code

        guesser = [await login(f"victim{i}", "203.0.113.7") for i in range(3)]
        assert guesser == [401, 401, 429], "the per-address window of the guessing client"
        assert await login("someone_else", "198.51.100.20") == 401, "another client is not locked"


async def test_posted_changes_share_the_send_bucket_and_retries_pass(
    make_server: Callable[..., ServerProcess],
) -> None:
    """Edits, reactions and the rest of POST …/events take from the same per-user bucket as
    sends; a retry of a stored change still answers its original, and a no-op is free."""
    server = make_server(args=["--send-burst", "3", "--send-window-seconds", "600"])
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    message = (await alice.send(group_id, "first")).json()
    edit_id = str(uuid.uuid4())

    async def change(kind: str, data: dict[str, object], cid: str | None = None) -> httpx.Response:
        body = {"client_event_id": cid or str(uuid.uuid4()), "kind": kind, "data": data}
        return await alice.request("POST", f"/api/groups/{group_id}/events", json=body)

    react = {"message_id": message["id"], "emoji": "👍"}
    assert (await change("reaction.added", react)).status_code == 201
    # Adding the same reaction again stores nothing and takes nothing from the bucket, so
    # the third change of the burst still passes.
    assert (await change("reaction.added", react)).status_code == 200
    edit = await change("message.edited", {"message_id": message["id"], "body": "one"}, edit_id)
    assert edit.status_code == 201
    limited = await change("message.edited", {"message_id": message["id"], "body": "two"})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    retry = await change("message.edited", {"message_id": message["id"], "body": "x"}, edit_id)
    assert retry.status_code == 200 and retry.json()["seq"] == edit.json()["seq"]
    await alice.close()
