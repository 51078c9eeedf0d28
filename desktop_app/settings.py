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

from desktop_app import APP_NAME

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
    token: str | None = None
    # The server instance (its database's id) the profile's cache and outbox belong to:
    # the same URL may later answer as another server (reset, restored, replaced).
    instance_id: str | None = None
    ui: dict[str, Any] = field(default_factory=dict)

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
        token_path = self.config_dir / TOKEN_FILE
        if token_path.exists():
            self.token = token_path.read_text(encoding="utf-8").strip() or None

    def save(self) -> None:
        """Write settings and token atomically; the token file is readable by its owner only."""
        data = {
            "server_url": self.server_url,
            "username": self.username,
            "instance_id": self.instance_id,
            "ui": self.ui,
        }
        _write_atomic(self.config_dir / SETTINGS_FILE, json.dumps(data, indent=2), None)
        token_path = self.config_dir / TOKEN_FILE
        if self.token:
            _write_atomic(token_path, self.token, TOKEN_MODE)
        elif token_path.exists():
            token_path.unlink()

    def clear_token(self) -> None:
        """Forget the token (sign out) and save."""
        self.token = None
        self.save()


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
