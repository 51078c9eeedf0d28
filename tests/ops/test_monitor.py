"""`chat-server monitor`: refused without the admin key, shows live socket events with it."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from chat_server.ops.monitor import EXIT_REFUSED, run_monitor
from chat_server.ops.probe import run_probe
from tests.support.server import ServerProcess

WAIT_SECONDS = 15.0


async def _wait_for(out: io.StringIO, text: str, task: asyncio.Task[int]) -> None:
    async with asyncio.timeout(WAIT_SECONDS):
        while text not in out.getvalue():
            assert not task.done(), f"monitor ended early: {out.getvalue()}"
            await asyncio.sleep(0.05)


async def test_monitor_with_a_wrong_key_is_refused(server: ServerProcess) -> None:
    out = io.StringIO()

    code = await run_monitor(server.url, "not-the-admin-key", out=out)

    assert code == EXIT_REFUSED
    assert "monitor refused" in out.getvalue()
    assert "admin key" in out.getvalue()


async def test_monitor_without_any_key_is_refused(server: ServerProcess, tmp_path: Path) -> None:
    out = io.StringIO()

    code = await run_monitor(server.url, None, data_dir=tmp_path, out=out)

    assert code == EXIT_REFUSED
    assert "no admin key at" in out.getvalue()


async def test_admin_key_file_is_private_to_the_operator(server: ServerProcess) -> None:
    mode = (server.data_dir / "admin.key").stat().st_mode & 0o777

    assert mode == 0o600


async def test_monitor_with_the_key_sees_socket_events_live(server: ServerProcess) -> None:
    out = io.StringIO()
    monitor = asyncio.create_task(run_monitor(server.url, None, data_dir=server.data_dir, out=out))
    try:
        await _wait_for(out, "monitoring", monitor)

        assert await run_probe(server.url, out=io.StringIO()) == 0
        await _wait_for(out, "message:new", monitor)
    finally:
        monitor.cancel()
        await asyncio.gather(monitor, return_exceptions=True)

    lines = out.getvalue().splitlines()
    connects = [line for line in lines if " connect " in f" {line} " and "probe_" in line]
    assert connects, lines
    assert any("message:new" in line and "probe message" in line for line in lines), lines
