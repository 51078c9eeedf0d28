"""First run on a fresh machine: a missing Qt system library gets one sentence, not Qt's abort.

The library is really hidden: in a private mount namespace (`unshare -m`, root) an empty
file is bound over libxcb-cursor.so.0, so the dynamic loader fails on it exactly as on a
Debian install without libxcb-cursor0. Qt's own abort is shown happening in that namespace.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app import platform_check

HIDDEN_SONAME = "libxcb-cursor.so.0"
HIDDEN_PACKAGE = "libxcb-cursor0"
QT_ABORT = "Could not load the Qt platform plugin"
RUN_TIMEOUT = 60


def _library_file(soname: str) -> Path | None:
    """The file the dynamic loader opens for `soname` (None when it is not installed)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return None
    for line in Path("/proc/self/maps").read_text().splitlines():
        if line.endswith(soname) or f"/{soname}." in line:
            return Path(line.split()[-1]).resolve()
    return None


def _can_hide() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def _display_env() -> dict[str, str]:
    """A desktop session's environment: a DISPLAY, no forced platform. Nothing connects to
    it; the check and Qt's plugin loading fail before any connection."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = ":93"
    return env


def _run_with_library_hidden(
    command: list[str], tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    if not _can_hide():
        pytest.skip("hiding a library needs root and unshare -m (a private mount namespace)")
    target = _library_file(HIDDEN_SONAME)
    empty = tmp_path / "empty.so"
    empty.write_bytes(b"")
    hide = f"mount --bind {empty} {target} && " if target is not None else ""
    script = hide + " ".join(f"'{part}'" for part in command)
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def test_the_app_names_the_missing_package_instead_of_qts_abort(tmp_path: Path) -> None:
    env = _display_env()
    env["DESKTOP_APP_HOME"] = str(tmp_path / "home")
    # What a user met before: in this namespace Qt itself cannot load its xcb plugin.
    bare = _run_with_library_hidden(
        [sys.executable, "-c", "from PySide6.QtWidgets import QApplication; QApplication([])"],
        tmp_path,
        env,
    )
    assert bare.returncode != 0 and QT_ABORT in bare.stderr, bare.stderr

    app = Path(sys.executable).with_name("desktop-app")
    result = _run_with_library_hidden([str(app), "--profile", "fresh"], tmp_path, env)

    assert result.returncode == platform_check.EXIT_MISSING, result.stderr
    assert QT_ABORT not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert HIDDEN_SONAME in lines[0]
    assert "apt install" in lines[0] and HIDDEN_PACKAGE in lines[0].split("apt install", 1)[1]


def test_make_demos_check_prints_the_apt_line_and_fails(tmp_path: Path) -> None:
    # Without --install (the Makefile passes it, and as root it would run apt-get).
    result = _run_with_library_hidden(
        [sys.executable, "-m", "desktop_app.platform_check"], tmp_path, _display_env()
    )
    assert result.returncode == platform_check.EXIT_MISSING
    assert f"apt install {HIDDEN_PACKAGE}" in result.stderr or (
        HIDDEN_PACKAGE in result.stderr.split("apt install", 1)[1]
    )


def test_a_library_that_is_not_there_is_named_with_its_package() -> None:
    # The same check with a library no system has: the one call the app makes, no stand-in.
    table = {"xcb": {"libc.so.6": "libc6", "libnot-a-real-library.so.7": "libnot-real7"}}
    outcome = platform_check.check({"DISPLAY": ":0"}, table)
    assert outcome.platform == "xcb"
    assert outcome.missing == {"libnot-a-real-library.so.7": "libnot-real7"}
    assert outcome.sentence().endswith("apt install libnot-real7")  # with or without sudo


def test_nothing_is_checked_without_a_display_or_with_a_headless_platform() -> None:
    assert platform_check.platforms_to_check({})[0] == []
    assert (
        platform_check.platforms_to_check({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"})[0]
        == []
    )
    assert platform_check.platforms_to_check({"DISPLAY": ":0"})[0] == ["xcb"]
    assert platform_check.platforms_to_check({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"})[
        0
    ] == ["wayland", "xcb"]
    quiet = subprocess.run(
        [sys.executable, "-m", "desktop_app.platform_check"],
        env={k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert quiet.returncode == 0 and "not checked" in quiet.stdout
