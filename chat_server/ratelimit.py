"""In-process rate limiters: a token bucket for sends, sliding windows for login failures and typing."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

# Idle entries are dropped once a table holds this many keys, so memory stays bounded.
PRUNE_THRESHOLD = 10_000


class TokenBucket:
    """Per-key buckets of `burst` tokens refilling at `burst / window` per second."""

    def __init__(
        self, burst: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = float(burst)
        self.rate = burst / window_seconds
        self._clock = clock
        self._state: dict[Hashable, tuple[float, float]] = {}

    def take(self, key: Hashable) -> float:
        """Take a token: 0.0 on success, else the seconds until one is available."""
        now = self._clock()
        tokens, last = self._state.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._state[key] = (tokens - 1.0, now)
            self._maybe_prune(now)
            return 0.0
        self._state[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def refund(self, key: Hashable) -> None:
        tokens, last = self._state.get(key, (self.burst, self._clock()))
        self._state[key] = (min(self.burst, tokens + 1.0), last)

    def _maybe_prune(self, now: float) -> None:
        if len(self._state) < PRUNE_THRESHOLD:
            return
        full_after = self.burst / self.rate
        self._state = {k: v for k, v in self._state.items() if now - v[1] < full_after}


class SlidingWindow:
    """At most `limit` events per key in any `window_seconds`."""

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}

    def retry_after(self, key: Hashable) -> float:
        """0.0 if another event is allowed now, else the seconds to wait."""
        events = self._events.get(key)
        if not events:
            return 0.0
        now = self._clock()
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) < self.limit:
            return 0.0
        return self.window - (now - events[0])

    def record(self, key: Hashable) -> None:
        now = self._clock()
        self._events.setdefault(key, deque()).append(now)
        if len(self._events) >= PRUNE_THRESHOLD:
            self._events = {
                k: v for k, v in self._events.items() if v and now - v[-1] < self.window
            }

    def clear(self, key: Hashable) -> None:
        self._events.pop(key, None)


class Throttle:
    """At most one event per key per `interval` seconds; extra ones are simply refused."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[Hashable, float] = {}

    def allow(self, key: Hashable) -> bool:
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            return False
        self._last[key] = now
        if len(self._last) >= PRUNE_THRESHOLD:
            self._last = {k: v for k, v in self._last.items() if now - v < self.interval}
        return True
