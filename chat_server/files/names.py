"""A file name a client sent, made safe to show: only ever a label, never a path."""

from __future__ import annotations

import re
import unicodedata

from chat_protocol.limits import UPLOAD_NAME_MAX_BYTES

FALLBACK_NAME = "file"
# Characters that are never part of a name: controls (Cc), format characters (Cf: the bidi
# overrides and isolates that make "gpj.exe" read as "exe.jpg", zero-width joiners, BOM),
# line and paragraph separators, surrogates, private use and unassigned code points.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
_PATH_SEPARATORS = re.compile(r"[/\\]")
# Windows drops trailing dots and spaces; a name of only dots is a path in disguise.
_TRAILING = " ."
# An extension kept whole when a long name is shortened (".jpeg", ".tar.gz" → ".gz").
_EXTENSION = re.compile(r"\.[^.\s]{1,16}$")


def sanitise_name(raw: str | None, max_bytes: int = UPLOAD_NAME_MAX_BYTES) -> str:
    """The last path part of `raw` without invisible or control characters, NFC, at most
    `max_bytes` of UTF-8 (the extension kept), never empty."""
    if not raw:
        return FALLBACK_NAME
    parts = [p for p in _PATH_SEPARATORS.split(raw) if p]
    name = parts[-1] if parts else ""
    name = unicodedata.normalize("NFC", name)
    # Any whitespace (tab, newline, no-break space) becomes a space, runs of it one space.
    name = " ".join("".join(" " if ch.isspace() else ch for ch in name).split())
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = name.rstrip(_TRAILING).lstrip(" ")
    if not name.strip("."):
        return FALLBACK_NAME
    return _shorten(name, max_bytes)


def _shorten(name: str, max_bytes: int) -> str:
    if len(name.encode()) <= max_bytes:
        return name
    match = _EXTENSION.search(name)
    extension = match.group(0) if match else ""
    stem = name[: len(name) - len(extension)]
    room = max_bytes - len(extension.encode())
    # Cut on a character boundary: drop the bytes a partial character would leave.
    cut = stem.encode()[:room].decode(errors="ignore").rstrip(_TRAILING)
    return (cut + extension) if cut else FALLBACK_NAME
