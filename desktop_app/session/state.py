"""Connection states as the user sees them in the status bar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ConnState(StrEnum):
    """Where the session's connection stands."""

    OFFLINE = "offline"
    CONNECTING = "connecting"
    SYNCING = "syncing"
    LIVE = "live"
    NOT_RESPONDING = "not_responding"
    RECONNECTING = "reconnecting"
    AUTH_FAILED = "auth_failed"


@dataclass(frozen=True)
class ConnectionStatus:
    """A snapshot of the connection: state, reconnect attempt and delay, round trip, last error."""

    state: ConnState
    attempt: int = 0
    retry_in: float | None = None
    rtt_ms: float | None = None
    last_error: str | None = None
    error_at: datetime | None = None  # when last_error was first seen (UTC)

    def describe(self) -> str:
        """The status in words, as a status bar would say it."""
        if self.state is ConnState.RECONNECTING:
            text = f"reconnecting (attempt {self.attempt}"
            if self.retry_in is not None:
                text += f", next try in {self.retry_in:.1f} s"
            text += ")"
        elif self.state is ConnState.LIVE and self.rtt_ms is not None:
            text = f"live ({self.rtt_ms:.0f} ms)"
        else:
            text = self.state.value.replace("_", " ")
        if self.last_error and self.state in (
            ConnState.RECONNECTING,
            ConnState.AUTH_FAILED,
            ConnState.NOT_RESPONDING,
        ):
            text += f": {self.last_error}"
        return text
