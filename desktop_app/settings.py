"""Profiles: where a signed-in identity keeps its server, token, UI state, outbox and cache."""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from desktop_app import APP_NAME, credentials

log = logging.getLogger(__name__)

HOME_ENV = "DESKTOP_APP_HOME"
PROFILE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SETTINGS_FILE = "settings.json"
TOKEN_FILE = "token"
OUTBOX_FILE = "outbox.sqlite3"
CACHE_FILE = "cache.sqlite3"
TOKEN_MODE = 0o600
DIR_MODE = 0o700


def config_root() -> Path:
    """Root of every profile's configuration (`$DESKTOP_APP_HOME/config` when set)."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "config"
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_root() -> Path:
    """Root of every profile's data: outbox and caches (`$DESKTOP_APP_HOME/data` when set)."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "data"
    return Path(platformdirs.user_data_dir(APP_NAME))


def list_profiles() -> list[str]:
    """Names of the profiles that exist on this machine, sorted."""
    root = config_root() / "profiles"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir())


@dataclass
class Profile:
    """One identity on one server; each profile has its own directories, so several can run at once."""

    name: str
    config_dir: Path
    data_dir: Path
    server_url: str | None = None
    username: str | None = None
    # The server instance (its database's id) the profile's cache and outbox belong to:
    # the same URL may later answer as another server (reset, restored, replaced).
    instance_id: str | None = None
    ui: dict[str, Any] = field(default_factory=dict)
    # Where the token is kept (credentials.KEYRING or FILE; None without one), and the
    # token as last written there: saving the layout must not write the keyring each time.
    token_store: str | None = None
    _token: str | None = field(default=None, init=False, repr=False, compare=False)
    _stored_token: str | None = field(default=None, init=False, repr=False, compare=False)
    # A token in the keyring is read when first asked for: loading a profile for its theme
    # or layout must not wait for D-Bus.
    _token_read: bool = field(default=True, init=False, repr=False, compare=False)

    @property
    def token(self) -> str | None:
        """The sign-in token (None when signed out)."""
        if not self._token_read:
            self._token_read = True
            self._token = self._stored_token = self._keyring_token()
            if self._token is None:
                self.token_store = None
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        if not self._token_read:
            # Replaced unread: whatever the keyring holds must be overwritten or removed.
            self._token_read = True
            self._stored_token = ""
        self._token = value

    @classmethod
    def load(cls, name: str = "default") -> Profile:
        """Read the profile `name`, creating its directories if it is new."""
        if not PROFILE_NAME_PATTERN.match(name):
            raise ValueError(f"invalid profile name {name!r}: use letters, digits, '_', '.', '-'")
        config_dir = config_root() / "profiles" / name
        data_dir = data_root() / "profiles" / name
        for d in (config_dir, data_dir):
            d.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        profile = cls(name=name, config_dir=config_dir, data_dir=data_dir)
        profile._read()
        return profile

    @property
    def keyring_account(self) -> str:
        """The token's name in the keyring: the profile's folder, unique per profile and home."""
        return str(self.config_dir.resolve())

    @property
    def outbox_path(self) -> Path:
        """The SQLite file holding messages not yet confirmed by the server."""
        return self.data_dir / OUTBOX_FILE

    @property
    def cache_path(self) -> Path:
        """The SQLite file holding the group list and recent history of the last run."""
        return self.data_dir / CACHE_FILE

    def _read(self) -> None:
        path = self.config_dir / SETTINGS_FILE
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                # A damaged settings file must not lock the user out: start clean, keep the token.
                log.warning("ignoring unreadable settings %s: %s", path, exc)
                raw = {}
            self.server_url = raw.get("server_url")
            self.username = raw.get("username")
            instance = raw.get("instance_id")
            self.instance_id = instance if isinstance(instance, str) and instance else None
            ui = raw.get("ui")
            self.ui = ui if isinstance(ui, dict) else {}
            store = raw.get("token_store")
            self.token_store = store if store in (credentials.KEYRING, credentials.FILE) else None
        token_path = self.config_dir / TOKEN_FILE
        if token_path.exists():
            self.token_store = credentials.FILE
            self._token = self._stored_token = (
                token_path.read_text(encoding="utf-8").strip() or None
            )
        elif self.token_store == credentials.KEYRING:
            self._token_read = False  # see `token`
        else:
            self.token_store = None  # no keyring import for a profile that never used it
        if self._token_read and self._token is None:
            self.token_store = None

    def _keyring_token(self) -> str | None:
        try:
            return credentials.load(self.keyring_account)
        except credentials.KeyringUnavailable as exc:
            # The keyring holds it but does not answer: signing in again is the way on.
            log.warning("the saved sign-in is in the keyring, which failed: %s", exc)
            return None

    def save(self) -> None:
        """Write settings and token atomically: the token into the system keyring when there
        is one, else into a file readable by its owner only."""
        if self._token_read and self._token != self._stored_token:
            self._save_token()
        data = {
            "server_url": self.server_url,
            "username": self.username,
            "instance_id": self.instance_id,
            "ui": self.ui,
            "token_store": self.token_store,
        }
        _write_atomic(self.config_dir / SETTINGS_FILE, json.dumps(data, indent=2), None)

    def _save_token(self) -> None:
        token_path = self.config_dir / TOKEN_FILE
        if not self.token:
            # Signing out (or a refused token): gone from both places, whichever was used.
            token_path.unlink(missing_ok=True)
            credentials.remove(self.keyring_account)
            self.token_store = None
        else:
            try:
                credentials.store(self.keyring_account, self.token)
            except credentials.KeyringUnavailable:
                _write_atomic(token_path, self.token, TOKEN_MODE)
                self.token_store = credentials.FILE
            else:
                token_path.unlink(missing_ok=True)
                self.token_store = credentials.KEYRING
        self._stored_token = self.token

    def clear_token(self) -> None:
        """Forget the token (sign out) and save: it leaves the keyring and the file."""
        self.token = None
        self._stored_token = ""  # whatever was stored, remove it from both places
        self.save()

    def token_store_label(self) -> str:
        """Where the token is kept, for Diagnostics."""
        return credentials.describe(self.token_store)


def _write_atomic(path: Path, text: str, mode: int | None) -> None:
    tmp = path.with_name(path.name + ".tmp")
    # Create with the final mode so a secret is never readable by others, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode if mode is not None else 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
