"""What a mention costs a send (issue 12): `MessageService.send` for plain bodies against
bodies that mention a member, on the server's own services and database (no HTTP, no sockets).

A body without an `@name` keeps the fast store path (the SQLite writer thread, or the one
PostgreSQL statement); one that may mention someone goes the SQLAlchemy path, where the
group's members are looked up in the same transaction. This measures both, one send after
another (each awaited), as wall time and process CPU time per message.

Run: `.venv/bin/python bench/mentions_send.py [--messages N] [--database URL] [--out FILE]`
(default: a fresh SQLite file; `--database postgresql+asyncpg://…/db` for a fresh, empty
PostgreSQL database). Writes JSON (default bench/results/mentions-send.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from chat_server.config import load_settings
from chat_server.metrics import Metrics
from chat_server.services.fanout import Caller, NullFanout
from chat_server.services.groups import GroupService
from chat_server.services.messages import MessageService
from chat_server.storage.db import Database

MESSAGES_DEFAULT = 2000
WARMUP = 50
RESULT = Path(__file__).parent / "results" / "mentions-send.json"
# What is measured: a plain body, an `@` that is no mention (fast path), a real mention.
BODIES = {
    "plain": "See you at the stand-up tomorrow",
    "email_at": "Write to ops@example.com about it",
    "mention": "@bench_bob see you at the stand-up tomorrow",
}
USERS = ("bench_alice", "bench_bob", "bench_carol")


async def _seed(db: Database) -> tuple[Caller, int]:
    now = datetime.now(UTC)
    async with db.write() as conn:
        for n, name in enumerate(USERS, start=1):
            await conn.execute(
                text(
                    "INSERT INTO users (id, username, display_name, password_hash, created_at) "
                    "VALUES (:id, :name, :name, 'x', :now)"
                ),
                {"id": n, "name": name, "now": now},
            )
    caller = Caller(1, USERS[0], USERS[0], "bench")
    group = await GroupService(db, NullFanout()).create(caller, "Bench", list(USERS[1:]))
    return caller, int(group["id"])


async def _run(
    service: MessageService, caller: Caller, group_id: int, body: str, n: int
) -> dict[str, float]:
    for _ in range(WARMUP):
        await service.send(caller, group_id, str(uuid.uuid4()), body)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        _message, created = await service.send(caller, group_id, str(uuid.uuid4()), body)
        assert created
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall_ms_per_message": 1000 * wall / n, "cpu_ms_per_message": 1000 * cpu / n}


async def measure(url: str, n: int) -> dict[str, Any]:
    db = Database(url)
    await db.migrate()
    try:
        caller, group_id = await _seed(db)
        settings = load_settings(send_burst=10 * (n + WARMUP) * len(BODIES))
        service = MessageService(db, settings, NullFanout(), Metrics())
        results = {}
        for name, body in BODIES.items():
            results[name] = await _run(service, caller, group_id, body, n)
        return results
    finally:
        if db.send_writer is not None:
            await asyncio.to_thread(db.send_writer.close)
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=MESSAGES_DEFAULT)
    parser.add_argument("--database", default="")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        results = asyncio.run(measure(url, args.messages))
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_average": os.getloadavg()[0],
        "backend": "postgresql" if args.database.startswith("postgresql") else "sqlite",
        "messages_per_body": args.messages,
        "bodies": BODIES,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
