"""Search latency on a large database: GET /api/search over 1 million messages in 1,000 groups.

The history is written straight into the server's schema (migrated by the server's own code;
rows inserted in bulk, the search index maintained by its triggers on SQLite, its generated
column on PostgreSQL), then the real server is started on it and one user, a member of
`--member-of` groups, searches through the real HTTP route: common, mid-frequency and rare
words, short prefixes and two-word searches, over all their groups and within one group.

    .venv/bin/python bench/search.py                               # SQLite
    .venv/bin/python bench/search.py --database postgresql+asyncpg://postgres@127.0.0.1/test

With PostgreSQL a fresh database is created next to the one named (and dropped afterwards).
The result goes to bench/results/search-<backend>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from bench_server import BENCH_ENV, free_port
from sqlalchemy.engine import make_url

from chat_server.storage.db import Database

RESULTS = Path(__file__).parent / "results"
SEED = 12
VOCABULARY = 30_000
ZIPF_EXPONENT = 1.0
WORDS_PER_MESSAGE = (3, 16)
USERS = 2_000
MEMBERS_PER_GROUP = 10
CHUNK = 50_000
QUERIES_PER_KIND = 60
WARMUP_QUERIES = 20
STARTUP_TIMEOUT_SECONDS = 120.0
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["é", "ü", "ñ"]
# What the searcher types: a word's rank in the vocabulary (0 = most common) picks its kind.
KINDS = ("common", "medium", "rare", "prefix3", "two_words")


def vocabulary(rng: random.Random) -> list[str]:
    words: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
        if word not in words and len(word) > 1:
            words.add(word)
            ordered.append(word)
    return ordered


def cumulative(n: int, exponent: float) -> list[float]:
    total = 0.0
    out = []
    for rank in range(1, n + 1):
        total += 1.0 / rank**exponent
        out.append(total)
    return out


def message_rows(
    rng: random.Random, words: list[str], count: int, groups: int
) -> Iterator[tuple[int, int, str]]:
    """(group index, sender index, body) per message, oldest first; busy and quiet groups."""
    word_weights = cumulative(len(words), ZIPF_EXPONENT)
    group_weights = cumulative(groups, 0.5)
    group_order = list(range(groups))
    rng.shuffle(group_order)
    for _ in range(count):
        group = group_order[rng.choices(range(groups), cum_weights=group_weights)[0]]
        n = rng.randint(*WORDS_PER_MESSAGE)
        body = " ".join(rng.choices(words, cum_weights=word_weights, k=n))
        yield group, rng.randrange(MEMBERS_PER_GROUP), body.capitalize() + "."


class Plan:
    """Who is in which group, and every message, generated once from the seed."""

    def __init__(self, messages: int, groups: int, member_of: int) -> None:
        rng = random.Random(SEED)
        self.words = vocabulary(rng)
        self.groups = groups
        self.members = [rng.sample(range(USERS), MEMBERS_PER_GROUP) for _ in range(groups)]
        self.searcher_groups = sorted(rng.sample(range(groups), member_of))
        self.messages = messages
        self.rng = rng
        self.start = datetime(2026, 1, 1, tzinfo=UTC)

    def rows(self) -> Iterator[tuple[int, int, int, int, str, datetime]]:
        """(message id, group id, seq, sender id, body, created_at); ids start at 1."""
        seqs = [0] * self.groups
        for n, (group, member, body) in enumerate(
            message_rows(self.rng, self.words, self.messages, self.groups), start=1
        ):
            seqs[group] += 1
            sender = self.members[group][member] + 1
            yield n, group + 1, seqs[group], sender, body, self.start + timedelta(seconds=n)
        self.last_seqs = seqs


def chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _time_text(value: datetime) -> str:
    return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill_sqlite(path: Path, plan: Plan) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    now = _time_text(plan.start)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users (id, username, display_name, password_hash, created_at) "
        "VALUES (?, ?, ?, 'x', ?)",
        [(i + 1, f"user{i}", f"User {i}", now) for i in range(USERS)],
    )
    conn.executemany(
        "INSERT INTO groups (id, name, created_by, created_at) VALUES (?, ?, ?, ?)",
        [(g + 1, f"Group {g}", plan.members[g][0] + 1, now) for g in range(plan.groups)],
    )
    conn.executemany(
        "INSERT INTO memberships (group_id, user_id, joined_at) VALUES (?, ?, ?)",
        [(g + 1, u + 1, now) for g in range(plan.groups) for u in plan.members[g]],
    )
    conn.execute("COMMIT")
    for batch in chunks(plan.rows(), CHUNK):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO messages (id, group_id, seq, sender_id, client_msg_id, body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(i, g, s, u, f"b{i}", b, _time_text(t)) for i, g, s, u, b, t in batch],
        )
        conn.execute("COMMIT")
        print(f"  {batch[-1][0]:,} messages", end="\r", flush=True)
    conn.executemany(
        "UPDATE groups SET last_seq = ?, head_seq = ? WHERE id = ?",
        [(s, s, g + 1) for g, s in enumerate(plan.last_seqs)],
    )
    conn.execute("ANALYZE")
    conn.close()


async def fill_postgres(url: str, plan: Plan) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        now = plan.start
        await conn.copy_records_to_table(
            "users",
            records=[(i + 1, f"user{i}", f"User {i}", "x", now) for i in range(USERS)],
            columns=["id", "username", "display_name", "password_hash", "created_at"],
        )
        await conn.copy_records_to_table(
            "groups",
            records=[
                (g + 1, f"Group {g}", plan.members[g][0] + 1, now) for g in range(plan.groups)
            ],
            columns=["id", "name", "created_by", "created_at"],
        )
        await conn.copy_records_to_table(
            "memberships",
            records=[(g + 1, u + 1, now) for g in range(plan.groups) for u in plan.members[g]],
            columns=["group_id", "user_id", "joined_at"],
        )
        index = await conn.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_messages_search'"
        )
        await conn.execute("DROP INDEX ix_messages_search")  # built once at the end: faster
        for batch in chunks(plan.rows(), CHUNK):
            await conn.copy_records_to_table(
                "messages",
                records=[(i, g, s, u, f"b{i}", b, t) for i, g, s, u, b, t in batch],
                columns=[
                    "id",
                    "group_id",
                    "seq",
                    "sender_id",
                    "client_msg_id",
                    "body",
                    "created_at",
                ],
            )
            print(f"  {batch[-1][0]:,} messages", end="\r", flush=True)
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute(index)
        for table in ("users", "groups", "messages"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await conn.executemany(
            "UPDATE groups SET last_seq = $1, head_seq = $1 WHERE id = $2",
            [(s, g + 1) for g, s in enumerate(plan.last_seqs)],
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def join_groups(url: str, user_id: int, group_ids: list[int]) -> None:
    """Make the searcher a member of its groups, behind the server's back (setup only)."""
    now = datetime.now(UTC)
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        conn.executemany(
            "INSERT INTO memberships (group_id, user_id, joined_at) VALUES (?, ?, ?)",
            [(g, user_id, _time_text(now)) for g in group_ids],
        )
        conn.close()
        return
    pg = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await pg.executemany(
            "INSERT INTO memberships (group_id, user_id, joined_at) VALUES ($1, $2, $3)",
            [(g, user_id, now) for g in group_ids],
        )
    finally:
        await pg.close()


