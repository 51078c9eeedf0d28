"""The server's instance id: made with its database, the same in every answer that carries it,
kept across restarts of the same data, and new for a fresh data directory."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.support.server import PASSWORD, ServerProcess, unique_name
from tests.support.sockets import connect


async def _instance_ids(url: str) -> dict[str, str]:
    """The instance id as /healthz, register, login and the socket's `ready` each say it."""
    name = unique_name()
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        health = (await http.get("/healthz")).json()
        registered = await http.post(
            "/api/auth/register", json={"username": name, "password": PASSWORD}
        )
        logged_in = await http.post(
            "/api/auth/login", json={"username": name, "password": PASSWORD}
        )
    client = await connect(url, logged_in.json()["token"])
    try:
        ready = await client.wait_for("ready")
    finally:
        await client.close()
    return {
        "healthz": health["instance_id"],
        "register": registered.json()["instance_id"],
        "login": logged_in.json()["instance_id"],
        "ready": ready["instance_id"],
    }


async def test_every_answer_names_the_same_instance_which_survives_a_restart(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        first = await _instance_ids(server.url)
        assert len(set(first.values())) == 1, first
        uuid.UUID(first["healthz"])  # a real UUID, not an empty placeholder
        server.stop()
        server.start()
        again = await _instance_ids(server.url)
    finally:
        server.stop()
    assert again == first


async def test_a_fresh_data_dir_on_the_same_address_is_another_instance(tmp_path: Path) -> None:
    old = ServerProcess(tmp_path / "old").start()
    try:
        before = (await _instance_ids(old.url))["healthz"]
    finally:
        old.stop()
    fresh = ServerProcess(tmp_path / "fresh", port=old.port).start()
    try:
        after = await _instance_ids(fresh.url)
    finally:
        fresh.stop()
    assert fresh.url == old.url
    assert len(set(after.values())) == 1 and after["healthz"] != before
