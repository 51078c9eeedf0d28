"""The token lives in the system keyring when there is one, in the 0600 file otherwise;
signing out removes it from both. Backends are real ones that work headless: keyrings.alt's
file keyring chosen through PYTHON_KEYRING_BACKEND (as a user would choose one), keyring's
"fail" backend (no keyring at all), and Secret Service over a D-Bus socket that never answers.
"""

from __future__ import annotations

import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_app import credentials
from desktop_app.models.bridge import SessionBridge
from desktop_app.settings import TOKEN_FILE, Profile
from desktop_app.ui.dialogs.diagnostics import DiagnosticsWindow
from tests.support.server import ServerProcess

FILE_KEYRING = "keyrings.alt.file.PlaintextKeyring"
NO_KEYRING = "keyring.backends.fail.Keyring"
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
HANG_BOUND_SECONDS = 0.5


def use_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str | None) -> None:
    """What the user's environment says; the app picks its keyring from it on first use."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # keyrings.alt's file
    if name is None:
        monkeypatch.delenv(credentials.BACKEND_ENV, raising=False)
    else:
        monkeypatch.setenv(credentials.BACKEND_ENV, name)
    credentials.forget_backend()


@pytest.fixture(autouse=True)
def fresh_backend() -> Iterator[None]:
    credentials.forget_backend()
    yield
    credentials.forget_backend()


def in_keyring(profile: Profile) -> str | None:
    value = credentials.backend().get_password(credentials.SERVICE, profile.keyring_account)
    return value if isinstance(value, str) else None


def test_the_token_goes_to_the_keyring_and_comes_back(
    app_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_backend(monkeypatch, tmp_path, FILE_KEYRING)
    profile = Profile.load("keyed")
    profile.server_url, profile.username, profile.token = "http://x", "alice", "secret-1"
    profile.save()

    assert in_keyring(profile) == "secret-1"
    assert not (profile.config_dir / TOKEN_FILE).exists()
    assert "secret-1" not in (profile.config_dir / "settings.json").read_text()
    again = Profile.load("keyed")
    assert (again.token, again.token_store) == ("secret-1", credentials.KEYRING)
    assert "system keyring" in again.token_store_label()

    again.clear_token()  # what signing out does
    assert in_keyring(profile) is None
    assert Profile.load("keyed").token is None


def test_without_a_keyring_the_token_is_in_the_0600_file(
    app_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_backend(monkeypatch, tmp_path, NO_KEYRING)
    profile = Profile.load("plain")
    profile.token = "secret-2"
    started = time.monotonic()
    profile.save()
    assert time.monotonic() - started < credentials.KEYRING_TIMEOUT_SECONDS

    token_file = profile.config_dir / TOKEN_FILE
    assert token_file.read_text() == "secret-2"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    again = Profile.load("plain")
    assert (again.token, again.token_store) == ("secret-2", credentials.FILE)
    assert "file" in again.token_store_label()


def test_this_machines_default_keyring_choice_falls_back_to_the_file(
    app_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No backend named, no session bus: keyring offers only "fail" or a plaintext file
    # (keyrings.alt, priority 0.5), neither of which is a system keyring.
    use_backend(monkeypatch, tmp_path, None)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    profile = Profile.load("default-choice")
    profile.token = "secret-3"
    profile.save()
    assert (profile.config_dir / TOKEN_FILE).read_text() == "secret-3"
    assert profile.token_store == credentials.FILE


def test_a_secret_service_that_never_answers_costs_a_bounded_wait(
    app_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A D-Bus "session bus" that accepts the connection and then says nothing, as a hung
    # daemon or a prompt nobody answers would.
    path = tmp_path / "bus"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(8)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={path}")
    monkeypatch.setattr(credentials, "KEYRING_TIMEOUT_SECONDS", HANG_BOUND_SECONDS)
    use_backend(monkeypatch, tmp_path, SECRET_SERVICE)
    profile = Profile.load("hung")
    profile.token = "secret-4"

    started = time.monotonic()
    profile.save()
    took = time.monotonic() - started

    assert took < 4 * HANG_BOUND_SECONDS
    assert (profile.config_dir / TOKEN_FILE).read_text() == "secret-4"
    assert "did not answer" in profile.token_store_label()
    # Once it failed, the keyring is not waited for again in this process.
    started = time.monotonic()
    Profile.load("hung").clear_token()
    assert time.monotonic() - started < HANG_BOUND_SECONDS
    listener.close()


def test_signing_out_removes_the_token_from_the_keyring_and_the_file(
    app_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: ServerProcess,
    register: Callable[..., tuple[dict[str, Any], str]],
    make_bridge: Callable[..., SessionBridge],
    arun: Callable[..., Any],
) -> None:
    # A token file left by an older version, and the keyring holding the current token.
    use_backend(monkeypatch, tmp_path, FILE_KEYRING)
    alice = register(server.url)
    bridge = make_bridge(server.url, alice, profile="both")
    profile = bridge.profile
    assert in_keyring(profile) == alice[1]
    diagnostics = DiagnosticsWindow(bridge)
    assert "system keyring" in diagnostics.token_store_label.text()
    diagnostics.close()
    old_file = profile.config_dir / TOKEN_FILE
    old_file.write_text("token-of-an-older-version")

    arun(bridge.sign_out())

    assert in_keyring(profile) is None
    assert not old_file.exists()
    assert Profile.load("both").token is None


def test_a_keyring_token_is_read_only_when_asked_for_and_replaced_even_unread(
    app_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_backend(monkeypatch, tmp_path, FILE_KEYRING)
    profile = Profile.load("lazy")
    profile.server_url, profile.token = "http://a", "token-for-a"
    profile.save()

    # Loading for the theme or layout and saving it again leaves the token alone.
    again = Profile.load("lazy")
    again.ui["theme"] = "dark"
    again.save()
    assert in_keyring(profile) == "token-for-a"

    # Another server: the old token goes, though it was never read.
    moved = Profile.load("lazy")
    moved.server_url, moved.token = "http://b", None
    moved.save()
    assert in_keyring(profile) is None
    assert Profile.load("lazy").token is None
