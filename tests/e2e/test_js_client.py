"""Black-box check with the official JavaScript socket.io-client: the server speaks PROTOCOL.md."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import ServerProcess, auth_headers, register, unique_name

JS_DIR = Path(__file__).parent / "js"
SCRIPT = JS_DIR / "client_check.mjs"
CLIENT_PACKAGE = JS_DIR / "node_modules" / "socket.io-client" / "package.json"
NPM_INSTALL_TIMEOUT_SECONDS = 180
SCRIPT_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with socket.io-client@4 installed beside the script (skip if impossible)."""
    node_bin, npm_bin = shutil.which("node"), shutil.which("npm")
    if node_bin is None or npm_bin is None:
        pytest.skip("node and npm are needed for the JavaScript client check (not installed)")
    if not CLIENT_PACKAGE.exists():
        command = [npm_bin, "install", "--no-audit", "--no-fund", "--no-package-lock"]
        try:
            done = subprocess.run(
                [*command, "--loglevel=error"],
                cwd=JS_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_INSTALL_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm install socket.io-client@4 timed out (is the npm registry reachable?)")
        if done.returncode != 0 or not CLIENT_PACKAGE.exists():
            pytest.skip(
                f"npm install socket.io-client@4 failed (registry unreachable?): {done.stderr[-500:]}"
            )
    return node_bin


def _run_script(node: str, *args: str) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [node, str(SCRIPT), *args],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_SECONDS,
        check=False,
    )
    steps = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        steps[record["step"]] = record
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return steps


def test_official_js_client_follows_the_protocol(node: str, server: ServerProcess) -> None:
    alice, alice_token = register(server.url, unique_name("js_alice"))
    bob, bob_token = register(server.url, unique_name("js_bob"))
    created = httpx.post(
        f"{server.url}/api/groups",
        json={"name": "js client check", "members": [bob["username"]]},
        headers=auth_headers(alice_token),
    )
    assert created.status_code == 201, created.text
    group_id = created.json()["id"]
    client_msg_id = str(uuid.uuid4())

    steps = _run_script(node, server.url, alice_token, str(group_id), client_msg_id)

    ready = steps["ready"]
    assert ready["user"]["username"] == alice["username"]
    assert {"id": group_id, "last_seq": 0, "head_seq": 0} in ready["groups"]
    assert ready["server_time"].endswith("Z")
    ack = steps["send"]["ack"]
    assert ack["ok"] is True
    assert ack["message"]["client_msg_id"] == client_msg_id
    assert ack["message"]["group_id"] == group_id
    assert ack["message"]["seq"] == 1
    live = steps["message:new"]["message"]
    assert live["id"] == ack["message"]["id"]
    assert live["sender"]["id"] == alice["id"]
    bad = steps["bad_ids"]["ack"]
    assert bad["ok"] is False
    assert bad["error"]["code"] == "validation_error"
    assert steps["transport"]["name"] == "websocket"  # upgraded from polling
    assert steps["refused"]["data"]["code"] == "unauthorized"

    caught_up = httpx.get(
        f"{server.url}/api/groups/{group_id}/messages",
        params={"after_seq": 0},
        headers=auth_headers(bob_token),
    )
    assert [m["body"] for m in caught_up.json()["messages"]] == ["hello from socket.io-client"]
