"""The server's identity in every piece of local state: nothing is sent before a `ready`
confirms the server, a server restored from an older backup gets nothing sent into the ids it
reuses and shows no mixed history, and another instance at the same address (even one that
knows the token) gets nothing at all; the unsent text comes back under its group's name."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from chat_server.config import SQLITE_FILE
from desktop_app.models.bridge import SessionBridge
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.session.session import Undeliverable
from desktop_app.session.state import ConnState
from desktop_app.session.sync import Removal
from desktop_app.settings import Profile
from tests.client.peer import Peer
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]
QUIET_MS = 1500  # long enough for a wrong send to reach the server


def bodies(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.BODY) for r in range(model.rowCount())]


def stored(peer: Peer, group: int) -> list[str]:
    return [m["body"] for m in peer.all_messages(group)]


def handed_back(bridge: SessionBridge) -> list[Undeliverable]:
    notices: list[Undeliverable] = []
    bridge.undeliverable.connect(notices.append)
    return notices


def test_nothing_is_sent_until_the_ready_of_the_server_arrives(
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
    qtbot: QtBot,
) -> None:
    alice, bob = register(fresh_server.url), register(fresh_server.url)
    peer = Peer(fresh_server.url, bob)
    team = peer.create_group("Team", [alice[0]["username"]])
    bridge = make_bridge(fresh_server.url, alice)
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    realtime = bridge.session.realtime
    realtime.hold()  # the next connection's `ready` waits here
    arun(realtime.disconnect_now())
    wait_for(lambda: realtime.held_count > 0)  # reconnected; its ready is held
    bridge.send(team, "waits for ready")
    qtbot.wait(QUIET_MS)  # the loop runs: a sender not waiting would post now
    assert stored(peer, team) == []
    realtime.release()
    wait_for(lambda: bridge.outbox_length == 0)
    assert stored(peer, team) == ["waits for ready"]
    peer.close()


def test_a_server_restored_from_an_older_backup_gets_nothing_sent_into_reused_ids(
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    name = alice[0]["username"]
    bob_peer = Peer(server.url, bob)
    alpha = bob_peer.create_group("Alpha", [name])
    for body in ("alpha 1", "alpha 2"):
        bob_peer.send(alpha, body)
    server.stop()
    backup = tmp_path / "backup"
    shutil.copytree(server.data_dir, backup)
    server.start()
    bravo = bob_peer.create_group("Bravo", [name])
    for body in ("bravo 1", "bravo 2", "bravo 3", "alpha 3", "alpha 4"):
        bob_peer.send(bravo if body.startswith("bravo") else alpha, body)

    bridge = make_bridge(server.url, alice, profile="alice")
    notices = handed_back(bridge)
    alpha_model, bravo_model = bridge.message_model(alpha), bridge.message_model(bravo)
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    wait_for(lambda: len(bodies(alpha_model)) == 4 and len(bodies(bravo_model)) == 3)
    server.kill()
    wait_for(lambda: bridge.status.state is not ConnState.LIVE)
    bridge.send(bravo, "to bravo")
    bridge.send(alpha, "to alpha")

    # The operator restores the backup; a new group takes Bravo's id before alice is back.
    shutil.rmtree(server.data_dir)
    shutil.copytree(backup, server.data_dir)
    server.start()
    carol_peer = Peer(server.url, register(server.url))
    stranger = carol_peer.create_group("Stranger", [name])
    assert stranger == bravo
    carol_peer.send(stranger, "carol here")

    wait_for(lambda: len(notices) == 2, timeout=30)
    assert {n.group_name: n.bodies for n in notices} == {
        "Bravo": ["to bravo"],
        "Alpha": ["to alpha"],
    }
    assert {n.reason for n in notices} == {Removal.LOST}
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    wait_for(lambda: bodies(bridge.message_model(stranger)) == ["carol here"])
    wait_for(lambda: bodies(bridge.message_model(alpha)) == ["alpha 1", "alpha 2"])
    qtbot.wait(QUIET_MS)
    assert stored(carol_peer, stranger) == ["carol here"]
    assert stored(bob_peer, alpha) == ["alpha 1", "alpha 2"]
    assert bridge.outbox_length == 0
    names = {bridge.groups.index(r, 0).data() for r in range(bridge.groups.rowCount())}
    assert names == {"Alpha", "Stranger"}
    bob_peer.close()
    carol_peer.close()


def test_another_instance_that_knows_the_token_gets_nothing_and_the_text_comes_back(
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    arun: Callable[..., Any],
    qtbot: QtBot,
) -> None:
    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    team = peer.create_group("Team", [alice[0]["username"]])
    bridge = make_bridge(server.url, alice, profile="alice")
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    server.kill()
    wait_for(lambda: bridge.status.state is not ConnState.LIVE)
    bridge.send(team, "typed for the old server")
    # The same data under another identity (a copy set up as a new server): ids and the
    # token all match, only the instance says it is not the server the message was typed for.
    other = str(uuid.uuid4())
    with sqlite3.connect(server.data_dir / SQLITE_FILE) as db:
        db.execute("UPDATE server_meta SET value = ? WHERE key = 'instance_id'", (other,))
    server.start()

    wait_for(lambda: bridge.status.state is ConnState.AUTH_FAILED, timeout=30)
    assert "another server" in (bridge.status.last_error or "")
    qtbot.wait(QUIET_MS)
    assert stored(peer, team) == []
    assert bridge.outbox_length == 1, "kept until a session of the new server hands it back"
    arun(bridge.stop())

    # Signing in again there records the new instance (remember_user); its session hands
    # the text back instead of sending it.
    profile = Profile.load("alice")
    profile.instance_id = other
    profile.save()
    again = make_bridge(server.url, alice, profile="alice")
    notices = handed_back(again)
    notices.extend(again.take_undelivered())
    wait_for(lambda: again.status.state is ConnState.LIVE)
    assert [(n.group_name, n.bodies, n.reason) for n in notices] == [
        ("Team", ["typed for the old server"], Removal.OTHER_SERVER)
    ]
    qtbot.wait(QUIET_MS)
    assert stored(peer, team) == []
    assert again.outbox_length == 0
    peer.close()


def test_a_restored_group_written_past_what_was_held_shows_only_the_servers_history(
    fresh_server: ServerProcess,
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    """Restored to #2 while alice held #4, then written to #5 before she is back: the heads
    say nothing (5 > 4), but #4 is another message now; the group starts over."""
    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    bob_peer = Peer(server.url, bob)
    alpha = bob_peer.create_group("Alpha", [alice[0]["username"]])
    for body in ("a1", "a2"):
        bob_peer.send(alpha, body)
    server.stop()
    backup = tmp_path / "backup"
    shutil.copytree(server.data_dir, backup)
    server.start()
    for body in ("a3", "a4"):
        bob_peer.send(alpha, body)
    bridge = make_bridge(server.url, alice, profile="alice")
    notices = handed_back(bridge)
    model = bridge.message_model(alpha)
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    wait_for(lambda: bodies(model) == ["a1", "a2", "a3", "a4"])
    server.kill()
    wait_for(lambda: bridge.status.state is not ConnState.LIVE)
    bridge.send(alpha, "to alpha")

    shutil.rmtree(server.data_dir)
    shutil.copytree(backup, server.data_dir)
    server.start()
    for body in ("b3", "b4", "b5"):
        bob_peer.send(alpha, body)

    wait_for(lambda: bridge.status.state is ConnState.LIVE, timeout=30)
    wait_for(lambda: bodies(bridge.message_model(alpha)) == ["a1", "a2", "b3", "b4", "b5"])
    assert [(n.group_name, n.bodies, n.reason) for n in notices] == [
        ("Alpha", ["to alpha"], Removal.LOST)
    ]
    qtbot.wait(QUIET_MS)
    assert stored(bob_peer, alpha) == ["a1", "a2", "b3", "b4", "b5"]
    assert bodies(bridge.message_model(alpha)) == ["a1", "a2", "b3", "b4", "b5"]
    bob_peer.close()
