"""orjson behind the `dumps`/`loads` interface python-socketio and engine.io expect.

python-socketio installs the server's JSON module on its Packet class for the whole process,
so an in-process client (the embedded server's desktop app, tests) uses it too: anything
orjson refuses (integers beyond 64 bits, non-string keys) falls back to the standard library.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(obj: Any, **kwargs: Any) -> str:
    try:
        # socketio passes separators=(',', ':'); orjson's output is already compact.
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, **kwargs)


def loads(data: str | bytes, **_kwargs: Any) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # Let the standard library decide, and raise its usual ValueError if it is bad.
        return json.loads(data)
