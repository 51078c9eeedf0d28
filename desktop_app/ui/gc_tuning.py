"""Keep Python's cyclic garbage collector from stalling the event loop.

A full (generation 2) collection walks every tracked object; after the app's imports
(PySide6, pydantic, httpx, socketio) that is hundreds of thousands of objects, and with
a busy chat one pass took 130 ms here (measured by bench/ui.py with gc callbacks),
long enough to freeze the window. `gc.freeze()` moves what exists at start-up into a
permanent generation the collector no longer walks: module objects never become garbage.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect once, then freeze every surviving object out of future full collections."""
    gc.collect()
    gc.freeze()
