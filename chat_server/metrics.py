"""Prometheus metrics of one server instance (own registry, so several apps can share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The counters PROTOCOL.md's operator surface promises."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connected_sockets = Gauge(
            "chat_connected_sockets",
            "Socket.IO clients connected to this node",
            registry=self.registry,
        )
        self.messages_stored = Counter(
            "chat_messages_stored",
            "Messages committed by this node (not counting idempotent retries)",
            registry=self.registry,
        )
        self.emits = Counter(
            "chat_emits",
            "Socket.IO events emitted by this node, by event",
            ["event"],
            registry=self.registry,
        )
        self.catchup_requests = Counter(
            "chat_catchup_requests",
            "Message pages asked for with after_seq",
            registry=self.registry,
        )
        self.rejected_events = Counter(
            "chat_rejected_events",
            "Requests and socket events refused, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.idempotent_replays = Counter(
            "chat_idempotent_replays",
            "Sends answered with an already stored message",
            registry=self.registry,
        )

        self.broadcast_deliveries = Counter(
            "chat_broadcast_deliveries",
            "Room deliveries by path: written directly to an idle websocket, or queued",
            ["path"],
            registry=self.registry,
        )
        self.control_log_age = Gauge(
            "chat_control_log_age_seconds",
            "Seconds since this node last read the whole control log (revocations, removals)",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
