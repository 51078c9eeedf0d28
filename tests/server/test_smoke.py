"""A message posted over REST reaches the other members' sockets and the history."""

from __future__ import annotations

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess
from tests.support.sockets import connect


async def test_message_reaches_other_member_live_and_in_history(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    bob_socket = await connect(server.url, bob.token or "")
    ready = bob_socket.events["ready"][0]
    assert {"id": group_id, "last_seq": 0, "head_seq": 0} in ready["groups"]
    response = await alice.send(group_id, "hello bob")
    assert response.status_code == 201
    live = await bob_socket.wait_for("message:new", lambda m: m["group_id"] == group_id)
    assert (
        live["body"] == "hello bob"
        and live["seq"] == 1
        and live["sender"]["username"] == alice.username
    )
    page = await bob.messages(group_id, after_seq=0)
    assert [m["id"] for m in page["messages"]] == [live["id"]]
    await bob_socket.close()
    await alice.close()
    await bob.close()
