"""A protocol v2 `event` stream for one group, as a busy group's socket would carry it.

Every 20 events: 12 posts (every 8th a reply), 2 edits, 1 deletion, 3 reactions (added, or
removed when the user already reacted) and 2 member events (someone leaves, then comes
back). Edits, deletions and reactions aim at the last `RECENT` live messages, which a
pinned chat has on screen. Seqs run 1, 2, 3… in one log, as the server numbers them, so
the client applies each event live (none waits for a catch-up). Deterministic (seeded).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

# The positions in each block of 20 events.
PATTERN = (
    ["message.posted"] * 12
    + ["message.edited"] * 2
    + ["message.deleted"]
    + ["reaction"] * 3
    + ["member.left", "member.added"]
)
RECENT = 40
REPLY_EVERY = 8
EXCERPT_CHARS = 100
EMOJI = ("👍", "❤️", "😂", "🎉", "👀")
SEED = 2000


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _user(uid: int) -> dict[str, Any]:
    return {"id": uid, "username": f"user{uid}", "display_name": f"User {uid}"}


def event_mix(
    group_id: int, total: int, start: datetime, sender_ids: list[int]
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """`total` `event` payloads for `group_id` (seq 1…total) and how many of each kind."""
    rng = random.Random(SEED)
    live: list[dict[str, Any]] = []  # message data of the posted, not deleted, messages
    reacted: set[tuple[int, str, int]] = set()  # (message id, emoji, user id)
    away: int | None = None  # the member who left and comes back next
    events: list[dict[str, Any]] = []
    kinds: Counter[str] = Counter()
    next_id = 1
    for i in range(total):
        seq = i + 1
        at = start + timedelta(milliseconds=i)
        slot = PATTERN[i % len(PATTERN)]
        actor = sender_ids[(i // 3) % len(sender_ids)]
        if slot in ("message.edited", "message.deleted", "reaction") and not live:
            slot = "message.posted"
        data: dict[str, Any]
        client_event_id: str | None = f"00000000-0000-4000-9000-{seq:012d}"
        if slot == "message.posted":
            data = {
                "id": next_id,
                "group_id": group_id,
                "seq": seq,
                "sender": _user(actor),
                "client_msg_id": f"00000000-0000-4000-8000-{next_id:012d}",
                "body": f"Message {next_id}: the quick brown fox jumps over the lazy dog, "
                + "and keeps going " * (next_id % 4),
                "created_at": _time(at),
                "edited_at": None,
                "deleted": False,
                "reply_to": None,
                "reactions": [],
            }
            if live and next_id % REPLY_EVERY == 0:
                original = rng.choice(live[-RECENT:])
                data["reply_to"] = {
                    "message_id": original["id"],
                    "seq": original["seq"],
                    "sender": original["sender"],
                    "excerpt": original["body"][:EXCERPT_CHARS],
                }
            client_event_id = data["client_msg_id"]
            live.append(data)
            next_id += 1
        elif slot in ("message.edited", "message.deleted"):
            target = rng.choice(live[-RECENT:])
            actor = target["sender"]["id"]  # only the author edits or deletes
            if slot == "message.edited":
                target["body"] = f"{target['body']} (edited at #{seq})"
                data = {"message_id": target["id"], "body": target["body"], "edited_at": _time(at)}
            else:
                live.remove(target)
                data = {"message_id": target["id"]}
        elif slot == "reaction":
            target = rng.choice(live[-RECENT:])
            emoji = rng.choice(EMOJI)
            key = (target["id"], emoji, actor)
            slot = "reaction.removed" if key in reacted else "reaction.added"
            reacted.symmetric_difference_update({key})
            data = {"message_id": target["id"], "emoji": emoji}
        else:
            client_event_id = None
            if slot == "member.left":
                away = rng.choice(sender_ids)
                actor = away
            else:  # the one who left is added back by someone else
                assert away is not None  # a block's member.left comes first
                actor = sender_ids[0] if away != sender_ids[0] else sender_ids[1]
            data = {"user": _user(away)}
        kinds[slot] += 1
        events.append(
            {
                "group_id": group_id,
                "seq": seq,
                "kind": slot,
                "actor": _user(actor),
                "at": _time(at),
                "client_event_id": client_event_id,
                "data": data,
            }
        )
    return events, kinds
