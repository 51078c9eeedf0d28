"""Helpers for tests that look at protocol v2 socket traffic (`event`)."""

from __future__ import annotations

from typing import Any


def message_body(event: str, data: Any) -> str | None:
    """The body of a new message carried by a v2 `event`, or None for anything else."""
    if event == "event" and isinstance(data, dict) and data.get("kind") == "message.posted":
        return str(data["data"]["body"])
    return None
