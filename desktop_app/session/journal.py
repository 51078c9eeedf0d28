"""The diagnostics journal: a bounded ring of events told as sentences, with counters."""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

log = logging.getLogger("desktop_app.journal")

JOURNAL_CAPACITY = 2000

# Events that happen once per message are logged at DEBUG so a busy group does not flood
# the log; everything about connection, sync and failures at INFO or above.
_PER_MESSAGE = frozenset(
    {
        "received_live",
        "stored_background",
        "duplicate_suppressed",
        "own_echo_matched",
        "server_confirmed",
        "sent_optimistic",
    }
)
_ERRORS = frozenset({"error", "send_failed"})


@dataclass(frozen=True)
class JournalEntry:
    """One thing that happened, told so a person debugging the app understands it."""

    at: datetime
    kind: str
    group_id: int | None
    text: str


class Journal:
    """Newest-last ring of entries plus a counter per kind; subscribers see each new entry."""

    def __init__(self, capacity: int = JOURNAL_CAPACITY) -> None:
        self._ring: deque[JournalEntry] = deque(maxlen=capacity)
        self._counters: Counter[str] = Counter()
        self._subscribers: list[Callable[[JournalEntry], None]] = []

    def record(self, kind: str, text: str, group_id: int | None = None) -> JournalEntry:
        """Add an entry, count it, log it and tell subscribers."""
        entry = JournalEntry(datetime.now(UTC), kind, group_id, text)
        self._ring.append(entry)
        self._counters[kind] += 1
        level = (
            logging.WARNING
            if kind in _ERRORS
            else logging.DEBUG
            if kind in _PER_MESSAGE
            else logging.INFO
        )
        if log.isEnabledFor(level):
            log.log(level, "[%s] %s", kind, text)
        for callback in list(self._subscribers):
            try:
                callback(entry)
            except Exception:  # a broken view must not break the core
                log.exception("journal subscriber failed")
        return entry

    def count(self, kind: str, n: int = 1) -> None:
        """Count `n` occurrences of `kind` without an entry (for per-message bulk paths)."""
        self._counters[kind] += n

    def entries(self) -> list[JournalEntry]:
        return list(self._ring)

    def counters(self) -> dict[str, int]:
        return dict(self._counters)

    def subscribe(self, callback: Callable[[JournalEntry], None]) -> Callable[[], None]:
        """Call `callback` for every new entry; returns the function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def texts(self, kind: str | None = None) -> list[str]:
        """The sentences in the ring, optionally of one kind only (for tests and reports)."""
        return [e.text for e in self._ring if kind is None or e.kind == kind]
