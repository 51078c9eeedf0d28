"""A client offering permessage-deflate (browsers, the JS client) costs what any client costs:
the server declines the extension, so its deliveries take the direct-broadcast path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.support.api import Api, group_of
from tests.support.server import ServerProcess

WS_PATH = "/socket.io/?EIO=4&transport=websocket"
HIGH_LIMITS = {"CHAT_SEND_BURST": "1000"}


async def deflate_offering_client(url: str, token: str) -> Any:
    """A websocket that offers permessage-deflate (the `websockets` default), authenticated."""
    ws = await websockets.connect(url.replace("http", "ws") + WS_PATH, compression="deflate")
    await ws.recv()  # engine.io open
    await ws.send("40" + json.dumps({"token": token}))
    assert (await ws.recv()).startswith("40")
    assert (await ws.recv()).startswith('42["ready"')
    return ws


async def delivered_directly(url: str) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{url}/metrics")).text
    for line in text.splitlines():
        if line.startswith('chat_broadcast_deliveries_total{path="direct"}'):
            return float(line.split()[-1])
    return 0.0


async def one_delivery(server: ServerProcess) -> tuple[list[Any], float]:
    """Send a message to a deflate-offering member; (extensions negotiated, direct deliveries)."""
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group = await group_of(alice, bob)
    assert bob.token is not None
    ws = await deflate_offering_client(server.url, bob.token)
    try:
        before = await delivered_directly(server.url)
        assert (await alice.send(group, "compressed?")).status_code == 201
        frame = await ws.recv()
        assert frame.startswith('42["message:new"') and "compressed?" in frame
        return list(ws.protocol.extensions), await delivered_directly(server.url) - before
    finally:
        await ws.close()
        await alice.close()
        await bob.close()


async def test_deflate_is_declined_and_delivery_is_direct(tmp_path: Path) -> None:
    with ServerProcess(tmp_path, env=HIGH_LIMITS) as server:
        extensions, direct = await one_delivery(server)
    assert extensions == []
    assert direct >= 1


async def test_deflate_can_be_accepted_and_then_goes_through_the_queue(tmp_path: Path) -> None:
    """The operator's switch (`--websocket-deflate`): compressed frames, engine.io's queue."""
    with ServerProcess(tmp_path, env=HIGH_LIMITS, args=["--websocket-deflate"]) as server:
        extensions, direct = await one_delivery(server)
    assert [e.name for e in extensions] == ["permessage-deflate"]
    assert direct == 0
