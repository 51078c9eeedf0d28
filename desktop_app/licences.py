"""What ships with the app and under which licence, read from the installed distributions' metadata.

The list is the run-time dependency closure of the `chat-messenger` distribution (extras
followed, test and packaging extras left out), plus the bundled emoji font. Licence texts come
from each distribution's own files (`.dist-info/licenses/…`); a distribution that ships none
(PySide6) gets the text of its SPDX licence from resources/licenses/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from desktop_app.ui.paths import resource_path

ROOT_DISTRIBUTION = "chat-messenger"
# Extras of our own distribution that never ship in the app.
UNSHIPPED_EXTRAS = frozenset({"test", "dev", "package"})
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")
_LICENCE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE)", re.IGNORECASE)
# SPDX ids whose text is kept in resources/licenses/ for distributions that ship no text.
BUNDLED_TEXTS = {"LGPL-3.0": "LGPL-3.0.txt", "GPL-3.0": "GPL-3.0.txt"}


@dataclass(frozen=True)
class Shipped:
    """One thing in the app: its name, version, licence name and the licence's text."""

    name: str
    version: str
    licence: str
    text: str


def _field(meta: Any, key: str) -> str | None:
    """A metadata field, None when absent (some metadata objects raise KeyError instead)."""
    try:
        value = meta[key]
    except KeyError:
        return None
    return str(value) if value else None


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(dist: metadata.Distribution, extras: set[str]) -> list[tuple[str, set[str]]]:
    """(name, extras) of what `dist` needs with `extras` asked for."""
    needed: list[tuple[str, set[str]]] = []
    for line in dist.requires or []:
        spec, _, marker = line.partition(";")
        wanted = _EXTRA_MARKER.search(marker)
        if wanted is not None and wanted.group(1) not in extras:
            continue
        match = _NAME.match(spec)
        if match is None:
            continue
        sub = {e.strip() for e in (match.group(2) or "").split(",") if e.strip()}
        needed.append((match.group(1), sub))
    return needed


def shipped_distributions(root: str = ROOT_DISTRIBUTION) -> list[metadata.Distribution]:
    """The installed distributions the app runs with (ours first, then by name)."""
    try:
        top = metadata.distribution(root)
    except metadata.PackageNotFoundError:
        return []
    extras = {e for e in (top.metadata.get_all("Provides-Extra") or [])} - UNSHIPPED_EXTRAS
    seen: dict[str, metadata.Distribution] = {}
    queue: list[tuple[metadata.Distribution, set[str]]] = [(top, extras)]
    while queue:
        dist, wanted = queue.pop()
        seen[_normal(dist.metadata["Name"])] = dist
        for name, sub in _requirements(dist, wanted):
            if _normal(name) in seen:
                continue
            try:
                queue.append((metadata.distribution(name), sub))
            except metadata.PackageNotFoundError:
                continue  # not for this platform or Python (its marker said so)
    rest = sorted((d for k, d in seen.items() if k != _normal(root)), key=_key)
    return [top, *rest]


def _key(dist: metadata.Distribution) -> str:
    return _normal(dist.metadata["Name"])


def licence_name(dist: metadata.Distribution) -> str:
    """The licence as the distribution states it (SPDX expression, or License, or classifier)."""
    meta = dist.metadata
    expression = _field(meta, "License-Expression")
    if expression:
        return str(expression)
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    stated = (_field(meta, "License") or "").strip()
    if stated and len(stated) < 80 and "\n" not in stated:
        return stated
    return ", ".join(classifiers) or "unknown"


def licence_text(dist: metadata.Distribution) -> str:
    """The distribution's licence files joined; the SPDX text kept in resources/ otherwise."""
    texts = []
    for file in dist.files or []:
        if _LICENCE_FILE.search(file.name) and ".dist-info" in str(file):
            try:
                texts.append(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
    if texts:
        return "\n\n".join(texts)
    for spdx, filename in BUNDLED_TEXTS.items():
        if spdx in licence_name(dist):
            path = resource_path("licenses", filename)
            if path.is_file():
                texts.append(path.read_text(encoding="utf-8"))
    if texts:
        return "\n\n".join(texts)
    stated = _field(dist.metadata, "License") or ""
    return stated or f"{licence_name(dist)} (no licence text is included in the distribution)"


def shipped(extra: list[Shipped] | None = None) -> list[Shipped]:
    """Everything in the app with its licence: the distributions, then `extra` (the font)."""
    items = [
        Shipped(d.metadata["Name"], d.version, licence_name(d), licence_text(d))
        for d in shipped_distributions()
    ]
    return items + list(extra or [])


def font_entry(name: str, licence_file: Path) -> Shipped:
    """A bundled font and the licence file beside it."""
    text = licence_file.read_text(encoding="utf-8") if licence_file.is_file() else ""
    return Shipped(name, "", "OFL-1.1", text or "SIL Open Font License 1.1")
