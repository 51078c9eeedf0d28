"""Helpers for the protocol v2 client tests: the `kit` fixtures' bundle, a group of a peer's,
and reading v2 socket traffic (`event`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from desktop_app.models.bridge import SessionBridge
from tests.client.peer import Peer
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]


class ClientKit(NamedTuple):
    """`server` (or `fresh_server`), `register`, `make_bridge` and `wait_for` as one (the
    `kit` and `fresh_kit` fixtures); unpacks in this order."""

    server: ServerProcess
    register: Callable[..., Auth]
    make_bridge: Callable[..., SessionBridge]
    wait_for: Callable[..., None]


def peer_group(
    kit: ClientKit, name: str, others: int = 1, in_group: int | None = None
) -> tuple[list[Auth], Peer, int]:
    """New users alice, bob and `others - 1` more; bob (as a Peer) makes group `name` with
    alice and the ones after bob in it (the first `in_group` of them; all by default).
    Returns ([alice, bob, …], bob's Peer, the group id)."""
    users = [kit.register(kit.server.url) for _ in range(others + 1)]
    peer = Peer(kit.server.url, users[1])
    members = (users[:1] + users[2:])[:in_group]
    return users, peer, peer.create_group(name, [u[0]["username"] for u in members])


def message_body(event: str, data: Any) -> str | None:
    """The body of a new message carried by a v2 `event`, or None for anything else."""
    if event == "event" and isinstance(data, dict) and data.get("kind") == "message.posted":
        return str(data["data"]["body"])
    return None
