"""The type of stored bytes, from the bytes alone (a client's name or Content-Type is never trusted).

`puremagic` (pure Python, signatures of several hundred formats, reads only a file's head
and tail) names most binary formats; what it does not know is `text/plain` when it reads as
UTF-8 text, else `application/octet-stream`. Images are decided by Pillow (images.py), not here.
"""

from __future__ import annotations

import re
from pathlib import Path

import puremagic

OCTET_STREAM = "application/octet-stream"
TEXT_PLAIN = "text/plain"
# How much of a file is read to call it text.
TEXT_SNIFF_BYTES = 8192
# A well-formed type/subtype that fits the column (content_type is String(128)).
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
# Control characters that plain text does not contain (tab, LF, FF, CR are fine).
_BINARY_BYTES = set(range(0, 9)) | {11} | set(range(14, 32)) | {127}


def detect_type(path: Path) -> str:
    """The MIME type of the file at `path`."""
    found = _by_signature(path)
    if found is not None:
        return found
    return TEXT_PLAIN if _looks_like_text(path) else OCTET_STREAM


def _by_signature(path: Path) -> str | None:
    try:
        matches = puremagic.magic_file(str(path))
    except (puremagic.PureError, OSError, ValueError):
        return None
    # Best first; several signatures carry no MIME type at all.
    for match in sorted(matches, key=lambda m: m.confidence, reverse=True):
        mime = (match.mime_type or "").lower()
        if _MIME.fullmatch(mime):
            return mime
    return None


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(TEXT_SNIFF_BYTES)
    if not head or any(byte in _BINARY_BYTES for byte in head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut by the sniff window is fine; anything else is not UTF-8.
        return len(head) == TEXT_SNIFF_BYTES and exc.start >= len(head) - 3
    return True
