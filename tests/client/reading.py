"""What the chat view reports in the app: the user opened a group and saw what it holds."""

from __future__ import annotations

from desktop_app.models.bridge import SessionBridge


def read_on_screen(bridge: SessionBridge, group_id: int) -> None:
    """Open the group and see every message it holds (a message is read once seen)."""
    bridge.set_active_group(group_id)
    newest = bridge.session.timeline(group_id).max_seq
    if newest:
        bridge.mark_seen(group_id, newest)
