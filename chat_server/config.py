"""Typed server settings: command-line flags first, then CHAT_* environment variables, then defaults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from chat_protocol import limits
from chat_protocol.limits import Limits
from chat_server.security import ARGON2_MIN_MEMORY_KIB

ENV_PREFIX = "CHAT_"
APP_NAME = "chat-server"
DEFAULT_PORT = 8000
DEFAULT_TOKEN_TTL_HOURS = 30 * 24.0
ADMIN_KEY_FILE = "admin.key"
SQLITE_FILE = "chat.db"
# Searches a user may make in a burst (refilling over SEARCH_WINDOW_SECONDS); paging through
# results quickly fits, a script hammering the index does not.
SEARCH_BURST = 30
# Connection hygiene (docs/operations.md "Connection limits"): time to send the request headers,
# time for a Socket.IO connection to authenticate, and how many connections one client address
# may hold in either state at once.
HEADER_TIMEOUT_SECONDS = 10.0
AUTH_TIMEOUT_SECONDS = 10.0
UNAUTHENTICATED_PER_ADDRESS = 64
# A connection counts against its address's cap only once it has waited this long: a burst
# of honest clients (one NAT, a test) completes its headers and CONNECTs in milliseconds.
CAP_GRACE_SECONDS = 1.0
# How often expired uploads and bytes no file refers to are looked for.
FILE_SWEEP_SECONDS = 600.0
# An upload body that sends nothing for this long is dropped.
UPLOAD_IDLE_SECONDS = 60.0


def default_data_dir() -> Path:
    """The per-user data directory the server uses when none is given."""
    return Path(platformdirs.user_data_dir(APP_NAME))


class Settings(BaseModel):
    """Everything an operator can set; each field is a `--flag` and a `CHAT_FLAG` variable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(DEFAULT_PORT, ge=0, le=65535, description="TCP port (0 picks a free one)")
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="directory for the SQLite database and the admin key",
    )
    database: SecretStr | None = Field(
        None,
        description="database URL, e.g. postgresql+asyncpg://user@host/db "
        "(default: SQLite in the data dir)",
    )
    redis: SecretStr | None = Field(
        None, description="Redis URL for multi-node fan-out, e.g. redis://127.0.0.1:6379/0"
    )
    redis_channel: str = Field(
        "chat-server",
        description="Redis pub/sub channel name (also the prefix of the shared rate-limit keys)",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="comma-separated addresses of reverse proxies whose X-Forwarded-For is "
        "trusted for the client address (login limits are per address); '*' trusts any",
    )
    admin_key: SecretStr | None = Field(
        None,
        description="admin key for the /admin namespace (default: read or create data_dir/admin.key)",
    )
    registration_open: bool = Field(True, description="allow POST /api/auth/register")
    token_ttl_hours: float = Field(
        DEFAULT_TOKEN_TTL_HOURS, gt=0, description="lifetime of a login token"
    )
    token_cache_seconds: float = Field(
        60.0,
        ge=0,
        description="how long a node keeps a token it checked; used only while the node "
        "follows the control log, so a revoked token is refused everywhere within 3 s",
    )
    log_level: str = Field("info", description="debug, info, warning or error")
    log_json: bool = Field(True, description="write logs as JSON lines (else plain text)")
    access_log: bool = Field(False, description="log every HTTP request (costs throughput)")
    direct_broadcast: bool = Field(
        True,
        description="write each broadcast frame once, straight to idle plain websockets "
        "(off: every delivery goes through engine.io's per-socket queue)",
    )
    websocket_deflate: bool = Field(
        False,
        description="accept permessage-deflate from websocket clients (browsers offer it): "
        "fewer bytes, but each delivery is compressed per recipient (see docs/benchmarks.md)",
    )
    header_timeout_seconds: float = Field(
        HEADER_TIMEOUT_SECONDS,
        ge=0,
        description="seconds an HTTP request has to send its headers (408 and closed after; 0 = no limit)",
    )
    auth_timeout_seconds: float = Field(
        AUTH_TIMEOUT_SECONDS,
        gt=0,
        description="seconds a Socket.IO connection has to complete an authenticated CONNECT",
    )
    unauthenticated_per_address: int = Field(
        UNAUTHENTICATED_PER_ADDRESS,
        ge=1,
        description="connections one client address may hold while waiting for headers, and "
        "Socket.IO sessions not yet authenticated (each; more are refused)",
    )
    demo: bool = Field(False, description="create the demo users and groups on start")
    api_docs: bool = Field(
        False,
        description="serve /docs and /redoc (their JavaScript comes from a CDN; "
        "/openapi.json is served either way)",
    )
    argon2_time_cost: int = Field(3, ge=1, description="argon2id iterations")
    argon2_memory_kib: int = Field(
        65536, ge=ARGON2_MIN_MEMORY_KIB, description="argon2id memory in KiB"
    )
    # protocol limits (chat_protocol.limits); the defaults are protocol v1's
    body_max: int = Field(limits.BODY_MAX, ge=1, description="longest message body, characters")
    request_body_max_bytes: int = Field(
        limits.REQUEST_BODY_MAX_BYTES, ge=1024, description="largest HTTP request body, bytes"
    )
    socket_payload_max_bytes: int = Field(
        limits.SOCKET_PAYLOAD_MAX_BYTES, ge=1024, description="largest Socket.IO payload, bytes"
    )
    send_burst: int = Field(
        limits.SEND_BURST, ge=1, description="messages a user may send in a burst"
    )
    send_window_seconds: float = Field(
        limits.SEND_WINDOW_SECONDS, gt=0, description="seconds in which a full burst refills"
    )
    login_failures_per_minute: int = Field(
        limits.LOGIN_FAILURES_PER_MINUTE,
        ge=1,
        description="failed logins per minute per username and per address",
    )
    typing_interval_seconds: float = Field(
        limits.TYPING_INTERVAL_SECONDS,
        ge=0,
        description="minimum seconds between typing notices per user and group",
    )
    page_limit_max: int = Field(
        limits.PAGE_LIMIT_MAX, ge=1, description="largest `limit` of a message page"
    )
    page_limit_default: int = Field(
        limits.PAGE_LIMIT_DEFAULT, ge=1, description="`limit` of a message page when none is given"
    )
    edit_window_seconds: float = Field(
        limits.EDIT_WINDOW_SECONDS,
        gt=0,
        description="how long after posting its author may edit a message (protocol v2)",
    )
    user_search_max: int = Field(
        limits.USER_SEARCH_MAX, ge=1, description="most users GET /api/users returns"
    )
    search_burst: int = Field(
        SEARCH_BURST, ge=1, description="searches (GET /api/search) a user may make in a burst"
    )
    # files (issue 12)
    file_store: Literal["dir", "database"] | None = Field(
        None,
        description="where file bytes live: dir (<data dir>/files, one node) or database "
        "(chunks in the database, every node serves every file); default dir with SQLite, "
        "database with PostgreSQL",
    )
    max_upload_bytes: int = Field(
        limits.UPLOAD_MAX_BYTES, ge=1, description="largest file PUT /api/uploads accepts, bytes"
    )
    uploads_pending_max: int = Field(
        limits.UPLOADS_PENDING_MAX,
        ge=1,
        description="uploads one user may hold that are in no message yet",
    )
    upload_pending_seconds: float = Field(
        limits.UPLOAD_PENDING_SECONDS,
        gt=0,
        description="seconds an upload may wait to be sent before it is deleted",
    )
    upload_idle_seconds: float = Field(
        UPLOAD_IDLE_SECONDS,
        gt=0,
        description="seconds an upload may send nothing before it is dropped (408)",
    )
    file_sweep_seconds: float = Field(
        FILE_SWEEP_SECONDS,
        gt=0,
        description="seconds between sweeps for expired uploads and unreferenced bytes",
    )

    @property
    def limits(self) -> Limits:
        """The protocol limits in force, as the shared dataclass."""
        return Limits(
            body_max=self.body_max,
            request_body_max_bytes=self.request_body_max_bytes,
            socket_payload_max_bytes=self.socket_payload_max_bytes,
            send_burst=self.send_burst,
            send_window_seconds=self.send_window_seconds,
            login_failures_per_minute=self.login_failures_per_minute,
            typing_interval_seconds=self.typing_interval_seconds,
            page_limit_max=self.page_limit_max,
        )

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL to connect to (SQLite in the data dir unless one was given)."""
        if self.database is not None:
            return self.database.get_secret_value()
        return f"sqlite+aiosqlite:///{self.data_dir / SQLITE_FILE}"

    @property
    def file_store_kind(self) -> str:
        """`file_store`, or the default for the database in use."""
        if self.file_store is not None:
            return self.file_store
        return "dir" if self.database_url.startswith("sqlite") else "database"

    @property
    def redis_url(self) -> str | None:
        return None if self.redis is None else self.redis.get_secret_value()

    @property
    def admin_key_path(self) -> Path:
        return self.data_dir / ADMIN_KEY_FILE


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def add_settings_arguments(
    parser: argparse.ArgumentParser, fields: list[str] | None = None
) -> None:
    """Add a flag for each settings field (all of them unless `fields` picks some)."""
    for name, info in Settings.model_fields.items():
        if fields is not None and name not in fields:
            continue
        default = info.get_default(call_default_factory=True)
        shown = "(secret)" if isinstance(default, SecretStr) else default
        help_text = f"{info.description} [env {env_name(name)}; default {shown}]"
        if info.annotation is bool:
            parser.add_argument(
                flag_name(name),
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            parser.add_argument(
                flag_name(name), dest=name, default=None, metavar=name.upper(), help=help_text
            )


def load_settings(
    flags: Mapping[str, Any] | argparse.Namespace | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings: explicit overrides and flags win over CHAT_* variables, which win over defaults."""
    if isinstance(flags, argparse.Namespace):
        flags = vars(flags)
    flags = dict(flags or {})
    flags.update(overrides)
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name in Settings.model_fields:
        if flags.get(name) is not None:
            values[name] = flags[name]
        elif env_name(name) in env and env[env_name(name)] != "":
            values[name] = env[env_name(name)]
    return Settings.model_validate(values)
