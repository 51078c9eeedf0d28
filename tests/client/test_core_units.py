"""The Qt-free core's building blocks on their own: timeline, outbox, journal, settings, tasks."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from desktop_app.session.journal import Journal
from desktop_app.session.outbox import Outbox, OutboxItem
from desktop_app.session.timeline import FAILED, PENDING, SENT, Row, Timeline
from desktop_app.settings import Profile
from desktop_app.tasks import spawn

NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def row(seq: int, sender: int = 2, cid: str | None = None) -> Row:
    return Row(
        id=1000 + seq,
        seq=seq,
        sender_id=sender,
        sender_name=f"user{sender}",
        body=f"m{seq}",
        created_at=NOW,
        client_msg_id=cid or f"cid-{seq}",
        state=SENT,
        is_own=False,
    )


def echo(cid: str, body: str = "mine") -> Row:
    return Row(
        id=None,
        seq=None,
        sender_id=1,
        sender_name="me",
        body=body,
        created_at=NOW,
        client_msg_id=cid,
        state=PENDING,
        is_own=True,
    )


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def begin_insert(self, first: int, last: int) -> None:
        self.calls.append(("insert", first, last))

    def end_insert(self) -> None:
        pass

    def begin_remove(self, first: int, last: int) -> None:
        self.calls.append(("remove", first, last))

    def end_remove(self) -> None:
        pass

    def changed(self, first: int, last: int) -> None:
        self.calls.append(("changed", first, last))


def seqs(tl: Timeline) -> list[int | None]:
    return [tl.row(i).seq for i in range(len(tl))]


def test_timeline_keeps_seq_order_dedupes_by_id_and_tracks_the_contiguous_head() -> None:
    tl = Timeline(1)
    tl.merge([row(5), row(6)])
    tl.anchor(5, at_start=False)
    assert tl.hi == 6
    tl.merge([row(8)])  # 7 is missing: a gap
    assert tl.hi == 6
    result = tl.merge([row(7), row(8)])
    assert (result.added, result.duplicates) == (1, 1)
    assert seqs(tl) == [5, 6, 7, 8] and tl.hi == 8
    tl.merge([row(3), row(4)])  # an older page
    tl.anchor(3, at_start=False)
    assert seqs(tl) == [3, 4, 5, 6, 7, 8] and tl.lo == 3 and tl.has_older()


def test_timeline_batches_a_page_into_one_insert_notification() -> None:
    tl = Timeline(1)
    rec = Recorder()
    tl.observer = rec
    tl.merge([row(i) for i in range(51, 101)])
    tl.merge([row(i) for i in range(1, 51)])
    assert rec.calls == [("insert", 0, 49), ("insert", 0, 49)]


def test_own_echo_is_confirmed_in_place_when_it_lands_last() -> None:
    tl = Timeline(1)
    tl.merge([row(1)])
    rec = Recorder()
    tl.observer = rec
    tl.add_pending(echo("a"))
    tl.add_pending(echo("b"))
    result = tl.merge([row(2, sender=1, cid="a")])
    assert result.own_matched == 1 and result.matched_cids == ["a"]
    assert rec.calls[-1] == ("changed", 1, 1), "no remove/insert: the view does not jump"
    assert [tl.row(i).state for i in range(3)] == [SENT, SENT, PENDING]
    assert tl.row(1).is_own


def test_own_echo_out_of_order_moves_to_its_seq() -> None:
    tl = Timeline(1)
    tl.add_pending(echo("a"))
    tl.add_pending(echo("b"))
    tl.merge([row(1, sender=1, cid="b")])  # b was stored first (a was retried later)
    assert [tl.row(i).client_msg_id for i in range(2)] == ["b", "a"]
    assert tl.index_of_cid("a") == 1
    assert tl.set_pending_state("a", FAILED, "too long")
    assert tl.row(1).error == "too long"
    assert tl.drop_pending("a") and len(tl) == 1


def test_outbox_survives_reopen_in_order_and_keeps_users_apart(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path, user_id=1)
    for i in range(3):
        box.add(OutboxItem(f"c{i}", 7, f"body {i}", NOW))
    box.mark_failed("c1", "too long")
    box.close()
    other = Outbox(path, user_id=2)
    assert other.items() == []
    other.close()
    box = Outbox(path, user_id=1)
    assert [i.client_msg_id for i in box.items()] == ["c0", "c1", "c2"]
    assert box.items()[1].state == FAILED and box.items()[1].error == "too long"
    assert box.next_pending() is not None and box.next_pending().client_msg_id == "c0"  # type: ignore[union-attr]
    box.remove("c0")
    assert box.next_pending().client_msg_id == "c2"  # type: ignore[union-attr]
    assert box.mark_pending("c1")
    assert box.next_pending().client_msg_id == "c1"  # type: ignore[union-attr]
    assert box.count() == 2
    box.close()


def test_journal_is_a_bounded_ring_with_counters_and_subscribers() -> None:
    journal = Journal(capacity=3)
    seen: list[str] = []
    unsubscribe = journal.subscribe(lambda e: seen.append(e.text))
    for i in range(5):
        journal.record("received_live", f"message {i}", group_id=1)
    unsubscribe()
    journal.record("error", "after unsubscribe")
    assert [e.text for e in journal.entries()] == ["message 3", "message 4", "after unsubscribe"]
    assert journal.counters() == {"received_live": 5, "error": 1}
    assert len(seen) == 5


def test_profiles_are_separate_and_the_token_is_private(app_home: Path) -> None:
    one = Profile.load("one")
    one.server_url, one.username, one.token = "http://x", "alice", "secret-token"
    one.ui["theme"] = "dark"
    one.save()
    two = Profile.load("two")
    two.token = "other"
    two.save()

    again = Profile.load("one")
    assert (again.server_url, again.username, again.token) == ("http://x", "alice", "secret-token")
    assert again.ui == {"theme": "dark"}
    token_file = again.config_dir / "token"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert again.config_dir != two.config_dir and again.data_dir != two.data_dir
    assert str(again.config_dir).startswith(str(app_home))
    again.clear_token()
    assert Profile.load("one").token is None and Profile.load("two").token == "other"
    with pytest.raises(ValueError):
        Profile.load("../escape")


def test_spawn_keeps_the_task_and_logs_its_failure(
    arun: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("kaput")

    async def main() -> None:
        task = spawn(boom(), name="boom-task")
        await asyncio.wait([task])

    with caplog.at_level(logging.ERROR, logger="desktop_app.tasks"):
        arun(main())
    assert any("boom-task" in r.getMessage() for r in caplog.records)
