"""Structured logging: JSON lines (or plain text) on stderr, with no secrets in them."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

# Attributes every LogRecord has; anything else came in through `extra=` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


# uvicorn writes the request target, query string included, into its access lines and its
# websocket "[accepted]" lines (on uvicorn.error); a `?token=` there would be a credential in
# the log. Keys stay (they say what was asked), values go.
REDACTED = "*"
QUERY_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact_query(target: str) -> str:
    """`/path?token=abc&EIO=4&xyz` → `/path?token=*&EIO=*&*` (a bare item may be a secret too)."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    items = (
        f"{item.partition('=')[0]}={REDACTED}" if "=" in item else REDACTED
        for item in query.split("&")
    )
    return f"{path}?{'&'.join(items)}"


class RedactQueryStrings(logging.Filter):
    """Takes the query values out of any request target among a record's arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_query(arg) if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


def redact_request_targets() -> None:
    """Install the query-string filter on uvicorn's loggers (once)."""
    for name in QUERY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryStrings) for f in logger.filters):
            logger.addFilter(RedactQueryStrings())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def setup_logging(level: str = "info", as_json: bool = True) -> None:
    """Send all logs to stderr in one format; quieten the chattier libraries."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("engineio.server", "socketio.server", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    redact_request_targets()
