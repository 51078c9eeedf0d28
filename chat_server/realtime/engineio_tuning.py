"""A cheaper `AsyncSocket.poll` for engine.io: the per-recipient cost of every broadcast.

Each socket's writer task waits in `poll()` for the next packet. engine.io 4.x does that with
`asyncio.wait_for(queue.get(), timeout)`, which on Python 3.11 builds a task, a future and a
timer for every wake-up, i.e. for every message to every recipient. `asyncio.timeout()`
gives the same behaviour (time out or cancel → QueueEmpty) with one timer and no task.
It also records whether the socket's consumer is idle (waiting here on an empty queue, so
holding no packet it has taken off the queue but not yet sent), which `direct_broadcast`
needs to write a frame past the queue without reordering. Applied once, only to the
engine.io major version it was written against.
"""

from __future__ import annotations

import asyncio
import logging
from importlib.metadata import version
from typing import Any

from engineio import exceptions
from engineio.async_socket import AsyncSocket

log = logging.getLogger(__name__)

SUPPORTED_MAJOR = "4."
IDLE_ATTR = "_chat_writer_idle"
# python-engineio clients refuse a polling payload of more than 16 packets
# (`engineio.payload.Payload.max_decode_packets`) and drop the connection; engine.io's own
# poll returns the whole queue, so a burst to a polling client used to disconnect it.
POLLING_PAYLOAD_MAX_PACKETS = 16
_applied = False


def writer_idle(socket: Any) -> bool:
    """True while a consumer waits in `poll` with nothing taken off the queue."""
    return bool(getattr(socket, IDLE_ATTR, False))


async def _poll(self: Any) -> list[Any]:
    """Wait for packets to send to the client (same contract as engine.io's own poll)."""
    setattr(self, IDLE_ATTR, True)
    try:
        async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
            first = await self.queue.get()
        self.queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
        raise exceptions.QueueEmpty() from None
    finally:
        # From here until the next poll the consumer holds packets it has not written yet.
        setattr(self, IDLE_ATTR, False)
    if first is None:
        return []
    packets = [first]
    # A websocket writer sends each packet as its own frame, so it takes everything queued.
    most = None if self.upgraded else POLLING_PAYLOAD_MAX_PACKETS
    while most is None or len(packets) < most:
        try:
            pkt = self.queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        self.queue.task_done()
        if pkt is None:
            self.queue.put_nowait(None)
            break
        packets.append(pkt)
    return packets


def apply() -> bool:
    """Install the cheaper poll; False (nothing changed) on another engine.io major version."""
    global _applied
    if _applied:
        return True
    if not version("python-engineio").startswith(SUPPORTED_MAJOR):
        return False
    AsyncSocket.poll = _poll
    _applied = True
    return True
