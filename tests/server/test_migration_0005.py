"""Migration 0005 indexes the messages a database already holds, on both backends: a
database made before search existed finds its old history once the server has migrated it."""

from __future__ import annotations

from tests.server.test_migration_0004 import HISTORY, login, old_server
from tests.support.server import ServerProcess

__all__ = ["old_server"]  # the fixture: a server started on a revision-0003 database


async def test_old_messages_are_found_after_the_upgrade(
    old_server: tuple[ServerProcess, list[str]],
) -> None:
    server, names = old_server
    alice = await login(server.url, names[0])
    for group_id, bodies in HISTORY.items():
        for body in bodies:
            word = body.split()[-1]
            response = await alice.request(
                "GET", "/api/search", params={"q": word, "group_id": group_id}
            )
            assert response.status_code == 200, response.text
            found = [h["message"]["body"] for h in response.json()["results"]]
            assert body in found, (word, found)
    everywhere = await alice.request("GET", "/api/search", params={"q": "h"})
    assert sorted(h["message"]["body"] for h in everywhere.json()["results"]) == [
        "hello",
        "how are you",
    ]
