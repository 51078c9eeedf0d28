"""Client ingest benchmark: protocol v2 log events through the sync engine into the Qt models.

Feeds N `event`s (default 100,000) spread over 20 groups through the same entry point the
socket uses (Connection.on_event, after the JSON the socket delivers is decoded), headless,
into per-group MessageModels and the GroupListModel, and reports events/s and peak RSS. The
mix (EVENT_MIX): mostly new messages, then edits, reactions added and removed, deletions
and renames (system lines), each at the group's next seq as the server sends them.
The local cache is open, and flushed every CACHE_FLUSH_INTERVAL seconds inside the timed
part, as the session's timer would (each flush's time is reported too).
Then fills one group with 100,000 messages (as catch-up pages of 200) and times opening it:
set_active_group + its model + the rows a view paints, and the same with a QListView shown
offscreen. Writes bench/results/client_ingest.json and prints one line.

    python bench/client_ingest.py [--messages 100000] [--groups 20] [--big 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QListView

from chat_protocol.models import Group, Message, User
from desktop_app.models.bridge import SessionBridge
from desktop_app.models.message_model import MessageRoles
from desktop_app.session.cache import CACHE_FLUSH_INTERVAL
from desktop_app.settings import HOME_ENV, Profile

RESULT_PATH = Path(__file__).parent / "results" / "client_ingest.json"
VISIBLE_ROWS = 50  # rows a chat view paints when a group opens
EVENT_BATCH = 500  # events per loop turn, as the socket's reader hands them over
PAGE = 200
# Out of every 100 events of a group's feed: the kinds, by position (i % 100).
EVENT_MIX = {
    "message.posted": 70,
    "message.edited": 12,
    "reaction.added": 10,
    "reaction.removed": 4,
    "message.deleted": 3,
    "group.renamed": 1,
}
_KIND_AT = [kind for kind, share in EVENT_MIX.items() for _ in range(share)]
EMOJI = ("👍", "🎉", "❤️", "😂")
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
# Nothing listens here: the benchmark never talks to a server (no catch-up is needed,
# the feed has no gaps). A read marker the open group sends fails quietly.
DEAD_URL = "http://127.0.0.1:9"


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def group_json(gid: int, name: str) -> dict[str, Any]:
    return {
        "id": gid,
        "name": name,
        "created_at": T0.isoformat(),
        "member_count": 3,
        "last_seq": 0,
        "last_read_seq": 0,
        "unread_count": 0,
    }


def message_json(mid: int, gid: int, seq: int, sender: dict[str, Any], at: datetime) -> str:
    return json.dumps(
        {
            "id": mid,
            "group_id": gid,
            "seq": seq,
            "sender": sender,
            "client_msg_id": str(uuid.uuid4()),
            "body": f"Message number {seq} in group {gid}: the quick brown fox jumps.",
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
        }
    )


def event_json(
    gid: int,
    seq: int,
    kind: str,
    actor: dict[str, Any],
    at: datetime,
    data: dict[str, Any],
) -> str:
    return json.dumps(
        {
            "group_id": gid,
            "seq": seq,
            "kind": kind,
            "actor": actor,
            "at": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
            "client_event_id": str(uuid.uuid4()),
            "data": data,
        }
    )


class Feed:
    """The events of every group, in the order a server makes them (seqs contiguous)."""

    def __init__(self, groups: int) -> None:
        self.groups = groups
        self.seqs = [0] * (groups + 1)
        self.live: list[list[int]] = [[] for _ in range(groups + 1)]  # message ids held
        self.reacted: dict[int, dict[str, list[int]]] = {}
        self.posted = self.deleted = self.renamed = 0
        self.kinds: dict[str, int] = {}
        self.next_id = 0

    def make(self, i: int, sender: dict[str, Any]) -> str:
        gid = 1 + (i * 7919) % self.groups  # spread over the groups, not round-robin
        self.seqs[gid] += 1
        seq, at = self.seqs[gid], T0 + timedelta(milliseconds=i)
        kind = _KIND_AT[i % 100]
        live = self.live[gid]
        if kind != "message.posted" and kind != "group.renamed" and not live:
            kind = "message.posted"
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind == "message.posted":
            self.next_id += 1
            self.posted += 1
            live.append(self.next_id)
            data = json.loads(message_json(self.next_id, gid, seq, sender, at))
            return event_json(gid, seq, kind, sender, at, data)
        if kind == "group.renamed":
            self.renamed += 1
            return event_json(gid, seq, kind, sender, at, {"name": f"Group {gid} ({seq})"})
        target = live[-1 - (i % min(len(live), 50))]
        if kind == "message.edited":
            body = f"Edited at {seq}: the quick brown fox."
            data = {"message_id": target, "body": body, "edited_at": at.isoformat()}
        elif kind == "message.deleted":
            live.remove(target)
            self.deleted += 1
            data = {"message_id": target}
        else:
            emoji = EMOJI[i % len(EMOJI)]
            users = self.reacted.setdefault(target, {}).setdefault(emoji, [])
            if kind == "reaction.removed" and sender["id"] not in users:
                kind = "reaction.added"
            if kind == "reaction.added" and sender["id"] not in users:
                users.append(sender["id"])
            elif kind == "reaction.removed":
                users.remove(sender["id"])
            data = {"message_id": target, "emoji": emoji}
        return event_json(gid, seq, kind, sender, at, data)


def make_bridge(home: Path) -> SessionBridge:
    os.environ[HOME_ENV] = str(home)
    me = User(id=1, username="bench", display_name="Bench")
    return SessionBridge(DEAD_URL, "token", me, Profile.load("bench"))


async def ingest(bridge: SessionBridge, n: int, groups: int) -> dict[str, Any]:
    sync = bridge.session.sync
    sync.apply_groups(
        [Group.model_validate(group_json(g, f"Group {g}")) for g in range(1, groups + 1)]
    )
    for gid in range(1, groups + 1):
        sync.timeline(gid).anchor(1, at_start=True)  # empty groups, fully loaded
        bridge.message_model(gid)
    senders = [{"id": i, "username": f"user{i}", "display_name": f"User {i}"} for i in range(2, 12)]
    feed = Feed(groups)
    session = bridge.session
    if session.cache is not None:
        session.cache.load()  # what Session.start does first
    flush_ms: list[float] = []
    last_flush = time.perf_counter()
    rss_before = current_rss_mb()
    on_event = bridge.session.connection.on_event
    loads = json.loads
    elapsed = cpu = 0.0
    for start in range(0, n, EVENT_BATCH):
        # The wire text of one batch is made outside the timed part and never all at once,
        # so the figures are the client's, not the generator's.
        wire = []
        for i in range(start, min(start + EVENT_BATCH, n)):
            wire.append(feed.make(i, senders[i % 10]))
        started, cpu_started = time.perf_counter(), time.process_time()
        for raw in wire:
            on_event("event", loads(raw))
        await asyncio.sleep(0)
        if time.perf_counter() - last_flush >= CACHE_FLUSH_INTERVAL:
            flush_started = last_flush = time.perf_counter()
            session.flush_cache()
            flush_ms.append((time.perf_counter() - flush_started) * 1000)
        elapsed += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
    held = sum(bridge.message_model(g).rowCount() for g in range(1, groups + 1))
    rows = feed.posted + feed.renamed
    assert held == rows, f"models hold {held} of {rows} rows"
    unread = feed.posted - feed.deleted
    assert bridge.groups.total_unread() == unread, (bridge.groups.total_unread(), unread)
    for gid in range(1, groups + 1):
        assert sync.timeline(gid).hi == feed.seqs[gid], "every event applied in order"
    return {
        "messages": n,
        "events": n,
        "event_mix": feed.kinds,
        "groups": groups,
        "seconds": round(elapsed, 3),
        "messages_per_second": round(n / elapsed),
        "events_per_second": round(n / elapsed),
        "cpu_seconds": round(cpu, 3),
        "messages_per_cpu_second": round(n / cpu),
        "rss_mb_before_feed": round(rss_before, 1),
        "cache_flushes": len(flush_ms),
        "cache_flush_ms_max": round(max(flush_ms, default=0.0), 2),
        "includes": "json.loads of each event, pydantic validation, the event table, sync engine, journal, "
        "MessageModel/GroupListModel updates, bridge signals and the local cache's flushes",
        "rss_mb_after_feed": round(current_rss_mb(), 1),
    }


async def open_big_group(bridge: SessionBridge, count: int, app: QApplication) -> dict[str, Any]:
    gid = 10_000
    sync = bridge.session.sync
    sync.apply_groups(
        [
            *[Group.model_validate(group_json(g, f"Group {g}")) for g in sync.registry.ids()],
            Group.model_validate(group_json(gid, "Archive")),
        ]
    )
    sender = {"id": 2, "username": "user2", "display_name": "User 2"}
    fill_started, fill_cpu_started = time.perf_counter(), time.process_time()
    for start in range(1, count + 1, PAGE):
        page = [
            Message.model_validate_json(
                message_json(900_000 + s, gid, s, sender, T0 + timedelta(seconds=s))
            )
            for s in range(start, min(start + PAGE, count + 1))
        ]
        sync._apply_page(gid, page)
    sync.timeline(gid).anchor(1, at_start=True)
    fill = time.perf_counter() - fill_started
    fill_cpu = time.process_time() - fill_cpu_started

    started = time.perf_counter()
    bridge.set_active_group(gid)
    model = bridge.message_model(gid)
    rows = model.rowCount()
    painted = [
        (
            model.data(model.index(r), MessageRoles.SENDER_NAME),
            model.data(model.index(r), MessageRoles.BODY),
        )
        for r in range(rows - VISIBLE_ROWS, rows)
    ]
    model_ms = (time.perf_counter() - started) * 1000
    assert rows == count and painted[-1][1].startswith(f"Message number {count} ")

    view = QListView()
    view.resize(600, 800)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(100)
    view.setWordWrap(True)
    view.show()
    QCoreApplication.processEvents()
    started = time.perf_counter()
    view.setModel(model)
    view.scrollToBottom()
    QCoreApplication.processEvents()
    view_ms = (time.perf_counter() - started) * 1000
    view.close()
    return {
        "big_group_messages": count,
        "big_group_fill_seconds": round(fill, 3),
        "big_group_fill_messages_per_second": round(count / fill),
        "big_group_fill_messages_per_cpu_second": round(count / fill_cpu),
        "open_model_ms": round(model_ms, 2),
        "open_with_qlistview_ms": round(view_ms, 2),
    }


async def run(args: argparse.Namespace, app: QApplication) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        bridge = make_bridge(Path(home))
        result = await ingest(bridge, args.messages, args.groups)
        result.update(await open_big_group(bridge, args.big, app))
        result["peak_rss_mb"] = round(rss_mb(), 1)
        bridge.session.sync.close()
        bridge.session.outbox.close()
        if bridge.session.cache is not None:
            bridge.session.cache.close()
        await bridge.session.rest.aclose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=RESULT_PATH)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    result = asyncio.run(run(args, app))
    result.update(
        {
            "targets": {"messages_per_second": 20_000, "open_ms": 50, "peak_rss_mb": 200},
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"client_ingest: {result['events_per_second']} events/s applied (v2 mix) "
        f"({result['messages_per_cpu_second']} per CPU-second) "
        f"({result['messages']} over {result['groups']} groups; {result['cache_flushes']} cache "
        f"flushes, slowest {result['cache_flush_ms_max']} ms), open 100k group "
        f"{result['open_model_ms']} ms (model) / {result['open_with_qlistview_ms']} ms (QListView), "
        f"peak RSS {result['peak_rss_mb']} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
