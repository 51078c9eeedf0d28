"""A reference replica of a group built from REST bootstrap plus v2 log events (tests only).

`state = await bootstrap(api, group_id)` reads the group (name, members, head_seq) and every
message page; `apply(state, event)` applies one event exactly as docs/protocol.md says a
client must; `state.comparable()` is what tests compare with a fresh bootstrap.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.support.api import Api

EXCERPT_CHARS = 100
PAGE = 200


@dataclass
class GroupReplica:
    name: str
    head_seq: int
    members: dict[int, dict[str, Any]]
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)

    def comparable(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "members": sorted(self.members),
            "messages": [self.messages[k] for k in sorted(self.messages)],
        }


async def bootstrap(api: Api, group_id: int) -> GroupReplica:
    detail = (await api.request("GET", f"/api/groups/{group_id}")).json()
    members = {
        m["id"]: {k: m[k] for k in ("id", "username", "display_name")} for m in detail["members"]
    }
    replica = GroupReplica(detail["name"], detail["head_seq"], members)
    after = 0
    while True:
        page = await api.messages(group_id, after_seq=after, limit=PAGE)
        for message in page["messages"]:
            replica.messages[message["id"]] = message
            after = message["seq"]
        if not page["has_more"]:
            return replica


async def events_after(api: Api, group_id: int, after_seq: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        response = await api.request(
            "GET", f"/api/groups/{group_id}/events", params={"after_seq": after_seq}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["events"]
        if page["events"]:
            after_seq = page["events"][-1]["seq"]
        if not page["has_more"]:
            return found


def _replies_to(replica: GroupReplica, message_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in replica.messages.values()
        if m["reply_to"] is not None and m["reply_to"]["message_id"] == message_id
    ]


def apply(replica: GroupReplica, event: dict[str, Any]) -> None:
    """Apply one log event (docs/protocol.md, "Version 2": how a client applies each kind)."""
    kind, data = event["kind"], event["data"]
    replica.head_seq = max(replica.head_seq, event["seq"])
    if kind == "message.posted":
        replica.messages.setdefault(data["id"], copy.deepcopy(data))
        return
    if kind == "member.added":
        replica.members[data["user"]["id"]] = data["user"]
    elif kind in ("member.left", "member.removed"):
        replica.members.pop(data["user"]["id"], None)
    elif kind == "group.renamed":
        replica.name = data["name"]
    message = replica.messages.get(data.get("message_id", 0))
    if message is None:
        return
    if kind == "message.edited":
        message["body"], message["edited_at"] = data["body"], data["edited_at"]
        message["mentions"] = data.get("mentions", [])
        for reply in _replies_to(replica, message["id"]):
            reply["reply_to"]["excerpt"] = data["body"][:EXCERPT_CHARS]
    elif kind == "message.deleted":
        message.update(deleted=True, body="", reactions=[], mentions=[])
        for reply in _replies_to(replica, message["id"]):
            reply["reply_to"]["excerpt"] = ""
    elif kind == "reaction.added":
        entry = next((r for r in message["reactions"] if r["emoji"] == data["emoji"]), None)
        if entry is None:
            message["reactions"].append({"emoji": data["emoji"], "user_ids": []})
            entry = message["reactions"][-1]
        if event["actor"]["id"] not in entry["user_ids"]:
            entry["user_ids"] = sorted([*entry["user_ids"], event["actor"]["id"]])
        message["reactions"].sort(key=lambda r: r["emoji"])
    elif kind == "reaction.removed":
        for entry in message["reactions"]:
            if entry["emoji"] == data["emoji"] and event["actor"]["id"] in entry["user_ids"]:
                entry["user_ids"].remove(event["actor"]["id"])
        message["reactions"] = [r for r in message["reactions"] if r["user_ids"]]
