"""Start-up cost: importing the client core leaves the Socket.IO stack for the first connect."""

from __future__ import annotations

import json
import subprocess
import sys

# python-socketio's package imports every manager (Redis among them) and aiohttp: ~200 ms
# the first window should not wait for. Timings themselves belong in bench/.
DEFERRED = ("socketio", "engineio", "aiohttp", "redis")


def test_importing_the_client_core_does_not_load_the_socket_stack() -> None:
    code = (
        "import json, sys\n"
        "import desktop_app.models.bridge\n"
        f"print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []
