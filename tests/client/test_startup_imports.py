"""Start-up cost: importing the client core leaves the Socket.IO stack for the first connect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


# What must wait until the first window has painted (the stack a session needs, and the
# panes built on it).
AFTER_FIRST_PAINT = (
    "pydantic",
    "httpx",
    "socketio",
    "aiohttp",
    "qasync",
    "keyring",
    "sqlite3",
    "chat_protocol.models",
    "desktop_app.session.session",
    "desktop_app.models.bridge",
    "desktop_app.ui.chat_pane",
)
# Runs the real command line; at the first paint of a top-level window of class `kind`
# prints which of AFTER_FIRST_PAINT are loaded, and whether the profile's cache exists.
FIRST_PAINT_PROBE = """
import json, os, sys
from PySide6.QtCore import QEvent, QObject
import desktop_app.app as app_module
from desktop_app import cli

kind, profile, cache = sys.argv[1], sys.argv[2], sys.argv[3]

class Probe(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and type(watched).__name__ == kind:
            loaded = [m for m in json.loads(sys.argv[4]) if m in sys.modules]
            print(json.dumps({"loaded": loaded, "cache": os.path.exists(cache)}), flush=True)
            os._exit(0)
        return False

probe = Probe()
make = app_module.make_qapplication
def spied(argv=None):
    qapp = make(argv)
    qapp.installEventFilter(probe)
    return qapp
app_module.make_qapplication = spied
cli.main(["--profile", profile])
"""


def _first_paint(kind: str, profile: str, cache: Path, home: Path) -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DESKTOP_APP_HOME": str(home)}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            FIRST_PAINT_PROBE,
            kind,
            profile,
            str(cache),
            json.dumps(AFTER_FIRST_PAINT),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, out.stderr[-2000:]
    return dict(json.loads(lines[0]))


def test_a_new_profiles_sign_in_dialog_paints_before_the_session_stack_loads(
    tmp_path: Path,
) -> None:
    seen = _first_paint("SignInDialog", "new", tmp_path / "none", tmp_path / "home")
    assert seen["loaded"] == []


def test_a_signed_in_window_paints_before_the_cache_opens_and_the_socket_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chat_protocol.models import User
    from desktop_app.settings import Profile
    from desktop_app.ui.dialogs.sign_in import SignedIn, remember_user

    home = tmp_path / "home"
    monkeypatch.setenv("DESKTOP_APP_HOME", str(home))
    profile = Profile.load("saved")
    user = User(id=1, username="alice", display_name="Alice")
    # Nothing listens on port 9: the window opens from what the profile remembers.
    remember_user(profile, SignedIn("http://127.0.0.1:9", "a-token", user))
    seen = _first_paint("MainWindow", "saved", profile.cache_path, home)
    assert seen["cache"] is False
    # Its first frame is the panes' outline: nothing of the session stack is loaded yet.
    assert seen["loaded"] == []
