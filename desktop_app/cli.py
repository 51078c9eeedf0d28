"""Command line of the desktop app (being built in issue 4)."""

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of `desktop-app`."""
    print("desktop-app: the app is coming with issue 4", file=sys.stderr)
    return 1
