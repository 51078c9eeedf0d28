"""Where the app's bundled resources live, from a checkout, an install or a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path

# desktop_app/ui/paths.py -> the repository (or bundle) root is three levels up.
_SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent


def resource_root() -> Path:
    """The folder holding `resources/`: `sys._MEIPASS` when frozen, else the source tree."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and frozen_root:
        return Path(frozen_root)
    return _SOURCE_ROOT


def resource_path(*parts: str) -> Path:
    """A path under `resources/` (it may not exist: callers fall back gracefully)."""
    return resource_root().joinpath("resources", *parts)
