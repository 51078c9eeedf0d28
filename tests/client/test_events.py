"""Protocol v2 in the client: every log event kind applied, catch-up by the log, the outbox of
edits, deletions and reactions, seen-by ticks (against the real server)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_app.models.bridge import SessionBridge
from desktop_app.models.group_list_model import GroupRoles
from desktop_app.models.message_model import MessageModel
from desktop_app.models.roles import MemberRoles, MessageRoles
from desktop_app.session.extras import Ticks
from desktop_app.session.state import ConnState
from tests.client.converge import client_state, server_state
from tests.client.peer import Peer
from tests.client.v2 import ClientKit, peer_group
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]


def live(bridge: SessionBridge) -> bool:
    return bridge.status.state is ConnState.LIVE


def column(model: MessageModel, role: MessageRoles) -> list[Any]:
    return [model.data(model.index(r), role) for r in range(model.rowCount())]


def theirs_and_mine(
    kit: ClientKit, name: str, mine: str
) -> tuple[Auth, SessionBridge, Peer, int, dict[str, Any]]:
    """Alice's live bridge in bob's group `name` holding bob's "theirs" and her stored `mine`
    (in that order). Returns (alice, her bridge, bob's Peer, the group, bob's message)."""
    (alice, _bob), peer, group = peer_group(kit, name)
    theirs = peer.send(group, "theirs")
    bridge = kit.make_bridge(kit.server.url, alice)
    kit.wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    bridge.send(group, mine)
    kit.wait_for(lambda: column(model, MessageRoles.STATE) == ["sent", "sent"])
    return alice, bridge, peer, group, theirs


def test_every_event_kind_is_applied_live_and_matches_the_server(kit: ClientKit) -> None:
    server, _, make_bridge, wait_for = kit
    (alice, bob, carol, dave), peer, group = peer_group(kit, "Team", 3, in_group=2)
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    first = peer.send(group, "first")
    wait_for(lambda: column(model, MessageRoles.BODY) == ["first"])
    notified: list[str] = []
    bridge.message_received.connect(lambda _g, m: notified.append(m.body))

    reply = peer.reply(group, "a reply", first["id"])
    peer.post_event(group, "message.edited", message_id=first["id"], body="first, edited")
    peer.post_event(group, "reaction.added", message_id=first["id"], emoji="👍")
    Peer(server.url, carol).post_event(group, "reaction.added", message_id=first["id"], emoji="👍")
    peer.post_event(group, "reaction.removed", message_id=first["id"], emoji="👍")
    peer.add_member(group, dave[0]["username"])
    peer.post_event(group, "member.removed", user_id=carol[0]["id"])
    peer.post_event(group, "group.renamed", name="Renamed team")
    gone = peer.send(group, "to be deleted")
    peer.post_event(group, "message.deleted", message_id=gone["id"])

    wait_for(lambda: client_state(bridge.session, group) == server_state(peer, group))
    assert column(model, MessageRoles.SYSTEM)[2:5] != [None, None, None]
    lines = [s.text for s in column(model, MessageRoles.SYSTEM) if s is not None]
    bob_name, dave_name = bob[0]["display_name"], dave[0]["display_name"]
    assert lines == [
        f"{bob_name} added {dave_name}",
        f"{bob_name} removed {carol[0]['display_name']}",
        f"{bob_name} renamed the group to Renamed team",
    ]
    row0 = model.index(0)
    assert row0.data(MessageRoles.EDITED_AT) is not None
    chips = row0.data(MessageRoles.REACTIONS)
    assert [(c.emoji, c.count, c.mine) for c in chips] == [("👍", 1, False)]
    assert model.index(1).data(MessageRoles.REPLY_TO).excerpt == "first, edited"
    assert model.index(1).data(MessageRoles.REPLY_TO_ID) == first["id"]
    assert reply["reply_to"]["message_id"] == first["id"]
    assert column(model, MessageRoles.DELETED)[-1] is True
    groups = bridge.groups
    row = groups.row_of(group)
    assert row is not None
    assert groups.data(groups.index(row), GroupRoles.NAME) == "Renamed team"
    assert groups.data(groups.index(row), GroupRoles.MEMBER_COUNT) == 3
    members = bridge.members_model(group)
    names = {members.data(members.index(r), MemberRoles.USER_ID) for r in range(members.rowCount())}
    assert names == {alice[0]["id"], bob[0]["id"], dave[0]["id"]}
    # Unread counts messages only: "first" and "a reply" (the deleted one, the reactions,
    # the edit and the system lines do not count), as the server counts them.
    server_unread = next(g for g in peer_groups(alice, server) if g["id"] == group)["unread_count"]
    assert bridge.groups.unread(group) == server_unread == 2
    # Notifications: the two new messages only (not the edit, reactions, lines, deletion).
    assert notified == ["a reply", "to be deleted"]


def peer_groups(auth: Auth, server: ServerProcess) -> list[dict[str, Any]]:
    import httpx

    r = httpx.get(
        f"{server.url}/api/groups", headers={"Authorization": f"Bearer {auth[1]}"}, timeout=30
    )
    r.raise_for_status()
    return list(r.json()["groups"])


def test_events_missed_live_are_caught_up_from_the_log(kit: ClientKit) -> None:
    server, _, make_bridge, wait_for = kit
    (alice, _bob), peer, group = peer_group(kit, "Missed")
    first = peer.send(group, "one")
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    wait_for(lambda: column(model, MessageRoles.BODY) == ["one"])
    # Every log event is lost on the way: only catch-up (the ping's heads) can bring them.
    bridge.session.realtime.inbound_filter = lambda event, data: event != "event"

    peer.post_event(group, "message.edited", message_id=first["id"], body="one, edited")
    peer.post_event(group, "reaction.added", message_id=first["id"], emoji="🎉")
    peer.send(group, "two")
    peer.post_event(group, "group.renamed", name="Found again")

    wait_for(lambda: client_state(bridge.session, group) == server_state(peer, group))
    assert bridge.journal.texts("gap_detected")


def test_own_edits_deletes_and_reactions_wait_offline_in_order_and_are_sent_once(
    fresh_kit: ClientKit, arun: Callable[..., Any]
) -> None:
    server, _, make_bridge, wait_for = fresh_kit
    alice, bridge, peer, group, theirs = theirs_and_mine(fresh_kit, "Offline", "mine, stored")
    model = bridge.message_model(group)
    mine_id = model.index(1).data(MessageRoles.ID)
    server.kill()
    wait_for(lambda: not live(bridge))

    bridge.edit_message(group, mine_id, "mine, edited offline")
    assert model.index(1).data(MessageRoles.PENDING_EDIT) == "mine, edited offline"
    bridge.react(group, theirs["id"], "❤️", True)
    pending = bridge.send(group, "typed offline")
    bridge.edit_message(group, None, "typed offline, fixed", client_msg_id=pending)
    doomed = bridge.send(group, "never sent")
    bridge.delete_message(group, None, client_msg_id=doomed)
    bridge.delete_message(group, mine_id)
    chips = model.index(0).data(MessageRoles.REACTIONS)
    assert [(c.emoji, c.mine, c.pending) for c in chips] == [("❤️", True, True)]
    assert model.index(1).data(MessageRoles.PENDING_DELETE) is True
    assert [i.kind for i in bridge.session.outbox.items()] == [
        "message.edited",
        "reaction.added",
        "message",
        "message.deleted",
    ]
    # The app's session restarts: the outbox is on disk, with the ids chosen above.
    ids_before = [i.client_msg_id for i in bridge.session.outbox.items()]
    arun(bridge.stop())
    again = make_bridge(server.url, alice)  # still offline: the outbox shows again
    shown = again.message_model(group)
    assert shown.index(1).data(MessageRoles.PENDING_EDIT) == "mine, edited offline"
    assert shown.index(1).data(MessageRoles.PENDING_DELETE) is True
    assert [c.pending for c in shown.index(0).data(MessageRoles.REACTIONS)] == [True]
    server.start()
    wait_for(lambda: live(again) and again.session.outbox.count() == 0)

    wait_for(lambda: client_state(again.session, group) == server_state(peer, group))
    log = peer.events(group)
    mine = [e for e in log if e["actor"]["id"] == alice[0]["id"]]
    assert [e["kind"] for e in mine] == [
        "message.posted",
        "message.edited",
        "reaction.added",
        "message.posted",
        "message.deleted",
    ], "typed order, each once"
    assert [e["client_event_id"] for e in mine[1:]] == ids_before
    bodies = [m["body"] for m in peer.all_messages(group)]
    assert bodies == ["theirs", "", "typed offline, fixed"], "never sent stayed unsent"
    model = again.message_model(group)
    chips = model.index(0).data(MessageRoles.REACTIONS)
    assert [(c.emoji, c.mine, c.pending) for c in chips] == [("❤️", True, False)]
    assert model.index(1).data(MessageRoles.PENDING_DELETE) is False
    assert model.index(1).data(MessageRoles.DELETED) is True


def test_a_refused_edit_settles_as_failed_with_the_servers_reason(kit: ClientKit) -> None:
    server, _, make_bridge, wait_for = kit
    (alice, _bob), peer, group = peer_group(kit, "Rules")
    theirs = peer.send(group, "bob's")
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    failures: list[tuple[int, str, str]] = []
    bridge.intent_failed.connect(lambda g, k, r: failures.append((g, k, r)))

    bridge.edit_message(group, theirs["id"], "not mine to edit")
    bridge.rename_group(group, "not my group")

    wait_for(lambda: len(failures) == 2)
    assert [k for _g, k, _r in failures] == ["message.edited", "group.renamed"]
    assert bridge.session.outbox.count() == 0, "settled, not retried forever"
    model = bridge.message_model(group)
    assert model.index(0).data(MessageRoles.PENDING_EDIT) is None
    assert model.index(0).data(MessageRoles.ERROR)
    assert peer.group(group)["name"] == "Rules"


def test_seen_by_ticks_follow_the_members_read_markers(kit: ClientKit) -> None:
    server, _, make_bridge, wait_for = kit
    (alice, bob, carol), peer, group = peer_group(kit, "Ticks", 2)
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    bridge.send(group, "did you read this?")
    wait_for(lambda: column(model, MessageRoles.TICKS) == [Ticks.ONE])
    seq = model.index(0).data(MessageRoles.SEQ)

    peer.mark_read(group, seq)
    wait_for(lambda: column(model, MessageRoles.READ_BY) == [[bob[0]["display_name"]]])
    assert column(model, MessageRoles.TICKS) == [Ticks.ONE], "carol has not read it"
    Peer(server.url, carol).mark_read(group, seq)
    wait_for(lambda: column(model, MessageRoles.TICKS) == [Ticks.TWO])


def test_the_cache_keeps_edits_tombstones_reactions_lines_and_members_across_a_restart(
    fresh_kit: ClientKit, arun: Callable[..., Any]
) -> None:
    server, _, make_bridge, wait_for = fresh_kit
    (alice, _bob, carol), peer, group = peer_group(fresh_kit, "Kept", 2, in_group=1)
    first = peer.send(group, "first")
    peer.reply(group, "reply", first["id"])
    gone = peer.send(group, "gone")
    peer.post_event(group, "message.edited", message_id=first["id"], body="first, edited")
    peer.post_event(group, "message.deleted", message_id=gone["id"])
    peer.add_member(group, carol[0]["username"])
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    model = bridge.message_model(group)
    peer.post_event(group, "reaction.added", message_id=first["id"], emoji="🎉")
    peer.post_event(group, "group.renamed", name="Kept, renamed")
    wait_for(lambda: client_state(bridge.session, group) == server_state(peer, group))
    before = client_state(bridge.session, group)
    lines = [s.text for s in column(model, MessageRoles.SYSTEM) if s is not None]
    arun(bridge.stop())
    server.kill()

    again = make_bridge(server.url, alice)  # offline: what shows is the cache's

    assert client_state(again.session, group) == before
    model = again.message_model(group)
    assert [s.text for s in column(model, MessageRoles.SYSTEM) if s is not None] == lines
    assert again.session.sync.timeline(group).hi == bridge.session.sync.timeline(group).hi


def test_a_group_joined_live_shows_its_members_and_follows_them(kit: ClientKit) -> None:
    server, register, make_bridge, wait_for = kit
    alice, bob, carol = (register(server.url) for _ in range(3))
    bridge = make_bridge(server.url, alice)
    wait_for(lambda: live(bridge))
    peer = Peer(server.url, bob)

    group = peer.create_group("Joined live", [alice[0]["username"]])
    wait_for(lambda: len(bridge.session.members(group)) == 2)
    members = bridge.members_model(group)
    assert members.creator_id == bob[0]["id"]
    peer.add_member(group, carol[0]["username"])

    wait_for(lambda: members.rowCount() == 3)
    who = [members.data(members.index(r), MemberRoles.IS_CREATOR) for r in range(3)]
    assert who.count(True) == 1


def test_views_hear_edits_reactions_and_reads_as_data_changes(kit: ClientKit) -> None:
    _, _, _, wait_for = kit
    _alice, bridge, peer, group, theirs = theirs_and_mine(kit, "Repaint", "mine")
    model = bridge.message_model(group)
    wait_for(lambda: len(bridge.session.members(group)) == 2)
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row())))

    peer.post_event(group, "message.edited", message_id=theirs["id"], body="theirs, edited")
    wait_for(lambda: (0, 0) in changed)
    changed.clear()
    peer.post_event(group, "reaction.added", message_id=theirs["id"], emoji="👍")
    wait_for(lambda: (0, 0) in changed)
    changed.clear()
    peer.mark_read(group, model.index(1).data(MessageRoles.SEQ))
    wait_for(lambda: any(a <= 1 <= b for a, b in changed))
    assert model.index(1).data(MessageRoles.TICKS) == Ticks.TWO