def queries(plan: Plan, rng: random.Random) -> list[tuple[str, str, int | None]]:
    """(kind, q, group_id or None): each kind over all groups and within one group."""
    words = plan.words
    pick = {
        "common": lambda: rng.choice(words[:30]),
        "medium": lambda: rng.choice(words[200:2_000]),
        "rare": lambda: rng.choice(words[10_000:]),
        "prefix3": lambda: rng.choice(words[:500])[:3],
        "two_words": lambda: f"{rng.choice(words[:100])} {rng.choice(words[100:3_000])}",
    }
    out: list[tuple[str, str, int | None]] = []
    for kind in KINDS:
        for n in range(QUERIES_PER_KIND):
            group = None if n % 2 == 0 else rng.choice(plan.searcher_groups) + 1
            out.append((kind if group is None else f"{kind}_in_group", pick[kind](), group))
    rng.shuffle(out)
    return out


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 2),
        "mean": round(statistics.fmean(ordered), 2),
    }


class Server:
    """`python -m chat_server serve` on the prepared database."""

    def __init__(self, data_dir: Path, database: str | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **BENCH_ENV, "CHAT_SEARCH_BURST": "1000000000"}
        command = [
            sys.executable, "-m", "chat_server", "serve", "--host", "127.0.0.1",
            "--port", str(self.port), "--data-dir", str(data_dir),
        ]  # fmt: skip
        if database:
            command += ["--database", database]
        self.log = (data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    async def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError("the server exited at start")
                try:
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError("the server did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


async def measure(url: str, token: str, plan: Plan) -> dict[str, Any]:
    rng = random.Random(SEED + 1)
    headers = {"Authorization": f"Bearer {token}"}
    latencies: dict[str, list[float]] = {}
    hits: dict[str, list[int]] = {}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        for _, q, group in queries(plan, random.Random(SEED + 2))[:WARMUP_QUERIES]:
            await http.get("/api/search", params=_params(q, group))
        for kind, q, group in queries(plan, rng):
            started = time.perf_counter()
            response = await http.get("/api/search", params=_params(q, group))
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            latencies.setdefault(kind, []).append(elapsed)
            hits.setdefault(kind, []).append(len(response.json()["results"]))
    every = [v for values in latencies.values() for v in values]
    return {
        "queries": len(every),
        "latency_ms": percentiles(every),
        "by_kind": {
            kind: {**percentiles(values), "mean_hits": round(statistics.fmean(hits[kind]), 1)}
            for kind, values in sorted(latencies.items())
        },
    }


def _params(q: str, group: int | None) -> dict[str, Any]:
    return {"q": q} if group is None else {"q": q, "group_id": group}


async def register(url: str) -> tuple[int, str]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        name = f"searcher_{uuid.uuid4().hex[:8]}"
        response = await http.post(
            "/api/auth/register", json={"username": name, "password": "bench-password-1"}
        )
        response.raise_for_status()
        body = response.json()
        return int(body["user"]["id"]), str(body["token"])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = Plan(args.messages, args.groups, args.member_of)
    with tempfile.TemporaryDirectory(prefix="chat-search-bench-") as tmp:
        data_dir = Path(tmp)
        if args.database:
            admin = _asyncpg_dsn(args.database)
            name = f"chat_bench_search_{uuid.uuid4().hex[:8]}"
            conn = await asyncpg.connect(admin)
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()
            url = make_url(args.database).set(database=name).render_as_string(hide_password=False)
            print(f"database {name}")
        else:
            url = f"sqlite+aiosqlite:///{data_dir / 'chat.db'}"
        try:
            return await _run_on(url, data_dir, plan, args)
        finally:
            if args.database and not args.keep:
                conn = await asyncpg.connect(admin)
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.close()


async def _run_on(url: str, data_dir: Path, plan: Plan, args: argparse.Namespace) -> dict[str, Any]:
    db = Database(url)
    await db.migrate()
    await db.close()
    started = time.monotonic()
    if url.startswith("sqlite"):
        fill_sqlite(Path(make_url(url).database or ""), plan)
    else:
        await fill_postgres(url, plan)
    fill_seconds = time.monotonic() - started
    print(f"\nfilled in {fill_seconds:.0f} s")
    server = Server(data_dir, None if url.startswith("sqlite") else url)
    try:
        await server.wait_healthy()
        user_id, token = await register(server.url)
        await join_groups(url, user_id, [g + 1 for g in plan.searcher_groups])
        result = await measure(server.url, token, plan)
    finally:
        server.stop()
    return {
        "backend": "sqlite" if url.startswith("sqlite") else "postgresql",
        "messages": plan.messages,
        "groups": plan.groups,
        "searcher_groups": len(plan.searcher_groups),
        "searcher_messages": sum(plan.last_seqs[g] for g in plan.searcher_groups),
        "fill_seconds": round(fill_seconds, 1),
        **result,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg": os.getloadavg()[0],
        "git_commit": _git_commit(),
    }


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temp dir)")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--member-of", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--out", type=Path, help="default: bench/results/search-<backend>.json")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    out = args.out or RESULTS / f"search-{result['backend']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
