"""Stories of the local cache: start offline with the last run's groups and history, then sync."""

from __future__ import annotations

import ast
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop_app.models.bridge import SessionBridge
from desktop_app.models.group_list_model import GroupRoles
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.session.cache import CACHED_MESSAGES_PER_GROUP
from desktop_app.session.state import ConnState
from desktop_app.settings import Profile
from tests.client.peer import Peer
from tests.client.reading import read_on_screen
from tests.client.seed import seed_history
from tests.support.server import ServerProcess, auth_headers

Auth = tuple[dict[str, Any], str]


def bodies(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.BODY) for r in range(model.rowCount())]


def states(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.STATE) for r in range(model.rowCount())]


def seqs(model: MessageModel) -> list[int]:
    return [model.data(model.index(r), MessageRoles.SEQ) for r in range(model.rowCount())]


def listed(bridge: SessionBridge) -> dict[int, dict[str, Any]]:
    """The group list as the user sees it: name, preview and unread count per group."""
    groups = bridge.groups
    out = {}
    for row in range(groups.rowCount()):
        index = groups.index(row)
        out[groups.data(index, GroupRoles.GROUP_ID)] = {
            "name": groups.data(index),
            "preview": groups.data(index, GroupRoles.PREVIEW),
            "unread": groups.data(index, GroupRoles.UNREAD),
        }
    return out


def live(bridge: SessionBridge) -> bool:
    return bridge.status.state is ConnState.LIVE


def cached_group_ids(path: Path) -> list[int]:
    with sqlite3.connect(path) as db:
        return [gid for (gid,) in db.execute("SELECT group_id FROM groups ORDER BY group_id")]


def catchup_requests(bridge: SessionBridge, group_id: int, after_seq: int) -> int:
    """GET requests for the group's log (events) after `after_seq` (RestClient keeps a history)."""
    path = f"/api/groups/{group_id}/events"
    return sum(
        1
        for _m, p, q in bridge.session.rest.history
        if p == path and q and ast.literal_eval(q).get("after_seq") == after_seq
    )


