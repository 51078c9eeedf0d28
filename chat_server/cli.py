"""Command line of `chat-server`: serve (the default), demo, user add, monitor, probe."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chat_server import __version__
from chat_server.adminkey import read_admin_key
from chat_server.config import Settings, add_settings_arguments, default_data_dir, load_settings
from chat_server.logs import setup_logging

COMMANDS = ("serve", "demo", "user", "monitor", "probe")
DEFAULT_URL = "http://127.0.0.1:8000"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chat-server",
        description="The chat server: REST + Socket.IO in one process. Without a command it serves.",
    )
    parser.add_argument("--version", action="version", version=f"chat-server {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="serve REST and Socket.IO (default)",
        description="Serve REST and Socket.IO. Every setting is a flag, then a CHAT_* variable, then the default.",
    )
    add_settings_arguments(serve)
    demo = sub.add_parser("demo", help="serve with the demo users (alice, bob, carol) and groups")
    add_settings_arguments(demo)

    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="create a user (asks for the password)")
    add.add_argument("name", help="username: 3-32 of a-z 0-9 _ . -")
    add.add_argument(
        "--display-name-of-user",
        dest="user_display_name",
        default=None,
        help="display name (default: the username)",
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add_settings_arguments(
        add, ["data_dir", "database", "argon2_time_cost", "argon2_memory_kib", "log_level"]
    )

    monitor = sub.add_parser("monitor", help="show every socket event of a running server live")
    monitor.add_argument("--url", default=DEFAULT_URL, help=f"server URL [default {DEFAULT_URL}]")
    monitor.add_argument(
        "--admin-key",
        default=None,
        help="admin key [env CHAT_ADMIN_KEY; default: read DATA_DIR/admin.key]",
    )
    monitor.add_argument(
        "--data-dir", type=Path, default=None, help="the server's data dir, to read its admin key"
    )

    probe = sub.add_parser(
        "probe", help="check a running server end to end; non-zero exit on failure"
    )
    probe.add_argument("--url", default=DEFAULT_URL, help=f"server URL [default {DEFAULT_URL}]")
    probe.add_argument(
        "--user",
        action="append",
        dest="users",
        metavar="NAME",
        help="log in as this user (give two; default: register two fresh users)",
    )
    probe.add_argument("--password", default=None, help="password of the --user accounts")
    probe.add_argument("--timeout", type=float, default=10.0, help="seconds per step [default 10]")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `chat-server`."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (
        args_list[0] not in COMMANDS and args_list[0] not in ("-h", "--help", "--version")
    ):
        args_list.insert(0, "serve")
    args = build_parser().parse_args(args_list)
    handler: dict[str, Callable[[argparse.Namespace], int]] = {
        "serve": _serve,
        "demo": _demo,
        "user": _user_add,
        "monitor": _monitor,
        "probe": _probe,
    }
    return handler[args.command](args)


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings | None:
    try:
        return load_settings(args, **overrides)
    except ValidationError as exc:
        for err in exc.errors():
            print(
                f"chat-server: invalid setting {'.'.join(map(str, err['loc']))}: {err['msg']}",
                file=sys.stderr,
            )
        return None


def _serve(args: argparse.Namespace, **overrides: Any) -> int:
    settings = _settings(args, **overrides)
    if settings is None:
        return 2
    setup_logging(settings.log_level, settings.log_json)
    from chat_server.runner import serve

    serve(settings)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from chat_server.services.demo import DEMO_PASSWORD, DEMO_USERS

    names = ", ".join(name for name, _ in DEMO_USERS)
    print(f"chat-server demo: users {names}; password for all: {DEMO_PASSWORD}", flush=True)
    return _serve(args, demo=True)


def _user_add(args: argparse.Namespace) -> int:
    from chat_protocol.models import RegisterRequest

    settings = _settings(args)
    if settings is None:
        return 2
    setup_logging(settings.log_level, settings.log_json)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            print("chat-server: the passwords differ", file=sys.stderr)
            return 1
    try:
        request = RegisterRequest(
            username=args.name, password=password, display_name=args.user_display_name
        )
    except ValidationError as exc:
        from chat_server.errors import validation_message

        print(f"chat-server: {validation_message(exc.errors())}", file=sys.stderr)
        return 2
    return asyncio.run(
        _create_user(settings, request.username, request.password, request.display_name)
    )


async def _create_user(
    settings: Settings, username: str, password: str, display_name: str | None
) -> int:
    from chat_server import errors
    from chat_server.metrics import Metrics
    from chat_server.services.auth import AuthService
    from chat_server.services.fanout import NullFanout
    from chat_server.storage.db import Database

    db = Database(settings.database_url)
    try:
        await db.migrate()
        service = AuthService(db, settings, NullFanout(), Metrics())
        user = await service.create_user(username, password, display_name)
    except errors.ApiError as exc:
        print(f"chat-server: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    print(f"created user {user['username']} (id {user['id']})")
    return 0


def _call_supported(func: Callable[..., Any], url: str, **candidates: Any) -> Any:
    """Call an ops client with the keyword arguments its signature accepts."""
    params = inspect.signature(func).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in candidates.items() if accepts_any or k in params}
    return func(url, **kwargs)


def _monitor(args: argparse.Namespace) -> int:
    import os

    try:
        from chat_server.ops.monitor import run_monitor
    except ImportError:
        print(
            "chat-server: the monitor client (chat_server.ops.monitor) is not installed",
            file=sys.stderr,
        )
        return 2
    key = args.admin_key or os.environ.get("CHAT_ADMIN_KEY")
    if not key:
        data_dir = args.data_dir or Path(os.environ.get("CHAT_DATA_DIR") or default_data_dir())
        key = read_admin_key(data_dir / "admin.key")
    if not key:
        print(
            "chat-server: no admin key (give --admin-key, or --data-dir of the server)",
            file=sys.stderr,
        )
        return 2
    try:
        return int(asyncio.run(_call_supported(run_monitor, args.url, admin_key=key)))
    except KeyboardInterrupt:
        return 0


def _probe(args: argparse.Namespace) -> int:
    try:
        from chat_server.ops.probe import run_probe
    except ImportError:
        print(
            "chat-server: the probe client (chat_server.ops.probe) is not installed",
            file=sys.stderr,
        )
        return 2
    options: dict[str, Any] = {"timeout": args.timeout}
    if args.users:
        if len(args.users) != 2:
            print("chat-server: give --user twice (two accounts) or not at all", file=sys.stderr)
            return 2
        options["users"] = (args.users[0], args.users[1])
        options["password"] = args.password
    return int(asyncio.run(_call_supported(run_probe, args.url, **options)))
