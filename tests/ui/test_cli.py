"""The command line: --version and --help answer without opening a window."""

from __future__ import annotations

import subprocess
import sys

from desktop_app import __version__


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    done = _run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"desktop-app {__version__}"


def test_help_lists_every_option() -> None:
    done = _run("--help")
    assert done.returncode == 0
    for option in ("--profile", "--server", "--demo", "--theme", "--self-test", "--version"):
        assert option in done.stdout
