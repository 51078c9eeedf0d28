"""Command line of the desktop app: `desktop-app [--profile NAME] [--server URL] [--demo] …`."""

from __future__ import annotations

import argparse
import logging
import sys

from desktop_app import __version__

THEMES = ("system", "light", "dark")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-app",
        description="The chat messenger's desktop app.",
        epilog="Profiles keep separate settings, tokens and outboxes, so two instances can run "
        "side by side. DESKTOP_APP_HOME moves every profile under one folder.",
    )
    parser.add_argument(
        "--profile",
        default="default",
        metavar="NAME",
        help="settings profile (default: %(default)s)",
    )
    parser.add_argument(
        "--server", metavar="URL", help="server to sign in to, e.g. http://127.0.0.1:8000"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start an embedded server with demo data and open two windows (alice and bob)",
    )
    parser.add_argument("--theme", choices=THEMES, help="colour theme (default: follow the system)")
    parser.add_argument("--self-test", action="store_true", help="check the installation and exit")
    parser.add_argument("--debug", action="store_true", help="log debug messages to stderr")
    parser.add_argument("--version", action="version", version=f"desktop-app {__version__}")
    return parser


def _self_test() -> int:
    try:
        from desktop_app.selftest import run_self_test  # written by the packaging work
    except ImportError as exc:
        print(f"desktop-app: the self-test is not available in this build ({exc})", file=sys.stderr)
        return 2
    return int(run_self_test())


def main(argv: list[str] | None = None) -> int:
    """Entry point of `desktop-app`."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.self_test:
        return _self_test()
    # Before PySide6 loads: a missing system library would make Qt abort with a misleading
    # message ("xcb-cursor0 … is needed" whichever one is missing).
    from desktop_app.platform_check import preflight

    preflight()
    from desktop_app.app import AppOptions, run_app
    from desktop_app.ui.theme import ThemeChoice

    options = AppOptions(
        profile=args.profile,
        server_url=args.server,
        demo=args.demo,
        theme=ThemeChoice(args.theme) if args.theme else None,
    )
    return run_app(options)
