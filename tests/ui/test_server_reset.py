"""The server at the app's address is reset (a fresh data dir on the same port): a message
typed for the old server is handed back with its group's name, never sent into the group that
now has its id, and nothing of the old server's history or previews survives, not even a
restart of the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.app import DesktopApp
from desktop_app.models.group_list_model import GroupRoles
from desktop_app.session.state import ConnState
from desktop_app.settings import Profile
from desktop_app.ui.dialogs.sign_in import SignInDialog
from desktop_app.ui.dialogs.undeliverable import UndeliverableDialog
from desktop_app.ui.main_window import MainWindow
from tests.client.peer import Peer
from tests.support.server import PASSWORD, ServerProcess, register, unique_name
from tests.ui.helpers import bodies, group_id, screenshot


def visible(kind: type) -> list[Any]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def previews(window: MainWindow) -> dict[str, str]:
    model = window.bridge.groups
    return {
        str(model.index(r, 0).data()): str(model.index(r, 0).data(GroupRoles.PREVIEW))
        for r in range(model.rowCount())
    }


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


def test_a_message_typed_for_the_old_server_is_handed_back_not_sent_into_the_new_servers_group(
    desktop: DesktopApp,
    servers: list[ServerProcess],
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    earlier = set(visible(UndeliverableDialog))  # other tests' windows may still be up
    old = ServerProcess(tmp_path / "old")
    servers.append(old.start())
    alice, bob, carol = unique_name("alice"), unique_name("bob"), unique_name("carol")
    bob_peer = Peer(old.url, register(old.url, bob))
    register(old.url, alice)
    bob_peer.create_group("Alpha", [alice])
    bravo = bob_peer.create_group("Bravo", [alice])
    bob_peer.send(bravo, "old bravo history")
    bob_peer.close()
    window = sign_in(desktop, old.url, alice)
    wait_for(lambda: window.bridge.status.state is ConnState.LIVE)
    window.open_group(bravo)
    wait_for(lambda: bodies(window) == ["old bravo history"])

    old.kill()
    wait_for(lambda: window.bridge.status.state is not ConnState.LIVE)
    qtbot.keyClicks(window.chat.composer.edit, "meant for bravo")
    qtbot.keyClick(window.chat.composer.edit, Qt.Key.Key_Return)
    assert bodies(window) == ["old bravo history", "meant for bravo"]
    screenshot(window, "reset-1-pending-while-down")

    # A fresh data dir on the same address: users register again, and carol's second group
    # with alice gets Bravo's id.
    fresh = ServerProcess(tmp_path / "fresh", port=old.port)
    servers.append(fresh.start())
    carol_peer = Peer(fresh.url, register(fresh.url, carol))
    register(fresh.url, alice)
    carol_peer.create_group("Stranger one", [alice])
    stranger_two = carol_peer.create_group("Stranger two", [alice])
    assert stranger_two == bravo
    carol_peer.send(stranger_two, "hello from carol")

    # The old token is refused: alice signs in again when asked.
    wait_for(lambda: bool(visible(SignInDialog)), timeout=30)
    dialog = visible(SignInDialog)[0]
    dialog.password.set_text(PASSWORD)
    dialog.submit()

    def handed() -> list[UndeliverableDialog]:
        return [d for d in visible(UndeliverableDialog) if d not in earlier]

    wait_for(lambda: bool(handed()), timeout=30)
    [handed_back] = handed()
    assert handed_back.notice.group_name == "Bravo"
    assert handed_back.shown_text() == "meant for bravo"
    assert "not the one “Bravo” was on" in handed_back.explanation.text()
    screenshot(handed_back, "reset-2-handed-back")
    wait_for(lambda: len(desktop.windows) == 1 and desktop.windows[0] is not window)
    new = desktop.windows[0]
    wait_for(lambda: new.bridge.status.state is ConnState.LIVE, timeout=30)
    wait_for(lambda: set(previews(new)) == {"Stranger one", "Stranger two"})
    assert new.bridge.outbox_length == 0
    new.open_group(stranger_two)
    wait_for(lambda: bodies(new) == ["hello from carol"])
    assert new.chat.composer.edit.hint() == "Message Stranger two…"
    assert "old bravo" not in previews(new)["Stranger two"]
    assert [m["body"] for m in carol_peer.all_messages(stranger_two)] == ["hello from carol"]
    screenshot(new, "reset-3-new-server")

    # Restarted (here: the window closed and the profile opened again with the server down),
    # the app shows the new server's groups from its cache, and nothing of the old one.
    profile_name = new.profile.name
    handed_back.close()
    new.close()
    desktop.ask_sign_in(Profile.load("keep-alive"))  # the app stays up meanwhile
    wait_for(lambda: not desktop.windows and not new.bridge.session.realtime.connected)
    fresh.stop()
    again = arun(desktop.open_profile(profile_name))
    assert isinstance(again, MainWindow)
    wait_for(lambda: set(previews(again)) == {"Stranger one", "Stranger two"})
    assert "hello from carol" in previews(again)["Stranger two"]
    screenshot(again, "reset-4-restarted-offline")
    assert group_id(again, "Bravo") is None
    assert again.bridge.outbox_length == 0
    carol_peer.close()
