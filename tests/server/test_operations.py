"""Operator surface: health, metrics, OpenAPI, the admin monitor namespace, the CLI and the embedded server."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import socketio

from chat_server.config import Settings
from chat_server.embedded import DEMO_PASSWORD, EmbeddedServer, demo_users
from chat_server.metrics import Metrics
from chat_server.services.auth import AuthService
from chat_server.services.control import ControlFollower
from chat_server.services.fanout import FanoutRelay
from chat_server.storage.db import Database
from tests.support.api import Api, group_of
from tests.support.server import TEST_ENV, ServerProcess
from tests.support.sockets import connect, connect_error


async def test_health_reports_db_and_redis(server: ServerProcess) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{server.url}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (
        body["status"] == "ok"
        and body["db"] == "ok"
        and body["redis"] == "disabled"
        and body["version"]
        and body["control_log"] == "ok"
    )


async def test_control_log_follower_says_behind_once_it_cannot_read_for_five_seconds() -> None:
    """A node whose database stopped answering cannot apply revocations within the bound:
    /healthz's `control_log` (and the age gauge) must say so, and clear on the next read."""
    now = [1000.0]
    # Nothing listens on port 1: every read of this database fails, as during an outage.
    down = Database("postgresql+asyncpg://postgres@127.0.0.1:1/test")
    auth = AuthService(down, Settings(), FanoutRelay(), Metrics())
    follower = ControlFollower(down, auth, clock=lambda: now[0])
    try:
        assert follower.state() == "ok"
        for _ in range(6):
            now[0] += 1.0
            await follower.poll()
        assert follower.state() == "behind" and follower.age() == 6.0
    finally:
        await down.engine.dispose()


def test_health_is_503_when_redis_is_unreachable(tmp_path: Path) -> None:
    # Nothing listens on port 1: the node serves, but says it cannot fan out across nodes.
    server = ServerProcess(tmp_path, args=["--redis", "redis://127.0.0.1:1/0"])
    server.start(require_healthy=False)
    try:
        response = httpx.get(f"{server.url}/healthz", timeout=10)
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded" and body["db"] == "ok" and body["redis"] == "down"
    finally:
        server.stop()


async def test_metrics_count_what_happened(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    client = await connect(server.url, alice.token or "")
    await alice.send(group_id, "counted")
    await client.wait_for("message:new")
    await alice.messages(group_id, after_seq=0)
    await client.call("nonsense", {})
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{server.url}/metrics")).text
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert values["chat_connected_sockets"] >= 1
    assert values["chat_messages_stored_total"] >= 1
    assert values['chat_emits_total{event="message:new"}'] >= 1
    assert values["chat_catchup_requests_total"] >= 1
    assert values['chat_rejected_events_total{reason="unknown_event"}'] >= 1
    await client.close()


async def test_admin_namespace_needs_the_key_and_mirrors_events(server: ServerProcess) -> None:
    key_file = server.data_dir / "admin.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    for auth in (None, {"key": "wrong"}, {"token": "x"}):
        refused = await connect_error(server.url, auth, namespace="/admin")
        assert refused["code"] == "unauthorized"
    alice = await Api.new_user(server.url)
    group_id = await group_of(alice)
    # A user's token is not an admin key.
    assert (await connect_error(server.url, {"key": alice.token}, namespace="/admin"))[
        "code"
    ] == "unauthorized"
    monitor = socketio.AsyncClient(reconnection=False)
    seen: list[dict] = []
    mirrored_out = asyncio.Event()

    def on_record(record: dict) -> None:
        seen.append(record)
        if record["direction"] == "out" and record["event"] == "message:new":
            mirrored_out.set()

    monitor.on("event", on_record, namespace="/admin")
    await monitor.connect(
        server.url, auth={"key": key}, namespaces=["/admin"], transports=["websocket"]
    )
    client = await connect(server.url, alice.token or "")
    cmid = str(uuid.uuid4())
    await client.call(
        "message:send", {"group_id": group_id, "client_msg_id": cmid, "body": "watched"}
    )
    await client.wait_for("message:new")
    async with asyncio.timeout(10):
        await mirrored_out.wait()
    inbound = [r for r in seen if r["direction"] == "in" and r["event"] == "message:send"]
    assert (
        inbound and inbound[0]["data"]["client_msg_id"] == cmid and inbound[0]["ack"]["ok"] is True
    )
    assert all(alice.token not in str(r) for r in seen)
    await client.close()
    await monitor.disconnect()


def test_serve_help_lists_every_limit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chat_server", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for field in Settings.model_fields:
        assert "--" + field.replace("_", "-") in result.stdout, field
        assert "CHAT_" + field.upper() in result.stdout.replace("\n", "").replace(" ", ""), field


def test_a_setting_argon2_cannot_use_is_refused_before_starting(tmp_path: Path) -> None:
    """argon2 needs 8 KiB per lane: a smaller memory cost is a clear settings error, not a
    traceback from the first hash at start-up."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "chat_server",
            "serve",
            "--argon2-memory-kib",
            "8",
            "--data-dir",
            str(tmp_path),
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "argon2_memory_kib" in result.stderr and "Traceback" not in result.stderr


def test_user_add_creates_a_user_who_can_log_in(tmp_path: Path) -> None:
    env = {**TEST_ENV, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "chat_server",
            "user",
            "add",
            "dora",
            "--password-stdin",
            "--data-dir",
            str(tmp_path),
        ],
        input="dora-password\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "chat_server",
            "user",
            "add",
            "dora",
            "--password-stdin",
            "--data-dir",
            str(tmp_path),
        ],
        input="dora-password\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert again.returncode == 1 and "taken" in again.stderr
    with ServerProcess(tmp_path) as server:
        response = httpx.post(
            f"{server.url}/api/auth/login", json={"username": "dora", "password": "dora-password"}
        )
        assert response.status_code == 200


def test_embedded_demo_server() -> None:
    embedded = EmbeddedServer(demo=True, argon2_memory_kib=1024, argon2_time_cost=1)
    embedded.start()
    try:
        login = httpx.post(
            f"{embedded.url}/api/auth/login",
            json={"username": demo_users[0], "password": DEMO_PASSWORD},
        )
        assert login.status_code == 200
        groups = httpx.get(
            f"{embedded.url}/api/groups",
            headers={"Authorization": f"Bearer {login.json()['token']}"},
        )
        names = [g["name"] for g in groups.json()["groups"]]
        assert names == ["General", "Design", "Random"]
        assert all(g["last_message"] is not None for g in groups.json()["groups"])
    finally:
        embedded.stop()
    assert set(demo_users) == {"alice", "bob", "carol"}


def test_user_add_refuses_a_common_password_in_plain_words(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "chat_server", "user", "add", "erin", "--password-stdin"]
    result = subprocess.run(
        [*command, "--data-dir", str(tmp_path)],
        input="password\n",
        capture_output=True,
        text=True,
        env={**TEST_ENV, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1, result.stderr
    assert "This password is too easy to guess." in result.stderr