def test_started_offline_shows_cached_groups_history_and_pending_then_syncs_each_message_once(
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    bob_name = bob[0]["display_name"]
    peer = Peer(server.url, bob)
    train = peer.create_group("Train", [alice[0]["username"]])
    other = peer.create_group("Other", [alice[0]["username"]])
    for i in range(1, 4):
        peer.send(train, f"before {i}")
    peer.send(other, "other 1")
    peer.send(other, "other 2")
    first = make_bridge(server.url, alice, profile="alice")
    wait_for(lambda: live(first))
    first.set_active_group(train)
    wait_for(lambda: bodies(first.message_model(train)) == ["before 1", "before 2", "before 3"])
    read_on_screen(first, train)
    wait_for(lambda: bodies(first.message_model(other)) == ["other 1", "other 2"])
    wait_for(lambda: listed(first)[train]["unread"] == 0)
    list_before = listed(first)
    arun(first.stop())

    # While the app is closed Bob goes on; then the server goes away (the train leaves).
    missed = [f"while closed {i}" for i in range(1, 4)]
    for body in missed:
        peer.send(train, body)
    server.stop()

    second = make_bridge(server.url, alice, profile="alice")

    assert second.status.state in (ConnState.CONNECTING, ConnState.RECONNECTING)
    assert listed(second) == list_before, "groups, previews and unread counts as left"
    assert list_before[other] == {
        "name": "Other",
        "preview": f"{bob_name}: other 2",
        "unread": 2,
    }
    train_model, other_model = second.message_model(train), second.message_model(other)
    assert bodies(train_model) == ["before 1", "before 2", "before 3"]
    assert bodies(other_model) == ["other 1", "other 2"]
    assert second.journal.texts("offline_start") == [
        "Started offline: showing 2 group(s) and 5 cached message(s) from the last run; "
        "they sync when the server answers."
    ]
    second.set_active_group(train)
    cid = second.send(train, "typed on the train")
    assert states(train_model) == ["sent", "sent", "sent", "pending"]
    assert listed(second)[train]["preview"] == "You: typed on the train"

    announced: list[str] = []
    second.message_received.connect(lambda _gid, message: announced.append(message.body))

    server.start()
    wait_for(lambda: live(second), timeout=30)
    wait_for(lambda: second.outbox_length == 0)
    wait_for(lambda: len(bodies(train_model)) == 7)

    assert bodies(train_model) == [
        "before 1",
        "before 2",
        "before 3",
        *missed,
        "typed on the train",
    ]
    assert seqs(train_model) == list(range(1, 8)), "every message once, in seq order"
    assert states(train_model) == ["sent"] * 7
    assert train_model.row_for_client_msg_id(cid) == 6
    stored = peer.all_messages(train)
    assert [m["client_msg_id"] for m in stored].count(cid) == 1, "delivered once"
    # Caught up from the cached hi, the first page overlapping it by one (a restored server
    # would show another message there).
    assert catchup_requests(second, train, after_seq=2) >= 1, "caught up from the cached hi"
    assert not second.journal.texts("cache_dropped")
    assert announced == [], "what came while the app was closed is not notified, only shown"
    assert bodies(other_model) == ["other 1", "other 2"]
    assert listed(second)[other]["unread"] == 2
    peer.close()


def test_group_left_elsewhere_while_closed_is_removed_after_sync(
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    stay = peer.create_group("Stay", [alice[0]["username"]])
    leave = peer.create_group("Leave", [alice[0]["username"]])
    peer.send(leave, "soon gone")
    first = make_bridge(server.url, alice, profile="alice")
    wait_for(lambda: live(first) and set(listed(first)) == {stay, leave})
    wait_for(lambda: bodies(first.message_model(leave)) == ["soon gone"])
    arun(first.stop())
    # Alice leaves on her phone (another session) while this app is closed.
    response = httpx.delete(
        f"{server.url}/api/groups/{leave}/members/me", headers=auth_headers(alice[1])
    )
    response.raise_for_status()
    server.stop()

    second = make_bridge(server.url, alice, profile="alice")
    removed: list[int] = []
    second.group_removed.connect(removed.append)
    assert set(listed(second)) == {stay, leave}, "offline, the cache is all there is"

    server.start()
    wait_for(lambda: live(second), timeout=30)

    assert set(listed(second)) == {stay}
    assert removed == [leave]
    assert any("Leave" in t for t in second.journal.texts("group_removed"))
    arun(second.stop())
    assert cached_group_ids(Profile.load("alice").cache_path) == [stay]
    peer.close()


def test_another_account_on_the_profile_never_sees_the_cache_and_sign_out_deletes_it(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob, carol = register(server.url), register(server.url), register(server.url)
    peer = Peer(server.url, carol)
    secret = peer.create_group("Alice and Carol", [alice[0]["username"]])
    peer.send(secret, "for alice only")
    first = make_bridge(server.url, alice, profile="shared")
    wait_for(lambda: bodies(first.message_model(secret)) == ["for alice only"])
    arun(first.stop())
    cache_path = Profile.load("shared").cache_path
    assert cached_group_ids(cache_path) == [secret]

    # Same server, another user; the server is reachable but the cache is read first.
    as_bob = make_bridge(server.url, bob, profile="shared")
    assert secret not in listed(as_bob)
    assert not as_bob.session.timeline(secret).confirmed
    assert as_bob.journal.texts("cache_cleared")
    arun(as_bob.stop())
    assert cached_group_ids(cache_path) == []

    # The same user id on another server (nothing answers there: a cache would be all it shows).
    first = make_bridge(server.url, alice, profile="shared")
    wait_for(lambda: bodies(first.message_model(secret)) == ["for alice only"])
    arun(first.stop())
    other_url = server.url.replace("127.0.0.1", "127.0.0.2")
    elsewhere = make_bridge(other_url, alice, profile="shared")
    assert listed(elsewhere) == {}
    assert any("another account" in t for t in elsewhere.journal.texts("cache_cleared"))
    arun(elsewhere.stop())

    signed_in = make_bridge(server.url, alice, profile="shared")
    wait_for(lambda: bodies(signed_in.message_model(secret)) == ["for alice only"])
    arun(signed_in.sign_out())

    leftovers = sorted(p.name for p in cache_path.parent.glob(cache_path.name + "*"))
    assert leftovers == [], "a signed-out profile leaves no cache behind"
    assert signed_in.journal.texts("cache_deleted")
    peer.close()


@pytest.mark.parametrize("damage", ["garbage bytes", "unreadable row"])
def test_a_damaged_cache_is_ignored_and_rebuilt(
    damage: str,
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Damaged", [alice[0]["username"]])
    peer.send(group, "still here")
    first = make_bridge(server.url, alice, profile="alice")
    wait_for(lambda: bodies(first.message_model(group)) == ["still here"])
    arun(first.stop())
    path = Profile.load("alice").cache_path
    if damage == "garbage bytes":
        path.write_bytes(b"\x00not a database\xff" * 512)
    else:
        with sqlite3.connect(path) as db:
            db.execute('UPDATE groups SET payload = \'{"id": "one"}\'')

    second = make_bridge(server.url, alice, profile="alice")  # the server still answers
    wait_for(lambda: live(second))
    wait_for(lambda: bodies(second.message_model(group)) == ["still here"])
    errors = second.journal.texts("error")
    assert any("could not be read" in t and "rebuilt" in t for t in errors)
    arun(second.stop())

    server.stop()
    third = make_bridge(server.url, alice, profile="alice")
    assert set(listed(third)) == {group}, "the rebuilt cache works offline"
    assert bodies(third.message_model(group)) == ["still here"]
    peer.close()


def test_cache_far_behind_starts_from_the_newest_page_and_scrolls_back_contiguously(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Busy", [alice[0]["username"]])
    seed_history(server, group, bob[0]["id"], 10)
    first = make_bridge(server.url, alice, profile="alice")
    wait_for(lambda: len(bodies(first.message_model(group))) == 10)
    arun(first.stop())
    seed_history(server, group, bob[0]["id"], 60)  # 60 behind: more than the gap below

    second = make_bridge(server.url, alice, profile="alice", stale_cache_gap=40)
    model = second.message_model(group)
    wait_for(lambda: live(second))
    wait_for(lambda: seqs(model)[-1:] == [70])

    assert second.journal.texts("cache_dropped")
    assert catchup_requests(second, group, after_seq=10) == 0, "no paging through the gap"
    assert seqs(model) == list(range(21, 71)), "the newest page only"
    while model.has_older():
        arun(second.session.load_older(group))
    assert seqs(model) == list(range(1, 71))
    peer.close()


def test_scrolling_back_from_cached_history_pages_older_messages_from_the_server(
    server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Long", [alice[0]["username"]])
    total = CACHED_MESSAGES_PER_GROUP + 100
    seed_history(server, group, bob[0]["id"], total)
    first = make_bridge(server.url, alice, profile="alice", history_page=120)
    model = first.message_model(group)
    wait_for(lambda: len(bodies(model)) == 120)
    arun(first.session.load_older(group))
    arun(first.session.load_older(group))
    assert seqs(model) == list(range(1, total + 1))
    arun(first.stop())
    peer.send(group, "new since")

    second = make_bridge(server.url, alice, profile="alice", history_page=120)
    model = second.message_model(group)
    cached_lo = total - CACHED_MESSAGES_PER_GROUP + 1
    assert seqs(model)[0] == cached_lo, "the newest CACHED_MESSAGES_PER_GROUP are kept"
    assert model.has_older()
    wait_for(lambda: live(second))
    wait_for(lambda: seqs(model)[-1:] == [total + 1])
    arun(second.session.load_older(group))

    assert seqs(model) == list(range(1, total + 2)), "contiguous from 1, each once"
    assert not model.has_older()
    peer.close()


def test_server_data_replaced_behind_the_cache_shows_the_servers_messages_not_the_cached(
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
    tmp_path: Path,
) -> None:
    alice, bob = register(fresh_server.url), register(fresh_server.url)
    peer = Peer(fresh_server.url, bob)
    group = peer.create_group("Old", [alice[0]["username"]])
    for i in range(1, 6):
        peer.send(group, f"old {i}")
    first = make_bridge(fresh_server.url, alice, profile="alice")
    wait_for(lambda: len(bodies(first.message_model(group))) == 5)
    arun(first.stop())
    peer.close()
    fresh_server.stop()
    # The operator starts over with an empty data dir on the same address: the same ids
    # come back (alice is user 1 again, the group is group 1) with other messages.
    replaced = ServerProcess(tmp_path / "replaced", port=fresh_server.port).start()
    try:
        alice2, bob2 = register(replaced.url), register(replaced.url)
        assert (alice2[0]["id"], bob2[0]["id"]) == (alice[0]["id"], bob[0]["id"])
        peer = Peer(replaced.url, bob2)
        assert peer.create_group("New", [alice2[0]["username"]]) == group
        peer.send(group, "new 1")
        peer.send(group, "new 2")

        # Signing in there records the new server's instance in the profile (remember_user).
        profile = Profile.load("alice")
        profile.instance_id = httpx.get(f"{replaced.url}/healthz").json()["instance_id"]
        profile.save()
        second = make_bridge(replaced.url, alice2, profile="alice")
        model = second.message_model(group)
        assert bodies(model) == [], "another server's cache is never shown"
        wait_for(lambda: live(second))
        wait_for(lambda: bodies(model) == ["new 1", "new 2"])
        assert any("another account or server" in t for t in second.journal.texts("cache_cleared"))
        arun(second.stop())
        replaced.stop()

        third = make_bridge(replaced.url, alice2, profile="alice")  # offline: the cache only
        assert bodies(third.message_model(group)) == ["new 1", "new 2"]
        assert listed(third)[group]["name"] == "New"
        peer.close()
    finally:
        replaced.stop()


def test_an_outbox_item_already_in_the_cache_stays_queued_until_the_server_confirms_it(
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
) -> None:
    """The app stopped after its message was stored and cached but before the outbox heard
    of it. At the next start the message shows once (no second echo), and it leaves the
    outbox only on the server's answer; if the server lost it meanwhile (restored from a
    backup), that same retry stores it again."""
    from desktop_app.session.outbox import Outbox, OutboxItem

    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Crash window", [alice[0]["username"]])
    first = make_bridge(server.url, alice, profile="alice")
    wait_for(lambda: live(first))
    cid = first.send(group, "stored just before the crash")
    wait_for(lambda: first.outbox_length == 0)
    wait_for(lambda: states(first.message_model(group)) == ["sent"])
    arun(first.stop())
    # The crash window: put the message back into the outbox, as if it was never removed.
    outbox = Outbox(Profile.load("alice").outbox_path, alice[0]["id"])
    created = next(m for m in peer.all_messages(group) if m["client_msg_id"] == cid)
    outbox.add(OutboxItem(cid, group, "stored just before the crash", datetime_of(created)))
    outbox.close()

    second = make_bridge(server.url, alice, profile="alice")
    model = second.message_model(group)
    assert bodies(model) == ["stored just before the crash"], "shown once, from the cache"
    wait_for(lambda: live(second))
    wait_for(lambda: second.outbox_length == 0)
    posts = [p for m, p, _q in second.session.rest.history if m == "POST" and "messages" in p]
    assert posts, "settled by the server's answer to a retry, not dropped at start"
    assert bodies(model) == ["stored just before the crash"]
    assert [m["body"] for m in peer.all_messages(group)] == ["stored just before the crash"]
    peer.close()


def datetime_of(message: dict[str, Any]) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(message["created_at"].replace("Z", "+00:00"))
