"""A cheaper `AsyncSocket.poll` for engine.io: the per-recipient cost of every broadcast.

Each socket's writer task waits in `poll()` for the next packet. engine.io 4.x does that with
`asyncio.wait_for(queue.get(), timeout)`, which on Python 3.11 builds a task, a future and a
timer for every wake-up, i.e. for every message to every recipient. `asyncio.timeout()`
gives the same behaviour (time out or cancel → QueueEmpty) with one timer and no task.
Applied once, only to the engine.io major version it was written against.
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
_applied = False


async def _poll(self: Any) -> list[Any]:
    """Wait for packets to send to the client (same contract as engine.io's own poll)."""
    try:
        async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
            first = await self.queue.get()
        self.queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
        raise exceptions.QueueEmpty() from None
    if first is None:
        return []
    packets = [first]
    while True:
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


def apply() -> None:
    global _applied
    if _applied or not version("python-engineio").startswith(SUPPORTED_MAJOR):
        return
    AsyncSocket.poll = _poll
    _applied = True
