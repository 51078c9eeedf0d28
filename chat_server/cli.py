"""Command line of the chat server (being built in issue 2)."""

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of `chat-server`."""
    print("chat-server: the server lands with issue 2", file=sys.stderr)
    return 1
