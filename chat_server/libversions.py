"""Reading installed library versions, for the patches that are gated on them."""

from __future__ import annotations


def version_tuple(text: str) -> tuple[int, ...]:
    """`"0.55.0"` → `(0, 55)`: major and minor, digits only (`"1.0rc1"` → `(1, 0)`)."""
    parts: list[int] = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)
