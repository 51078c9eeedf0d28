"""The one `Range: bytes=…` form worth serving (a single range), as (start, stop)."""

from __future__ import annotations

import re

_SINGLE = re.compile(r"bytes=(\d*)-(\d*)")


class Unsatisfiable(Exception):
    """A well-formed range that lies outside the file (416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, stop) of the bytes asked for, stop exclusive; None to send the whole file
    (no header, several ranges, or a form we do not read, which RFC 9110 lets us ignore)."""
    if not header:
        return None
    match = _SINGLE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise Unsatisfiable
        return max(size - length, 0), size
    start = int(first)
    stop = size if not last else min(int(last) + 1, size)
    if start >= size or stop <= start:
        raise Unsatisfiable
    return start, stop
