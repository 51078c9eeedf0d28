"""RestClient against the real server: typed answers and typed errors with the protocol's code."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from chat_protocol.errors import ErrorCode
from desktop_app.net.rest import (
    AuthError,
    Conflict,
    NotFoundError,
    RestClient,
    ServerUnreachable,
    ValidationFailed,
)
from tests.support.server import PASSWORD, ServerProcess, unique_name


def test_typed_routes_and_errors(server: ServerProcess, arun: Callable[..., Any]) -> None:
    async def scenario() -> None:
        anon = RestClient(server.url)
        name, other = unique_name("rest"), unique_name("rest")
        auth = await anon.register(name, PASSWORD, display_name="Rest Tester")
        await anon.register(other, PASSWORD)
        with pytest.raises(Conflict) as taken:
            await anon.register(name, PASSWORD)
        assert taken.value.code == ErrorCode.USERNAME_TAKEN and taken.value.status == 409
        with pytest.raises(AuthError) as wrong:
            await anon.login(name, "not-the-password")
        assert wrong.value.code == ErrorCode.INVALID_CREDENTIALS
        assert (await anon.login(name, PASSWORD)).user.id == auth.user.id
        health = await anon.health()
        assert health.status == "ok"

        me = RestClient(server.url, auth.token)
        assert (await me.me()).display_name == "Rest Tester"
        assert other in [u.username for u in await me.search_users(other[:8])]
        group = await me.create_group("Typed", [other])
        assert group.member_count == 2
        detail = await me.group(group.id)
        assert {u.username for u in detail.members} == {name, other}
        cid = str(uuid.uuid4())
        sent = await me.send(group.id, cid, "hello")
        again = await me.send(group.id, cid, "hello")
        assert again.id == sent.id, "a repeated client_msg_id returns the original"
        page = await me.messages(group.id, after_seq=0)
        assert [m.body for m in page.messages] == ["hello"] and page.has_more is False
        await me.mark_read(group.id, sent.seq)
        assert (await me.groups())[0].last_read_seq == sent.seq
        with pytest.raises(ValidationFailed) as blank:
            await me.send(group.id, str(uuid.uuid4()), "   ")
        assert blank.value.status == 422 and blank.value.message
        with pytest.raises(NotFoundError):
            await me.messages(987654321)
        third = unique_name("rest")
        await anon.register(third, PASSWORD)
        assert (await me.add_member(group.id, third)).username == third
        with pytest.raises(Conflict):
            await me.add_member(group.id, third)
        await me.leave_group(group.id)
        with pytest.raises(NotFoundError):
            await me.group(group.id)
        await me.logout()
        with pytest.raises(AuthError):
            await me.me()
        for client in (anon, me):
            await client.aclose()

    arun(scenario())


def test_unreachable_server_is_a_typed_error(arun: Callable[..., Any]) -> None:
    async def scenario() -> None:
        client = RestClient("http://127.0.0.1:9")
        with pytest.raises(ServerUnreachable) as down:
            await client.groups()
        assert down.value.status == 0 and down.value.code == "unreachable"
        assert not down.value.permanent
        await client.aclose()

    arun(scenario())
