"""The client's state of a group, and the server's, in one comparable shape (protocol v2)."""

from __future__ import annotations

from typing import Any

from desktop_app.session.session import Session
from tests.client.peer import Peer


def client_state(session: Session, group_id: int) -> dict[str, Any]:
    """Messages (id, seq, body, edit mark, tombstone, reactions, quote), members and name."""
    tl = session.timeline(group_id)
    messages = [
        {
            "id": r.id,
            "seq": r.seq,
            "body": r.body,
            "edited": r.edited_at is not None,
            "deleted": r.deleted,
            "reactions": {e: list(ids) for e, ids in (r.reactions or {}).items()},
            "excerpt": r.reply_to.excerpt if r.reply_to else None,
        }
        for r in tl.confirmed
        if r.system is None
    ]
    state = session.sync.registry.get(group_id)
    members = session.members(group_id)
    return {
        "messages": messages,
        "members": sorted(members.by_id),
        "name": state.name if state else None,
    }


def server_state(peer: Peer, group_id: int) -> dict[str, Any]:
    messages = [
        {
            "id": m["id"],
            "seq": m["seq"],
            "body": m["body"],
            "edited": m.get("edited_at") is not None,
            "deleted": m.get("deleted", False),
            "reactions": {r["emoji"]: sorted(r["user_ids"]) for r in m.get("reactions", [])},
            "excerpt": m["reply_to"]["excerpt"] if m.get("reply_to") else None,
        }
        for m in peer.all_messages(group_id)
    ]
    detail = peer.group(group_id)
    return {
        "messages": messages,
        "members": sorted(m["id"] for m in detail["members"]),
        "name": detail["name"],
    }
