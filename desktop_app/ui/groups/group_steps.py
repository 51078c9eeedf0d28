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
    """The nearest group in direction `step` with unread messages, going round past the end
    of the list (as a mail reader's "next unread" does), or None when no other has any."""
    count = len(ids)
    start = ids.index(current) if current in ids else (-1 if step > 0 else count)
    for k in range(1, count + 1):
        candidate = ids[(start + k * step) % count]
        if candidate != current and unread(candidate) > 0:
            return candidate
    return None
