"""Fan-out benchmark: C socket clients in G groups, R messages/s posted over REST for T seconds.

Run `python bench/fanout.py --help`. It starts its own server (temp data dir, rate limits
raised) unless --url names a running one, and writes bench/results/fanout-<R>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import secrets
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from multiprocessing.context import SpawnProcess
from pathlib import Path
from queue import Empty
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_server import Population, ServerProcess, create_population, stored_counts
from fanout_workers import RECEIVER_KINDS, RECEIVER_SOCKETIO, run_poster, run_receiver

RESULTS_DIR = Path(__file__).resolve().parent / "results"
READY_TIMEOUT_SECONDS = 120.0
START_DELAY_SECONDS = 1.0
# After the last post, wait for the stragglers at most this long, or this long without progress.
DRAIN_TIMEOUT_SECONDS = 15.0
DRAIN_STALL_SECONDS = 3.0
RSS_SAMPLE_SECONDS = 0.2
RESULT_TIMEOUT_SECONDS = 60.0
# Posters report when their last post is answered; a saturated server may need a while.
POST_GRACE_SECONDS = 60.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200, help="socket clients (users)")
    parser.add_argument("--groups", type=int, default=10, help="groups the clients are spread over")
    parser.add_argument("--rate", type=float, default=500.0, help="messages offered per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the load")
    parser.add_argument("--url", help="bench this running server instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's pid, for CPU and RSS")
    parser.add_argument("--receiver-procs", type=int, default=2, help="receiver processes")
    parser.add_argument("--poster-procs", type=int, default=1, help="poster processes")
    parser.add_argument(
        "--receiver",
        choices=RECEIVER_KINDS,
        default=RECEIVER_SOCKETIO,
        help="socket client of the receivers: python-socketio's AsyncClient, or a minimal "
        "websocket client that leaves more CPU to the server (bench/lite_socketio.py), or the "
        "official JS socket.io-client offering permessage-deflate (js) or not (js-nodeflate)",
    )
    parser.add_argument(
        "--out", type=Path, help="result file (default bench/results/fanout-R.json)"
    )
    return parser.parse_args(argv)


class ServerGauge:
    """CPU seconds and peak RSS of the server process over the measured window."""

    def __init__(self, pid: int | None) -> None:
        self._process = psutil.Process(pid) if pid else None
        self.peak_rss = 0
        self._cpu_start = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _cpu(self) -> float:
        assert self._process is not None
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def _sample(self) -> None:
        while not self._stop.is_set() and self._process is not None:
            try:
                self.peak_rss = max(self.peak_rss, self._process.memory_info().rss)
            except psutil.Error:
                return
            self._stop.wait(RSS_SAMPLE_SECONDS)

    def start(self) -> None:
        if self._process is not None:
            self._cpu_start = self._cpu()
            self._thread.start()

    def stop(self) -> float | None:
        """Stop sampling and return the CPU seconds used since `start`."""
        self._stop.set()
        if self._process is None:
            return None
        return self._cpu() - self._cpu_start


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(q / 100.0 * len(ordered) + 0.5) - 1))
    return round(ordered[rank], 2)


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts) if items[i::parts]]


class Run:
    """One benchmark run against a server at `url` (already up)."""

    def __init__(self, args: argparse.Namespace, url: str, pid: int | None) -> None:
        self.args = args
        self.url = url
        self.pid = pid
        self.ctx = multiprocessing.get_context("spawn")
        self.results = self.ctx.Queue()
        self.stop = self.ctx.Event()
        self.processes: list[SpawnProcess] = []

    def _spawn(self, target: Any, *args: Any) -> None:
        process = self.ctx.Process(target=target, args=args, daemon=True)
        process.start()
        self.processes.append(process)

    def _get(self, kind: str, count: int, timeout: float) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            try:
                item = self.results.get(timeout=max(0.1, deadline - time.monotonic()))
            except Empty as exc:
                raise RuntimeError(f"timed out waiting for {kind} from the workers") from exc
            if item["kind"].endswith("_failed"):
                raise RuntimeError(f"worker failed: {item['error']}")
            if item["kind"] == kind:
                got.append(item)
        return got

    def execute(self, population: Population) -> dict[str, Any]:
        """Connect the receivers, run the load, wait for the deliveries, summarise."""
        progress, connected = self._start_receivers(population)
        gauge = ServerGauge(self.pid)
        start_at, posted = self._run_load(population, gauge)
        drain_started = time.monotonic()
        stored, expected = self._await_deliveries(population, posted, progress)
        drain_seconds = time.monotonic() - drain_started
        server_cpu = gauge.stop()
        self.stop.set()
        received = self._get("receiver_done", len(progress), RESULT_TIMEOUT_SECONDS)
        for process in self.processes:
            process.join(timeout=10)
        return summarise(
            self.args, connected, start_at, posted, received, stored, expected,
            server_cpu, gauge.peak_rss, drain_seconds,
        )  # fmt: skip

    def _start_receivers(self, population: Population) -> tuple[list[Any], int]:
        """Spawn the receiver processes; returns their progress counters and the socket count."""
        receiver_sets = _split(population.accounts, self.args.receiver_procs)
        progress = [self.ctx.RawValue("q", 0) for _ in receiver_sets]
        for i, accounts in enumerate(receiver_sets):
            self._spawn(
                run_receiver, i, self.url, accounts, self.args.receiver, self.results,
                progress[i], self.stop,
            )  # fmt: skip
        ready = self._get("receiver_ready", len(receiver_sets), READY_TIMEOUT_SECONDS)
        connected = sum(item["clients"] for item in ready)
        print(f"  {connected} clients connected ({self.args.receiver} receivers)")
        return progress, connected

    def _run_load(
        self, population: Population, gauge: ServerGauge
    ) -> tuple[float, list[dict[str, Any]]]:
        """Spawn the posters on a shared start time and wait until they are done."""
        args = self.args
        print(f"  offering {args.rate:g} msg/s for {args.seconds:g} s")
        start_at = time.monotonic() + START_DELAY_SECONDS
        poster_sets = _split(population.accounts, args.poster_procs)
        share = args.rate / len(poster_sets)
        for i, accounts in enumerate(poster_sets):
            self._spawn(
                run_poster, i, self.url, accounts, share, args.seconds, start_at, self.results
            )
        time.sleep(max(0.0, start_at - time.monotonic()))
        gauge.start()
        posted = self._get("poster_done", len(poster_sets), args.seconds + POST_GRACE_SECONDS)
        return start_at, posted

    def _await_deliveries(
        self, population: Population, posted: list[dict[str, Any]], progress: list[Any]
    ) -> tuple[int, int]:
        """Wait for the deliveries of what was confirmed, then of what was really stored."""
        sent: dict[int, int] = {}
        for item in posted:
            for group_id, n in item["sent"].items():
                sent[int(group_id)] = sent.get(int(group_id), 0) + n
        confirmed = sum(n * population.group_sizes[g] for g, n in sent.items())
        self._drain(progress, confirmed)
        stored = asyncio.run(stored_counts(self.url, population))
        expected = sum(n * population.group_sizes[g] for g, n in stored.items())
        if expected > confirmed:
            self._drain(progress, expected)
        return sum(stored.values()), expected

    def _drain(self, progress: list[Any], expected: int) -> None:
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        last, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            now_count = sum(value.value for value in progress)
            if now_count >= expected:
                return
            if now_count != last:
                last, last_change = now_count, time.monotonic()
            elif time.monotonic() - last_change > DRAIN_STALL_SECONDS:
                return
            time.sleep(0.05)


def summarise(
    args: argparse.Namespace,
    connected: int,
    start_at: float,
    posted: list[dict[str, Any]],
    received: list[dict[str, Any]],
    stored: int,
    expected: int,
    server_cpu: float | None,
    peak_rss: int,
    drain_seconds: float,
) -> dict[str, Any]:
    """Turn the workers' raw reports into the result document."""
    latencies = [ms for item in received for ms in item["latencies_ms"]]
    post_ms = [ms for item in posted for ms in item["post_ms"]]
    deliveries = sum(item["deliveries"] for item in received)
    sent = sum(sum(item["sent"].values()) for item in posted)
    errors: dict[str, int] = {}
    for item in posted:
        for kind, n in item["errors"].items():
            errors[kind] = errors.get(kind, 0) + n
    last_at = max((item["last_at"] for item in received if item["last_at"]), default=start_at)
    span = max(last_at - start_at, 1e-9)
    return {
        "benchmark": "fanout",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": _cpu_model(),
            "python": platform.python_version(),
            "loadavg_before": None,
        },
        "git_commit": None if args.url else _git_commit(),
        "params": {
            "clients": args.clients,
            "groups": args.groups,
            "rate": args.rate,
            "seconds": args.seconds,
            "receiver_processes": args.receiver_procs,
            "receiver": args.receiver,
            "poster_processes": args.poster_procs,
            "url": args.url,
        },
        "connected": connected,
        "offered": round(args.rate * args.seconds),
        "sent": sent,
        "stored": stored,
        "post_errors": errors,
        "achieved_send_rate": round(sent / args.seconds, 1),
        "expected_deliveries": expected,
        "deliveries": deliveries,
        "undelivered": expected - deliveries,
        "duplicates": sum(item["duplicates"] for item in received),
        "out_of_order": sum(item["out_of_order"] for item in received),
        "deliveries_per_second": round(deliveries / span, 1),
        "delivery_span_seconds": round(span, 3),
        "drain_seconds": round(drain_seconds, 3),
        "latency_ms": _quantiles(latencies),
        "post_latency_ms": _quantiles(post_ms),
        "generator_max_lag_ms": round(max(item["max_lag_ms"] for item in posted), 1),
        "server_cpu_seconds": None if server_cpu is None else round(server_cpu, 2),
        "server_peak_rss_mib": round(peak_rss / 2**20, 1) if peak_rss else None,
        "deliveries_per_server_cpu_second": (
            round(deliveries / server_cpu) if server_cpu else None
        ),
        "generator_cpu_seconds": {
            "receivers": round(sum(item["cpu_seconds"] for item in received), 2),
            "posters": round(sum(item["cpu_seconds"] for item in posted), 2),
        },
    }


