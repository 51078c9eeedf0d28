"""The app opened while the server is down shows the last run's groups and messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_app.app import AppOptions, DesktopApp
from desktop_app.models.group_list_model import GroupRoles
from desktop_app.session.state import ConnState
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import ThemeChoice
from tests.support.server import ServerProcess, register, unique_name
from tests.ui.conftest import FAST_SESSION
from tests.ui.helpers import bodies, create_group, post


def listed_names(window: MainWindow) -> list[tuple[str, str]]:
    """Name and preview of each row of the window's group list view, top to bottom."""
    model = window.groups.list.model()
    rows = []
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        rows.append((str(index.data()), str(index.data(GroupRoles.PREVIEW))))
    return rows


def test_window_opened_offline_shows_cached_groups_and_history_then_goes_live(
    qapp: Any,
    desktop: DesktopApp,
    fresh_server: ServerProcess,
    sign_in: Callable[..., MainWindow],
    arun: Callable[..., Any],
    wait_for: Callable[..., None],
) -> None:
    alice_name, bob_name = unique_name("ui"), unique_name("ui")
    register(fresh_server.url, alice_name)
    _bob, bob_token = register(fresh_server.url, bob_name)
    window = sign_in(desktop, fresh_server.url, alice_name)
    team = arun(create_group(fresh_server.url, bob_token, "Team", [alice_name]))
    arun(post(fresh_server.url, bob_token, team, "hello from before"))
    wait_for(lambda: [name for name, _ in listed_names(window)] == ["Team"])
    window.open_group(team)
    wait_for(lambda: bodies(window) == ["hello from before"])
    arun(desktop.shutdown(), timeout=20)  # the app is closed
    fresh_server.stop()

    again = DesktopApp(qapp, AppOptions(theme=ThemeChoice.LIGHT, session_options=FAST_SESSION))
    try:
        reopened = arun(again.open_profile(f"p-{alice_name}"))
        assert reopened is not None, "a remembered sign-in opens a window offline"
        wait_for(lambda: listed_names(reopened) == [("Team", f"{bob_name}: hello from before")])
        reopened.open_group(team)
        assert bodies(reopened) == ["hello from before"]
        assert reopened.bridge.status.state is not ConnState.LIVE

        fresh_server.start()
        wait_for(lambda: reopened.status.state_text() == "● Live", timeout=30)
        assert bodies(reopened) == ["hello from before"]
    finally:
        arun(again.shutdown(), timeout=20)
        again.deleteLater()
