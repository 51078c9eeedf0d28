"""Load-generator processes of the fan-out benchmark: socket receivers and REST posters.

Each runs in its own process (spawned by bench/fanout.py) so the generator is spread over
processes the way a real client population is, and reports its results through a queue.
Latency uses CLOCK_MONOTONIC, which is one clock for every process on the machine: the
poster writes its send time into the message body and the receiver subtracts it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import orjson
import socketio
from lite_socketio import LiteReceiver

CONNECT_CONCURRENCY = 20
CONNECT_TIMEOUT_SECONDS = 30.0
POST_CONNECTIONS = 64
POST_TIMEOUT_SECONDS = 30.0
# Counters shared with the orchestrator are refreshed this often, not per delivery.
PROGRESS_EVERY = 0.05
BODY_SUFFIX = " fanout bench message"
RECEIVER_SOCKETIO = "socketio"
RECEIVER_LITE = "lite"
# The official JavaScript socket.io-client (bench/js_receiver), with its default of offering
# permessage-deflate (as browsers do), or with it turned off.
RECEIVER_JS = "js"
RECEIVER_JS_NODEFLATE = "js-nodeflate"
RECEIVER_KINDS = (RECEIVER_SOCKETIO, RECEIVER_LITE, RECEIVER_JS, RECEIVER_JS_NODEFLATE)
JS_RECEIVER = Path(__file__).parent / "js_receiver" / "receiver.mjs"

Closer = Callable[[], Awaitable[Any]]


class _Queue(Protocol):
    def put(self, obj: Any) -> None: ...


@dataclass(frozen=True)
class Account:
    """A benchmark user: what a worker needs to act as it."""

    user_id: int
    token: str
    group_id: int


@dataclass
class _ReceiverState:
    deliveries: int = 0
    duplicates: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    seen: set[tuple[int, int]] = field(default_factory=set)
    first_at: float = 0.0
    last_at: float = 0.0
    out_of_order: int = 0
    last_seq: dict[tuple[int, int], int] = field(default_factory=dict)

    def record(self, user_id: int, message: dict[str, Any], now: int) -> None:
        """Count one `message:new` on `user_id`'s socket, received at `now` (monotonic ns)."""
        key = (user_id, message["id"])
        if key in self.seen:
            self.duplicates += 1
            return
        self.seen.add(key)
        self.deliveries += 1
        stream = (user_id, message["group_id"])
        if message["seq"] < self.last_seq.get(stream, 0):
            self.out_of_order += 1  # a socket must see its group's messages in seq order
        self.last_seq[stream] = max(message["seq"], self.last_seq.get(stream, 0))
        if not self.first_at:
            self.first_at = now / 1e9
        self.last_at = now / 1e9
        if message["sender"]["id"] != user_id:
            sent_ns = int(message["body"].split(" ", 1)[0])
            self.latencies_ms.append((now - sent_ns) / 1e6)


def run_receiver(
    index: int,
    url: str,
    accounts: list[Account],
    kind: str,
    results: _Queue,
    progress: Synchronized,  # type: ignore[type-arg]
    stop: Event,
) -> None:
    """Process entry: connect every account's socket, then record deliveries until `stop`."""
    if kind in (RECEIVER_JS, RECEIVER_JS_NODEFLATE):
        _js_receiver(index, url, accounts, kind, results, progress, stop)
        return
    asyncio.run(_receiver(index, url, accounts, kind, results, progress, stop))


async def _receiver(
    index: int,
    url: str,
    accounts: list[Account],
    kind: str,
    results: _Queue,
    progress: Synchronized,  # type: ignore[type-arg]
    stop: Event,
) -> None:
    state = _ReceiverState()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    connect = _connect_lite if kind == RECEIVER_LITE else _connect_socketio
    async with aiohttp.ClientSession() as session:

        async def one(account: Account) -> Closer:
            async with gate:
                return await connect(session, url, account, state)

        try:
            closers = await asyncio.gather(*(one(account) for account in accounts))
        except Exception as exc:  # a failed connect ends the benchmark with a reason
            results.put({"kind": "receiver_failed", "index": index, "error": repr(exc)})
            return
        results.put({"kind": "receiver_ready", "index": index, "clients": len(closers)})
        cpu_started = time.process_time()
        while not stop.is_set():
            progress.value = state.deliveries
            await asyncio.sleep(PROGRESS_EVERY)
        progress.value = state.deliveries
        cpu = time.process_time() - cpu_started
        await asyncio.gather(*(close() for close in closers), return_exceptions=True)
    results.put(
        {
            "kind": "receiver_done",
            "index": index,
            "deliveries": state.deliveries,
            "duplicates": state.duplicates,
            "out_of_order": state.out_of_order,
            "latencies_ms": state.latencies_ms,
            "first_at": state.first_at,
            "last_at": state.last_at,
            "cpu_seconds": cpu,
        }
    )


