"""Start coroutines from Qt slots safely: strong references kept, every failure logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

# asyncio keeps only weak references to tasks, and qasync 0.28's asyncSlot keeps none,
# so a task nobody holds can be garbage-collected mid-run. Everything spawned lives here.
_tasks: set[asyncio.Task[Any]] = set()

SHUTDOWN_TIMEOUT = 2.0


def spawn(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """Run `coro` as a task held until it finishes; its exception (if any) goes to the log."""
    task = asyncio.get_event_loop().create_task(coro, name=name)
    _tasks.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("task %s failed", task.get_name(), exc_info=exc)


def running() -> list[asyncio.Task[Any]]:
    """The spawned tasks not finished yet (for diagnostics and tests)."""
    return [t for t in _tasks if not t.done()]


def cancel_all() -> None:
    """Ask every spawned task to stop; does not wait (see `shutdown_tasks`)."""
    for task in list(_tasks):
        task.cancel()


async def shutdown_tasks(timeout: float = SHUTDOWN_TIMEOUT) -> None:  # noqa: ASYNC109
    """Cancel every spawned task and wait up to `timeout` seconds for them to finish."""
    current = asyncio.current_task()
    pending = [t for t in _tasks if t is not current and not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        _done, still = await asyncio.wait(pending, timeout=timeout)
        for task in still:
            log.warning("task %s did not stop within %.1f s", task.get_name(), timeout)