def _quantiles(values: list[float]) -> dict[str, float | None]:
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": round(max(values), 2) if values else None,
        "mean": round(statistics.fmean(values), 2) if values else None,
    }


def _git_commit() -> str | None:
    """The commit of the code under test (when the server was started from this checkout)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(RESULTS_DIR.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def print_summary(result: dict[str, Any], path: Path) -> None:
    lat = result["latency_ms"]
    per_cpu = result["deliveries_per_server_cpu_second"]
    print(
        f"fan-out  C={result['params']['clients']} G={result['params']['groups']} "
        f"R={result['params']['rate']:g}/s T={result['params']['seconds']:g}s "
        f"receiver={result['params']['receiver']}\n"
        f"  sent {result['sent']}/{result['offered']} (errors {result['post_errors'] or 0}, "
        f"stored {result['stored']}), "
        f"delivered {result['deliveries']}/{result['expected_deliveries']} "
        f"(undelivered {result['undelivered']}, duplicates {result['duplicates']}, "
        f"out of order {result['out_of_order']})\n"
        f"  {result['deliveries_per_second']:.0f} deliveries/s; latency p50 {lat['p50']} "
        f"p95 {lat['p95']} p99 {lat['p99']} max {lat['max']} ms\n"
        f"  server CPU {result['server_cpu_seconds']} s, peak RSS "
        f"{result['server_peak_rss_mib']} MiB, {per_cpu} deliveries per server CPU-second\n"
        f"  generator CPU {result['generator_cpu_seconds']}, "
        f"max schedule lag {result['generator_max_lag_ms']} ms, loadavg before "
        f"{result['machine']['loadavg_before']}\n"
        f"  -> {path}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out or RESULTS_DIR / f"fanout-{args.rate:g}.json"
    loadavg = os.getloadavg()
    tag = secrets.token_hex(3)
    if args.url:
        url, pid = args.url.rstrip("/"), args.pid
        population = asyncio.run(create_population(url, args.clients, args.groups, tag))
        result = Run(args, url, pid).execute(population)
    else:
        with ServerProcess() as server:
            asyncio.run(server.wait_healthy())
            print(f"  server pid {server.pid} at {server.url}")
            population = asyncio.run(create_population(server.url, args.clients, args.groups, tag))
            result = Run(args, server.url, server.pid).execute(population)
    result["machine"]["loadavg_before"] = [round(x, 2) for x in loadavg]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print_summary(result, out)
    clean = not (result["undelivered"] or result["duplicates"] or result["out_of_order"])
    return 0 if clean and not result["post_errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
