"""`chat-server probe`: passes against a real server, fails with a reason against a dead one."""

from __future__ import annotations

import io

from chat_server.ops.probe import EXIT_OK, run_probe
from tests.support.server import ServerProcess, free_port


async def test_probe_passes_end_to_end(server: ServerProcess) -> None:
    out = io.StringIO()

    code = await run_probe(server.url, out=out)

    text = out.getvalue()
    assert code == EXIT_OK, text
    assert "received it live" in text
    assert "catch-up over REST agrees" in text
    assert "probe OK: round trip" in text


async def test_probe_with_named_users_logs_in_on_the_second_run(server: ServerProcess) -> None:
    users = ("ops_probe_a", "ops_probe_b")
    first, second = io.StringIO(), io.StringIO()

    assert await run_probe(server.url, users=users, password="probe-pass-1", out=first) == 0
    assert await run_probe(server.url, users=users, password="probe-pass-1", out=second) == 0

    assert "registered ops_probe_a" in first.getvalue()
    assert "logged in ops_probe_a" in second.getvalue()
    assert "(last seq 1)" in second.getvalue()  # the first run's group, reused


async def test_probe_with_a_wrong_password_fails_with_the_servers_reason(
    server: ServerProcess,
) -> None:
    users = ("ops_probe_c", "ops_probe_d")
    assert await run_probe(server.url, users=users, password="right-pass-1", out=io.StringIO()) == 0
    out = io.StringIO()

    code = await run_probe(server.url, users=users, password="wrong-pass-1", out=out)

    assert code != 0
    assert "probe FAILED" in out.getvalue()
    assert "cannot log in as ops_probe_c" in out.getvalue()
    assert "invalid_credentials" in out.getvalue()


async def test_probe_of_a_dead_url_fails_with_a_message() -> None:
    out = io.StringIO()
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    code = await run_probe(url, timeout=3.0, out=out)

    assert code != 0
    assert "probe FAILED: cannot reach the server" in out.getvalue()
