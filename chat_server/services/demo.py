"""The demo data set: alice, bob and carol, three groups and a little history."""

from __future__ import annotations

import logging
import uuid

from chat_server.services.auth import AuthService
from chat_server.services.fanout import Caller
from chat_server.services.groups import GroupService
from chat_server.services.messages import MessageService
from chat_server.storage import users
from chat_server.storage.db import Database

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password"
DEMO_USERS: tuple[tuple[str, str], ...] = (("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol"))
DEMO_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("General", ("alice", "bob", "carol")),
    ("Design", ("alice", "bob")),
    ("Random", ("alice", "bob", "carol")),
)
DEMO_HISTORY: dict[str, tuple[tuple[str, str], ...]] = {
    "General": (
        ("alice", "Morning all! The new build is up on the test server."),
        ("bob", "Nice. I'll give it a spin after stand-up."),
        ("carol", "Same here. Anything in particular to look at?"),
        ("alice", "Reconnects: pull the network cable and see that nothing goes missing."),
    ),
    "Design": (
        ("bob", "I pushed the new icon set, dark and light."),
        ("alice", "The unread badge reads much better now."),
    ),
    "Random": (
        ("carol", "Who's up for lunch at the noodle place?"),
        ("bob", "Count me in."),
    ),
}


async def seed_demo(
    db: Database, auth: AuthService, groups: GroupService, messages: MessageService
) -> bool:
    """Create the demo set unless alice exists already; True if it was created now."""
    async with db.read() as conn:
        if await users.by_username(conn, DEMO_USERS[0][0]) is not None:
            return False
    callers: dict[str, Caller] = {}
    for username, display_name in DEMO_USERS:
        user = await auth.create_user(username, DEMO_PASSWORD, display_name)
        callers[username] = Caller(user["id"], username, display_name, token_hash="")
    for name, members in DEMO_GROUPS:
        owner = callers[members[0]]
        group = await groups.create(owner, name, list(members[1:]))
        for sender, body in DEMO_HISTORY.get(name, ()):
            message, _ = await messages.send(callers[sender], group["id"], str(uuid.uuid4()), body)
            # Whoever wrote a message had read the conversation up to it.
            await groups.mark_read(callers[sender], group["id"], message["seq"])
    log.info("demo data created", extra={"users": [u for u, _ in DEMO_USERS]})
    return True
