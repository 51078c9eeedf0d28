"""orjson behind the `dumps`/`loads` interface python-socketio and engine.io expect."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(obj: Any, **_kwargs: Any) -> str:
    # socketio passes separators=(',', ':'); orjson's output is already compact.
    return orjson.dumps(obj).decode()


def loads(data: str | bytes, **_kwargs: Any) -> Any:
    return orjson.loads(data)


def dumpb(obj: Any) -> bytes:
    return orjson.dumps(obj)
