"""Migration 0004 carries a database made at revision 0003, with its history, into the event
log: same seqs, a `message.posted` per message, `head_seq = last_seq`; on both backends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from chat_server.storage.db import MIGRATIONS_DIR
from tests.support.api import Api
from tests.support.cluster import DATABASE_URL, postgres_database
from tests.support.dbpeek import SQLITE_FILE
from tests.support.server import PASSWORD, ServerProcess, unique_name
from tests.support.sockets import connect

OLD_REVISION = "0003"
# Group 1 has messages with seqs 1..3 and group 2 with 1..2 (as v1 handed them out).
HISTORY = {1: ["hello", "how are you", "fine"], 2: ["other", "group"]}


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def make_old_database(url: str, names: list[str]) -> None:
    """A database at revision 0003 holding users, two groups and their messages."""
    engine = create_async_engine(url)
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD)
    start = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_to, OLD_REVISION)
            for n, name in enumerate(names, start=1):
                await conn.execute(
                    text(
                        "INSERT INTO users (id, username, display_name, password_hash, created_at)"
                        " VALUES (:id, :name, :name, :hash, :at)"
                    ),
                    {"id": n, "name": name, "hash": password_hash, "at": start},
                )
            for group_id, bodies in HISTORY.items():
                await conn.execute(
                    text(
                        "INSERT INTO groups (id, name, created_by, created_at, last_seq)"
                        " VALUES (:id, :name, 1, :at, :last)"
                    ),
                    {"id": group_id, "name": f"G{group_id}", "at": start, "last": len(bodies)},
                )
                for user_id in (1, 2):
                    await conn.execute(
                        text(
                            "INSERT INTO memberships (group_id, user_id, joined_at, last_read_seq)"
                            " VALUES (:g, :u, :at, 0)"
                        ),
                        {"g": group_id, "u": user_id, "at": start},
                    )
                for seq, body in enumerate(bodies, start=1):
                    await conn.execute(
                        text(
                            "INSERT INTO messages (group_id, seq, sender_id, client_msg_id, body,"
                            " created_at) VALUES (:g, :seq, :sender, :cmid, :body, :at)"
                        ),
                        {
                            "g": group_id,
                            "seq": seq,
                            "sender": 1 + seq % 2,
                            "cmid": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{group_id}-{seq}")),
                            "body": body,
                            "at": start + timedelta(minutes=seq),
                        },
                    )
            if engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind
                for table in ("users", "groups", "messages"):
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" (SELECT max(id) FROM {table}))"
                        )
                    )
    finally:
        await engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not DATABASE_URL, reason="set CHAT_TEST_DATABASE_URL"),
            ],
        ),
    ]
)
def old_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ServerProcess, list[str]]]:
    """A server started on a database made at revision 0003 (it migrates at start)."""
    names = [unique_name("old"), unique_name("old")]
    with ExitStack() as stack:
        if request.param == "postgres":
            url = stack.enter_context(postgres_database())
            args = ["--database", url]
        else:
            url, args = f"sqlite+aiosqlite:///{tmp_path / SQLITE_FILE}", []
        asyncio.run(make_old_database(url, names))
        proc = ServerProcess(tmp_path, args=args)
        stack.callback(proc.stop)
        proc.start()
        yield proc, names


async def login(url: str, name: str) -> Api:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    return Api(url, body["token"], body["user"])


async def test_an_old_database_keeps_its_history_as_the_log(
    old_server: tuple[ServerProcess, list[str]],
) -> None:
    server, names = old_server
    alice = await login(server.url, names[0])
    groups = {g["id"]: g for g in (await alice.request("GET", "/api/groups")).json()["groups"]}
    for group_id, bodies in HISTORY.items():
        assert groups[group_id]["last_seq"] == groups[group_id]["head_seq"] == len(bodies)
        assert groups[group_id]["creator"]["username"] == names[0]
        page = await alice.messages(group_id)
        assert [(m["seq"], m["body"]) for m in page["messages"]] == list(enumerate(bodies, start=1))
        # issue 12 (migration 0007): old messages mention nobody, old memberships are unmuted
        assert all(m["mentions"] == [] for m in page["messages"])
        assert groups[group_id]["muted"] is False
        log = (await alice.request("GET", f"/api/groups/{group_id}/events")).json()["events"]
        assert [e["kind"] for e in log] == ["message.posted"] * len(bodies)
        # the posted events are the messages as v2 shows them, with the same seqs (fields
        # added later, like issue 12's `mentions`, take their wire default when absent)
        assert [{"mentions": [], **e["data"]} for e in log] == page["messages"]
        assert [e["client_event_id"] for e in log] == [m["client_msg_id"] for m in page["messages"]]
        assert [e["actor"] for e in log] == [m["sender"] for m in page["messages"]]
        assert [e["at"] for e in log] == [m["created_at"] for m in page["messages"]]
    # a retry of an old send is still idempotent (its client_msg_id is in the log)
    old = (await alice.messages(1))["messages"][0]
    bob = await login(server.url, names[1])
    assert old["sender"]["id"] == bob.user["id"]
    replay = await bob.send(1, "again", old["client_msg_id"])
    assert replay.status_code == 200 and replay.json()["id"] == old["id"]
    # the log goes on from the old head: no seq handed out before is reused
    new = await alice.send(1, "after the upgrade")
    assert new.status_code == 201 and new.json()["seq"] == len(HISTORY[1]) + 1
    edit = await alice.request(
        "POST",
        "/api/groups/1/events",
        json={
            "client_event_id": str(uuid.uuid4()),
            "kind": "message.edited",
            "data": {"message_id": new.json()["id"], "body": "edited"},
        },
    )
    assert edit.status_code == 201 and edit.json()["seq"] == len(HISTORY[1]) + 2
    socket = await connect(server.url, alice.token or "", protocol=2)
    heads = {g["id"]: g for g in socket.events["ready"][0]["groups"]}
    assert heads[1] == {"id": 1, "last_seq": 4, "head_seq": 5}
    await socket.close()
