"""Before Qt starts: are the system libraries its display plugin needs there? (stdlib only)

Qt's xcb plugin links about twenty system libraries that minimal Debian and Ubuntu installs
leave out; when one is missing Qt aborts with a message that names the wrong one. This
module tries to load each library the way the plugin would (dlopen by soname) and names the
Debian packages to install. It imports nothing from Qt, so it runs before PySide6 is loaded.

    python -m desktop_app.platform_check [--install]

exits 0 when nothing is missing (or no check applies), 1 after printing the `apt install`
line; with `--install`, as root where apt-get exists, it installs the packages instead.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

# soname → Debian/Ubuntu package, read from `readelf -d` of PySide6 6.11's
# plugins/platforms/libqxcb.so, lib/libQt6XcbQpa.so.6, libQt6Gui, libQt6Core, libQt6DBus
# and libQt6Widgets (libc, libstdc++, libm, libgcc_s and zlib are on every system).
# Qt's own libraries (and ICU) ship inside the wheel.
GUI_LIBRARIES: dict[str, str] = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11.so.6": "libx11-6",
    "libzstd.so.1": "libzstd1",
}
XCB_LIBRARIES: dict[str, str] = {
    **GUI_LIBRARIES,
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
}
WAYLAND_LIBRARIES: dict[str, str] = {
    **GUI_LIBRARIES,
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
}
PLATFORM_LIBRARIES: dict[str, dict[str, str]] = {
    "xcb": XCB_LIBRARIES,
    "wayland": WAYLAND_LIBRARIES,
}
# Platforms that draw into memory or a framebuffer: nothing of X11 or Wayland is loaded.
HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay")
EXIT_MISSING = 1
APT_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Outcome:
    """What the check found: the platform it checked (None: no check applied) and why."""

    platform: str | None
    missing: dict[str, str]  # soname → package
    reason: str = ""

    @property
    def packages(self) -> list[str]:
        """The packages to install, each once, in a stable order."""
        return sorted(set(self.missing.values()))

    @property
    def apt_line(self) -> str:
        sudo = "" if os.geteuid() == 0 else "sudo "
        return f"{sudo}apt install " + " ".join(self.packages)

    def sentence(self) -> str:
        """One plain sentence for a person: what is missing and the command that fixes it."""
        names = ", ".join(sorted(self.missing))
        return (
            f"desktop-app cannot open a window: Qt's {self.platform} display plugin needs "
            f"system libraries that are not installed ({names}). Install them with: "
            f"{self.apt_line}"
        )


def _shipped_dirs() -> list[Path]:
    """Folders of a PyInstaller bundle where Qt finds libraries by its RPATH, not by the
    system's search path (a library shipped there is not missing)."""
    base = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or base is None:
        return []
    return [Path(base), Path(base) / "PySide6" / "Qt" / "lib"]


def missing_libraries(libraries: Mapping[str, str]) -> dict[str, str]:
    """The entries of `libraries` (soname → package) that the dynamic loader cannot load."""
    shipped = _shipped_dirs()
    missing: dict[str, str] = {}
    for soname, package in libraries.items():
        if any((folder / soname).exists() for folder in shipped):
            continue
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing[soname] = package
    return missing


def platforms_to_check(env: Mapping[str, str]) -> tuple[list[str], str]:
    """The display plugins Qt will try in this environment, and why (for an empty list)."""
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        # "wayland;xcb" is a fallback list; "xcb:option=…" carries plugin options.
        names = [part.split(":", 1)[0].strip() for part in requested.split(";")]
        if any(name in HEADLESS_PLATFORMS for name in names):
            return [], f"QT_QPA_PLATFORM={requested} draws without a display"
        known = [name for name in names if name in PLATFORM_LIBRARIES]
        return known, "" if known else f"no check for QT_QPA_PLATFORM={requested}"
    found: list[str] = []
    if env.get("WAYLAND_DISPLAY"):
        found.append("wayland")
    if env.get("DISPLAY"):
        found.append("xcb")
    return found, "" if found else "no DISPLAY or WAYLAND_DISPLAY: no window can open here"


def check(
    env: Mapping[str, str] | None = None,
    platform_libraries: Mapping[str, Mapping[str, str]] = PLATFORM_LIBRARIES,
) -> Outcome:
    """Check the platforms Qt would try; one with everything it needs is enough."""
    names, reason = platforms_to_check(os.environ if env is None else env)
    if not names:
        return Outcome(None, {}, reason)
    outcomes = [Outcome(name, missing_libraries(platform_libraries[name])) for name in names]
    for outcome in outcomes:
        if not outcome.missing:
            return outcome
    # Qt falls back to the last one it tries (xcb under XWayland): name what that one needs.
    return outcomes[-1]


def preflight() -> None:
    """Called before PySide6 is imported: exit with one sentence instead of Qt's abort."""
    outcome = check()
    if outcome.missing:
        print(outcome.sentence(), file=sys.stderr)
        raise SystemExit(EXIT_MISSING)


def install(packages: Iterable[str]) -> int:
    """apt-get install the packages (root only); returns apt-get's exit code."""
    apt = shutil.which("apt-get")
    assert apt is not None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run = [apt, "install", "-y", "--no-install-recommends", *packages]
    code = subprocess.run(run, env=env, timeout=APT_TIMEOUT_SECONDS, check=False).returncode
    if code != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run([apt, "update"], env=env, timeout=APT_TIMEOUT_SECONDS, check=False)
        code = subprocess.run(run, env=env, timeout=APT_TIMEOUT_SECONDS, check=False).returncode
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m desktop_app.platform_check",
        description="Check the system libraries Qt's display plugin needs.",
    )
    parser.add_argument(
        "--install", action="store_true", help="as root with apt-get: install what is missing"
    )
    args = parser.parse_args(argv)
    outcome = check()
    if outcome.platform is None:
        print(f"Qt system libraries: not checked ({outcome.reason}).")
        return 0
    if not outcome.missing:
        print(f"Qt system libraries for {outcome.platform}: all present.")
        return 0
    can_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
    if args.install and can_install:
        print(f"Installing what Qt's {outcome.platform} plugin needs: {' '.join(outcome.packages)}")
        if install(outcome.packages) == 0 and not check().missing:
            return 0
    print(outcome.sentence(), file=sys.stderr)
    return EXIT_MISSING


if __name__ == "__main__":
    raise SystemExit(main())
