"""The members panel: toggled from the chat header, live as members come and go; the creator
renames the group and removes a member (asked first); system lines say so in the timeline."""

from __future__ import annotations

from typing import Any

from desktop_app.app import DesktopApp
from desktop_app.models.roles import MessageRoles
from desktop_app.ui.main_window import MIN_SIZE
from tests.ui.helpers import screenshot
from tests.ui.v2_helpers import UiKit, answer_modal, row_data


def test_members_panel_is_live_and_the_creator_renames_and_removes(ui: UiKit) -> None:
    desktop, server, users, sign_in, arun, wait_for, _ = ui
    alice_name, bob_name, carol_name = users(3)
    alice = sign_in(desktop, server.url, alice_name)
    bob = sign_in(desktop, server.url, bob_name)
    gid = arun(alice.bridge.create_group("Team", [bob_name])).id
    wait_for(lambda: alice.bridge.groups.row_of(gid) is not None)
    wait_for(lambda: bob.bridge.groups.row_of(gid) is not None)
    alice.open_group(gid)
    bob.open_group(gid)
    panel = alice.chat.members
    assert not panel.isVisible()
    alice.show()
    alice.chat.members_button.click()
    assert panel.isVisible()
    wait_for(lambda: len(panel.names()) == 2, timeout=10)
    assert any("(you, creator)" in n for n in panel.names())
    assert panel.rename_button.isVisible()
    # bob is no creator: no Rename, no Remove.
    bob.show()
    bob.chat.members_button.click()
    wait_for(lambda: len(bob.chat.members.names()) == 2, timeout=10)
    assert not bob.chat.members.rename_button.isVisible()
    # carol added elsewhere: the panel and the header follow, and a system line says so.
    arun(alice.bridge.add_member(gid, carol_name))
    wait_for(lambda: len(panel.names()) == 3, timeout=10)
    wait_for(lambda: alice.chat.subtitle.text() == "3 members", timeout=10)
    wait_for(
        lambda: any(
            s is not None and "added" in s.text for s in row_data(bob, MessageRoles.SYSTEM)
        ),
        timeout=10,
    )
    # Rename: everyone's header follows, with a system line.
    answer_modal("OK", text="Crew")
    panel.ask_rename()
    wait_for(lambda: bob.chat.title.text() == "Crew", timeout=10)
    wait_for(
        lambda: any(
            s is not None and "renamed the group to Crew" in s.text
            for s in row_data(bob, MessageRoles.SYSTEM)
        ),
        timeout=10,
    )
    # Remove bob (asked first): gone from alice's panel, and from bob's group list.
    bob_row = next(r for r in range(panel.list.count()) if bob_name in panel.list.item(r).toolTip())
    panel.list.setCurrentRow(bob_row)
    assert panel.remove_button.isEnabled()
    answer_modal("Yes")
    panel.remove_button.click()
    wait_for(lambda: len(panel.names()) == 2, timeout=10)
    wait_for(lambda: bob.bridge.groups.row_of(gid) is None, timeout=10)


def test_members_panel_sits_beside_the_messages_or_over_them_in_a_narrow_window(
    desktop: DesktopApp, server: Any, users: Any, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    alice_name, bob_name = users(2)
    alice = sign_in(desktop, server.url, alice_name)
    gid = arun(alice.bridge.create_group("Team", [bob_name])).id
    wait_for(lambda: alice.bridge.groups.row_of(gid) is not None)
    alice.open_group(gid)
    alice.resize(1000, 640)
    alice.show()
    alice.chat.members_button.click()
    view, panel = alice.chat.view, alice.chat.members
    wait_for(lambda: view.geometry().right() < panel.geometry().left())
    # Narrow: the panel covers the messages' right side instead of squeezing them.
    alice.resize(*MIN_SIZE)
    wait_for(lambda: view.width() > panel.width())
    wait_for(lambda: panel.geometry().right() == view.geometry().right())
    screenshot(alice, "members-panel-narrow")
    alice.chat.members_button.click()
    assert not panel.isVisible()
