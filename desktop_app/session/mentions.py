"""Mentions on the client (issue 12): which rows mention me, which unread ones a group holds,
and where in a body each mention is, for the timeline to highlight.

The server decides who a message mentions (`Message.mentions`, ids); the spans are found
with the same token rules (chat_protocol.mentions), matched against the usernames of the
ids the message lists, so only real mentions are ever highlighted.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chat_protocol.mentions import resolve
from desktop_app.session.groups import GroupState
from desktop_app.session.timeline import Row, Timeline


@dataclass(frozen=True, slots=True)
class MentionSpan:
    """`body[start:end]` is a mention (`@name`, code point offsets) of `user_id`."""

    start: int
    end: int
    user_id: int
    is_me: bool


def mentions_me(row: Row, my_id: int) -> bool:
    """A message from someone else, not deleted, that mentions the user."""
    return (
        row.mentions is not None
        and my_id in row.mentions
        and row.sender_id != my_id
        and row.system is None
        and not row.deleted
    )


def track_mention(state: GroupState, row: Row, my_id: int) -> bool:
    """Keep the group's unread mentions in step with an edited or deleted row; True if the
    set changed."""
    if row.seq is None:
        return False
    wanted = row.seq > state.last_read_seq and mentions_me(row, my_id)
    if wanted == (row.seq in state.mention_seqs):
        return False
    if wanted:
        state.mention_seqs.add(row.seq)
    else:
        state.mention_seqs.discard(row.seq)
    return True


def mention_seqs(tl: Timeline, floor: int, my_id: int) -> set[int]:
    """The seqs above `floor` (a read marker) of the held rows that mention the user."""
    start = bisect_left(tl.seqs, floor + 1)
    return {
        row.seq
        for row in tl.confirmed[start:]
        if row.seq is not None and row.seq > floor and mentions_me(row, my_id)
    }


def spans(
    body: str, mentioned: Iterable[int], usernames: Mapping[int, str], my_id: int
) -> list[MentionSpan]:
    """Where `body` mentions the users it lists (`usernames`: id → username of whoever is
    known; a mentioned user not known here is simply not highlighted)."""
    by_name = {usernames[i]: i for i in mentioned if i in usernames}
    if not by_name:
        return []
    return [
        MentionSpan(t.start, t.end, by_name[t.name], by_name[t.name] == my_id)
        for t in resolve(body, by_name.get)
    ]
