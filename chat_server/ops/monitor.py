"""Live view of every socket event on a server, through the admin-key-only `/admin` namespace."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson
import socketio

from chat_protocol.events import ADMIN_NAMESPACE, SOCKETIO_PATH

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2
# The server writes its admin key here (mode 0600) on first start; see chat_server/config.py.
ADMIN_KEY_FILE = "admin.key"
ADMIN_AUTH_FIELD = "key"
CONNECT_TIMEOUT_SECONDS = 10.0
# Long payloads (a 4000-character body) would make one event span a screen.
PAYLOAD_PREVIEW_CHARS = 160
# Fields of the server's event record that get their own column rather than the payload's.
_TIME_FIELDS = ("time", "at", "ts")
_DIRECTION_FIELDS = ("direction", "dir")
_EVENT_FIELDS = ("event", "name")
_PAYLOAD_FIELDS = ("data", "payload", "args")


class MonitorRefused(Exception):
    """The server would not let this monitor in (no key, wrong key, or no admin namespace)."""


def read_admin_key(data_dir: Path) -> str:
    """Read the admin key the server wrote into its data dir, with a clear error if we can't."""
    path = data_dir / ADMIN_KEY_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise MonitorRefused(
            f"no admin key at {path}: start the server with this --data-dir first, "
            "or pass the key with --admin-key"
        ) from exc
    except PermissionError as exc:
        raise MonitorRefused(
            f"cannot read {path}: only the server's operator may (run as that user)"
        ) from exc


_MESSAGE_KEYS = frozenset(("id", "group_id", "seq", "sender", "body"))
_USER_KEYS = frozenset(("id", "username", "display_name"))


def _shorten(value: Any) -> Any:
    """Replace users by their username and messages by `group#seq sender: body`."""
    if isinstance(value, dict):
        if _MESSAGE_KEYS <= value.keys():
            sender = _shorten(value["sender"])
            return (
                f"g{value['group_id']}#{value['seq']} id {value['id']} {sender}: {value['body']!r}"
            )
        if _USER_KEYS <= value.keys():
            return value["username"]
        return {key: _shorten(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shorten(item) for item in value]
    return value


def _compact(value: Any) -> str:
    """One-line JSON of a payload, shortened to a readable preview."""
    value = _shorten(value)
    if isinstance(value, str):
        text = value
    else:
        try:
            text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            text = repr(value)
    if len(text) > PAYLOAD_PREVIEW_CHARS:
        text = text[: PAYLOAD_PREVIEW_CHARS - 1] + "…"
    return text


def _pick(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in record:
            return record.pop(name)
    return None


def _who(record: dict[str, Any]) -> str:
    """The socket and user of an event as `sid/username`, or the room an emit went `to`."""
    sid = record.pop("sid", None)
    user = record.pop("user", None) or record.pop("username", None)
    to = record.pop("to", None)
    record.pop("user_id", None)
    if isinstance(user, dict):
        user = user.get("username") or user.get("id")
    parts = [str(part) for part in (sid, user) if part]
    if to:
        parts.append(f"to {to}")
    return "/".join(parts) or "-"


def _clock(value: Any) -> str:
    if isinstance(value, str) and "T" in value:
        return value.split("T", 1)[1].rstrip("Z")[:12]
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%H:%M:%S.%f")[:12]
    return datetime.now(UTC).strftime("%H:%M:%S.%f")[:12]


def format_event(name: str, data: Any) -> str:
    """Render one admin event as `time direction sid/user event payload`."""
    if not isinstance(data, dict):
        return f"{_clock(None)} {'·':<3} {'-':<28} {name:<16} {_compact(data)}"
    record = dict(data)
    when = _clock(_pick(record, _TIME_FIELDS))
    direction = _pick(record, _DIRECTION_FIELDS) or "·"
    arrow = {"in": "<-", "out": "->", "recv": "<-", "sent": "->", "send": "->"}.get(
        str(direction), str(direction)
    )
    event = _pick(record, _EVENT_FIELDS) or name
    payload = _pick(record, _PAYLOAD_FIELDS)
    who = _who(record)
    if who == "-" and isinstance(payload, dict):
        # connect/disconnect carry the socket and user inside their data
        payload = dict(payload)
        who = _who(payload)
    ack = record.pop("ack", None)
    rest: Any = record or None
    if payload is not None:
        rest = {**record, "data": payload} if record else payload
    shown = "" if rest in (None, {}, []) else _compact(rest)
    if ack is not None:
        shown = f"{shown} => ack {_compact(ack)}".lstrip()
    return f"{when} {arrow:<3} {who:<28} {event!s:<16} {shown}".rstrip()


async def _connect(url: str, key: str, out: TextIO) -> socketio.AsyncClient:
    # No automatic reconnection: a monitor that silently waits for a dead server would look
    # like a quiet one; it ends with a message instead and the operator starts it again.
    sio = socketio.AsyncClient(reconnection=False)
    state: dict[str, Any] = {}

    @sio.on("*", namespace=ADMIN_NAMESPACE)  # type: ignore[untyped-decorator,misc]
    async def _any(event: str, data: Any = None) -> None:
        print(format_event(event, data), file=out, flush=True)

    @sio.on("connect_error", namespace=ADMIN_NAMESPACE)  # type: ignore[untyped-decorator,misc]
    async def _refused(data: Any = None) -> None:
        state["refused"] = data

    try:
        await sio.connect(
            url,
            namespaces=[ADMIN_NAMESPACE],
            auth={ADMIN_AUTH_FIELD: key},
            transports=["websocket"],
            socketio_path=SOCKETIO_PATH,
            wait_timeout=CONNECT_TIMEOUT_SECONDS,
        )
    except socketio.exceptions.ConnectionError as exc:
        await sio.disconnect()
        data = state.get("refused")
        if data is not None:
            detail = data.get("message", data) if isinstance(data, dict) else data
            raise MonitorRefused(f"the server refused the admin key: {detail}") from exc
        raise ConnectionError(str(exc) or "connection failed") from exc
    return sio


async def run_monitor(
    url: str,
    admin_key: str | None,
    *,
    data_dir: Path | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Print every socket event of the server at `url` live until interrupted.

    Returns 2 when refused (no key, wrong key), 1 when the server cannot be reached or the
    connection ends (the server stopped).
    """
    url = url.rstrip("/")
    try:
        if admin_key is None:
            if data_dir is None:
                raise MonitorRefused("no admin key: pass --admin-key or --data-dir")
            admin_key = read_admin_key(data_dir)
        sio = await _connect(url, admin_key, out)
    except MonitorRefused as exc:
        print(f"monitor refused: {exc}", file=out, flush=True)
        return EXIT_REFUSED
    except (ConnectionError, OSError) as exc:
        print(f"monitor cannot connect to {url}: {exc}", file=out, flush=True)
        return EXIT_FAILED
    print(f"monitoring {url} (Ctrl-C to stop)", file=out, flush=True)
    try:
        await sio.wait()
    except asyncio.CancelledError:
        await sio.disconnect()
        raise
    print(f"{_clock(None)} monitor: the connection to the server ended", file=out, flush=True)
    return EXIT_FAILED
