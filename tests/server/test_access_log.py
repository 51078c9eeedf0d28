"""The access log says which path was asked, never the query string's values (a `?token=`)."""

from __future__ import annotations

from pathlib import Path

import httpx
import websockets

from tests.support.server import ServerProcess

SECRET = "s3cret-token-value"


async def test_query_values_stay_out_of_the_access_log(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, env={"CHAT_LOG_LEVEL": "info"}, args=["--access-log"])
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.get(f"/healthz?token={SECRET}&{SECRET}")).status_code == 200
            assert (await client.get(f"/api/me?token={SECRET}")).status_code == 401
        ws_url = server.url.replace("http", "ws")
        async with websockets.connect(
            f"{ws_url}/socket.io/?EIO=4&transport=websocket&token={SECRET}"
        ) as ws:
            await ws.recv()
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert "/healthz?token=*&*" in log
    assert "/api/me?token=*" in log
    assert "transport=*&token=*" in log  # the websocket's "[accepted]" line
    assert SECRET not in log