def _js_receiver(
    index: int,
    url: str,
    accounts: list[Account],
    kind: str,
    results: _Queue,
    progress: Synchronized,  # type: ignore[type-arg]
    stop: Event,
) -> None:
    """The same job done by node with socket.io-client; it reports in lines on stdout."""
    mode = "nodeflate" if kind == RECEIVER_JS_NODEFLATE else "deflate"
    node = subprocess.Popen(
        ["node", str(JS_RECEIVER), url, mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert node.stdin is not None and node.stdout is not None
    for account in accounts:
        node.stdin.write(json.dumps(dataclasses.asdict(account)) + "\n")
    node.stdin.write("go\n")
    node.stdin.flush()
    first = node.stdout.readline().split()
    if first[:1] != ["ready"]:
        results.put({"kind": "receiver_failed", "index": index, "error": f"node said {first}"})
        node.kill()
        return
    results.put({"kind": "receiver_ready", "index": index, "clients": int(first[1])})
    watcher = threading.Thread(target=_stop_node, args=(stop, node.stdin), daemon=True)
    watcher.start()
    for line in node.stdout:
        if line.startswith("progress "):
            progress.value = int(line.split()[1])
        elif line.startswith("{"):
            done = json.loads(line)
            progress.value = done["deliveries"]
            results.put({"kind": "receiver_done", "index": index, **done})
    node.wait()


def _stop_node(stop: Event, stdin: Any) -> None:
    stop.wait()
    stdin.write("stop\n")
    stdin.flush()


async def _connect_socketio(
    _session: aiohttp.ClientSession, url: str, account: Account, state: _ReceiverState
) -> Closer:
    client = socketio.AsyncClient(reconnection=False)
    ready = asyncio.get_running_loop().create_future()

    @client.on("ready")  # type: ignore[misc]
    async def _on_ready(_data: Any) -> None:
        if not ready.done():
            ready.set_result(True)

    @client.on("message:new")  # type: ignore[misc]
    async def _on_message(message: dict[str, Any]) -> None:
        state.record(account.user_id, message, time.monotonic_ns())

    await client.connect(
        url,
        auth={"token": account.token},
        transports=["websocket"],
        wait_timeout=CONNECT_TIMEOUT_SECONDS,
    )
    await asyncio.wait_for(ready, CONNECT_TIMEOUT_SECONDS)
    closer: Closer = client.disconnect
    return closer


async def _connect_lite(
    session: aiohttp.ClientSession, url: str, account: Account, state: _ReceiverState
) -> Closer:
    client = LiteReceiver(session, url, account.token)

    def on_message(message: dict[str, Any], now: int) -> None:
        state.record(account.user_id, message, now)

    await client.connect(on_message, CONNECT_TIMEOUT_SECONDS)
    return client.close


def run_poster(
    index: int,
    url: str,
    accounts: list[Account],
    rate: float,
    seconds: float,
    start_at: float,
    results: _Queue,
) -> None:
    """Process entry: post `rate` messages/s for `seconds` from `start_at` (monotonic)."""
    asyncio.run(_poster(index, url, accounts, rate, seconds, start_at, results))


@dataclass
class _PosterState:
    sent: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    post_ms: list[float] = field(default_factory=list)
    max_lag_ms: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0


async def _poster(
    index: int,
    url: str,
    accounts: list[Account],
    rate: float,
    seconds: float,
    start_at: float,
    results: _Queue,
) -> None:
    state = _PosterState()
    # Interleave groups so consecutive posts go to different groups, members in turn.
    by_group: dict[int, list[Account]] = {}
    for account in accounts:
        by_group.setdefault(account.group_id, []).append(account)
    rounds = itertools.cycle(list(itertools.chain(*itertools.zip_longest(*by_group.values()))))
    senders = (account for account in rounds if account is not None)
    total = round(rate * seconds)
    connector = aiohttp.TCPConnector(limit=POST_CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as http:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        cpu_started = time.process_time()
        tasks: set[asyncio.Task[None]] = set()
        for n in range(total):
            due = start_at + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                state.max_lag_ms = max(state.max_lag_ms, -delay * 1000.0)
            task = asyncio.create_task(_post(http, next(senders), state))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
        cpu = time.process_time() - cpu_started
    results.put(
        {
            "kind": "poster_done",
            "index": index,
            "sent": dict(state.sent),
            "errors": dict(state.errors),
            "post_ms": state.post_ms,
            "max_lag_ms": state.max_lag_ms,
            "max_in_flight": state.max_in_flight,
            "cpu_seconds": cpu,
            "ended_at": time.monotonic(),
        }
    )


async def _post(http: aiohttp.ClientSession, account: Account, state: _PosterState) -> None:
    state.in_flight += 1
    state.max_in_flight = max(state.max_in_flight, state.in_flight)
    sent_ns = time.monotonic_ns()
    payload = {"client_msg_id": str(uuid.uuid4()), "body": f"{sent_ns}{BODY_SUFFIX}"}
    try:
        async with http.post(
            f"/api/groups/{account.group_id}/messages",
            data=orjson.dumps(payload),
            headers={
                "Authorization": f"Bearer {account.token}",
                "Content-Type": "application/json",
            },
        ) as response:
            await response.read()
            if response.status == 201:
                state.sent[account.group_id] += 1
                state.post_ms.append((time.monotonic_ns() - sent_ns) / 1e6)
            else:
                state.errors[f"HTTP {response.status}"] += 1
    except (aiohttp.ClientError, TimeoutError) as exc:
        state.errors[type(exc).__name__] += 1
    finally:
        state.in_flight -= 1
