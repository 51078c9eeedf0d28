"""What the UI says about files: sizes in people's units and the sentences of refusals."""

from __future__ import annotations

_UNITS = ("KB", "MB", "GB", "TB")
_STEP = 1024


def human_size(size: int) -> str:
    """1 → "1 byte", 2048 → "2 KB", 5_400_000 → "5.1 MB" (binary steps, as file managers)."""
    if size < _STEP:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size) / _STEP
    unit = 0
    while value >= _STEP and unit < len(_UNITS) - 1:
        value /= _STEP
        unit += 1
    name = _UNITS[unit]
    return f"{value:.0f} {name}" if value >= 10 else f"{value:.1f} {name}"


def too_many(limit: int, left_out: int) -> str:
    files = "file was" if left_out == 1 else "files were"
    return f"A message can carry at most {limit} files; {left_out} {files} not added."


def too_large(name: str, size: int, limit: int) -> str:
    return (
        f"“{name}” is {human_size(size)}; the server takes files of at most "
        f"{human_size(limit)}, so it was not added."
    )


def empty_file(name: str) -> str:
    return f"“{name}” is empty, so it was not added."


def not_a_file(name: str) -> str:
    return f"“{name}” is a folder or cannot be read, so it was not added."
