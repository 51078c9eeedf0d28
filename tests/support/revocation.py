"""The revocation promise in tests: within `REVOCATION_BOUND_SECONDS` of a logout, leave or
removal answering, no node honours what it ended (docs/operations.md, "Revocation").

`await within_bound(check)` polls an async predicate and fails the test past the bound; it
returns the seconds it took. `on_node(api, url)` is the same user and token on another node.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from tests.support.api import Api

REVOCATION_BOUND_SECONDS = 5.0
CHECK_EVERY_SECONDS = 0.1


async def within_bound(check: Callable[[], Awaitable[bool]]) -> float:
    """Seconds until `check` holds; fails the test past the revocation bound."""
    start = time.monotonic()
    while not await check():
        elapsed = time.monotonic() - start
        assert elapsed < REVOCATION_BOUND_SECONDS, "not applied within the bound"
        await asyncio.sleep(CHECK_EVERY_SECONDS)
    return time.monotonic() - start


def on_node(api: Api, url: str) -> Api:
    """The same user and token, talking to another node."""
    return Api(url, api.token, api.user)
