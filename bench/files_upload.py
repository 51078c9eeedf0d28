"""Upload benchmark (issue 12): a 5 MiB photo-sized JPEG and 5 MiB of other bytes, uploaded
one after another over REST; while the images are cleaned, another user keeps sending
messages, to show whether image work stalls the event loop.

Starts a throwaway server (bench_server.ServerProcess, SQLite, `--file-store dir` by
default or `--file-store database`), registers two users in one group, then for each kind
uploads `--count` files (fresh upload ids; the same bytes, so every upload is received,
hashed, detected and, for the JPEG, decoded, re-encoded and thumbnailed again) and reports
upload latency (p50/p95/max), throughput (MiB/s of request bodies) and the latency of the
messages sent meanwhile (one every 50 ms). Writes bench/results/files-upload.json.

    python bench/files_upload.py [--count 20] [--file-store dir|database]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
from bench_server import BENCH_ENV, ServerProcess
from PIL import Image

RESULT_PATH = Path(__file__).parent / "results" / "files-upload.json"
TARGET_BYTES = 5 * 1024 * 1024
SEND_EVERY_SECONDS = 0.05
TIMEOUT_SECONDS = 120.0


def photo_jpeg(target: int = TARGET_BYTES) -> bytes:
    """A JPEG of about `target` bytes: 4000×3000 with fine detail, like a phone photo."""
    width, height = 4000, 3000
    noise = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image = Image.blend(noise, gradient, 0.6)
    for quality in (95, 90, 85, 80, 75, 70, 65, 60, 50):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() <= target * 1.1:
            return out.getvalue()
    return out.getvalue()


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 1), "n": len(ordered)}


async def register(http: httpx.AsyncClient, name: str) -> str:
    answer = await http.post(
        "/api/auth/register", json={"username": name, "password": "bench-password-1"}
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


async def upload_all(
    http: httpx.AsyncClient, token: str, data: bytes, count: int
) -> tuple[list[float], float, dict[str, Any]]:
    latencies: list[float] = []
    started = time.perf_counter()
    last: dict[str, Any] = {}
    for _ in range(count):
        t0 = time.perf_counter()
        answer = await http.put(
            f"/api/uploads/{uuid.uuid4()}",
            params={"name": "photo.jpg"},
            content=data,
            headers={"Authorization": f"Bearer {token}"},
        )
        latencies.append((time.perf_counter() - t0) * 1000)
        assert answer.status_code == 201, answer.text
        last = answer.json()
    return latencies, time.perf_counter() - started, last


async def keep_sending(
    http: httpx.AsyncClient, token: str, group_id: int, stop: asyncio.Event
) -> list[float]:
    latencies: list[float] = []
    while not stop.is_set():
        t0 = time.perf_counter()
        answer = await http.post(
            f"/api/groups/{group_id}/messages",
            json={"client_msg_id": str(uuid.uuid4()), "body": "ping"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.text
        latencies.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(SEND_EVERY_SECONDS)
    return latencies


async def run(count: int, file_store: str) -> dict[str, Any]:
    jpeg = photo_jpeg()
    blob = os.urandom(len(jpeg))
    os.environ["CHAT_FILE_STORE"] = file_store
    os.environ["CHAT_UPLOADS_PENDING_MAX"] = str(count * 3)
    with ServerProcess() as server:
        await server.wait_healthy()
        process = psutil.Process(server.pid)
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT_SECONDS) as uploader,
            httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT_SECONDS) as sender,
        ):
            up_token = await register(uploader, f"up_{uuid.uuid4().hex[:8]}")
            send_name = f"se_{uuid.uuid4().hex[:8]}"
            send_token = await register(sender, send_name)
            group = await sender.post(
                "/api/groups",
                json={"name": "bench", "members": []},
                headers={"Authorization": f"Bearer {send_token}"},
            )
            group_id = int(group.json()["id"])
            quiet = await keep_sending_for(sender, send_token, group_id, 2.0)
            results: dict[str, Any] = {"sends_alone_ms": percentiles(quiet)}
            for kind, data in (("jpeg", jpeg), ("other", blob)):
                stop = asyncio.Event()
                cpu0 = process.cpu_times()
                sending = asyncio.create_task(keep_sending(sender, send_token, group_id, stop))
                latencies, seconds, last = await upload_all(uploader, up_token, data, count)
                stop.set()
                sends = await sending
                cpu1 = process.cpu_times()
                results[kind] = {
                    "bytes": len(data),
                    "stored_bytes": last.get("size"),
                    "content_type": last.get("content_type"),
                    "upload_ms": percentiles(latencies),
                    "mib_per_second": round(len(data) * count / seconds / 2**20, 1),
                    "server_cpu_seconds": round(
                        (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system), 2
                    ),
                    "sends_meanwhile_ms": percentiles(sends),
                }
            results["server_peak_rss_mib"] = round(process.memory_info().rss / 2**20, 1)
    return {
        "benchmark": "files_upload",
        "count": count,
        "file_store": file_store,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
        "env": BENCH_ENV,
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        **results,
    }


async def keep_sending_for(
    http: httpx.AsyncClient, token: str, group_id: int, seconds: float
) -> list[float]:
    stop = asyncio.Event()
    task = asyncio.create_task(keep_sending(http, token, group_id, stop))
    await asyncio.sleep(seconds)
    stop.set()
    return await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--file-store", choices=("dir", "database"), default="dir")
    args = parser.parse_args()
    result = asyncio.run(run(args.count, args.file_store))
    path = RESULT_PATH.with_name(f"files-upload-{args.file_store}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    jpeg, other = result["jpeg"], result["other"]
    print(
        f"5 MiB JPEG: p50 {jpeg['upload_ms']['p50']} ms, {jpeg['mib_per_second']} MiB/s, "
        f"sends meanwhile p95 {jpeg['sends_meanwhile_ms']['p95']} ms "
        f"(alone {result['sends_alone_ms']['p95']} ms); other 5 MiB: p50 "
        f"{other['upload_ms']['p50']} ms, {other['mib_per_second']} MiB/s -> {path}"
    )


if __name__ == "__main__":
    main()
