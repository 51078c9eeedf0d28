"""Keyboard navigation over the group list as shown: the next group, the next unread one."""

from __future__ import annotations

from collections.abc import Callable


def next_group(ids: list[int], current: int | None, step: int) -> int | None:
    """The group `step` rows away from `current` (the first one if `current` is not shown);
    None at either end."""
    if not ids:
        return None
    if current not in ids:
        return ids[0]
    position = ids.index(current) + step
    return ids[position] if 0 <= position < len(ids) else None


def next_unread(
    ids: list[int], current: int | None, step: int, unread: Callable[[int], int]
) -> int | None:
    """The nearest group in direction `step` with unread messages, or None."""
    position = (ids.index(current) if current in ids else -1) + step
    while 0 <= position < len(ids):
        if unread(ids[position]) > 0:
            return ids[position]
        position += step
    return None
