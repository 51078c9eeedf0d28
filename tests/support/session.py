"""Fast settings for the desktop client's `Session` in tests, so tests wait on events, never
on long backoffs (used by the Qt suites and the Qt-free proofs alike)."""

from __future__ import annotations

from typing import Any

FAST_SESSION: dict[str, Any] = {
    "reconnect_delay": 0.1,
    "reconnect_delay_max": 0.5,
    "reconnect_jitter": 0.05,
    "ping_interval": 1.0,
    "send_retry_min": 0.1,
    "send_retry_max": 0.5,
}
