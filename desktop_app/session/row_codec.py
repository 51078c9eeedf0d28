"""A row's protocol v2 state (edit mark, tombstone, quote, reactions, system line) as JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from desktop_app.session.attachments import FileRef
from desktop_app.session.extras import ReplyQuote, SystemLine
from desktop_app.session.timeline import Row


def get_extras(row: Row) -> str | None:
    """The row's v2 state as a JSON text, or None when it has none (most rows)."""
    out: dict[str, Any] = {}
    if row.edited_at is not None:
        out["edited_at"] = row.edited_at.isoformat()
    if row.deleted:
        out["deleted"] = True
    if row.reply_to is not None:
        q = row.reply_to
        out["reply_to"] = [q.message_id, q.seq, q.sender_id, q.sender_name, q.excerpt]
    if row.reactions:
        out["reactions"] = row.reactions
    if row.mentions:
        out["mentions"] = list(row.mentions)
    if row.system is not None:
        sl = row.system
        out["system"] = [sl.kind, sl.actor_id, sl.subject_id, sl.text]
    if row.attachments:
        out["attachments"] = [f.to_json() for f in row.attachments]
    return json.dumps(out, ensure_ascii=False) if out else None


def set_extras(row: Row, data: dict[str, Any]) -> None:
    """Put state written by `get_extras` back on a row."""
    if "edited_at" in data:
        row.edited_at = datetime.fromisoformat(data["edited_at"])
    row.deleted = bool(data.get("deleted", False))
    if "reply_to" in data:
        mid, seq, sender_id, name, excerpt = data["reply_to"]
        row.reply_to = ReplyQuote(int(mid), int(seq), int(sender_id), str(name), str(excerpt))
    if "reactions" in data:
        row.reactions = {str(e): [int(u) for u in ids] for e, ids in data["reactions"].items()}
    if "mentions" in data:
        row.mentions = tuple(int(u) for u in data["mentions"]) or None
    if "system" in data:
        kind, actor, subject, text = data["system"]
        row.system = SystemLine(str(kind), int(actor), subject, str(text))
    if "attachments" in data:
        row.attachments = tuple(FileRef.from_json(f) for f in data["attachments"])
