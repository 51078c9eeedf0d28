"""A click on a reply's quote jumps to the original, loading older history until it is held,
and highlights it."""

from __future__ import annotations

from typing import Any

from desktop_app.app import DesktopApp
from desktop_app.models.roles import MessageRoles
from tests.client.seed import seed_history
from tests.support.server import ServerProcess, register, unique_name
from tests.ui.v2_helpers import row_data

HISTORY = 300


def test_clicking_a_quote_loads_older_pages_and_highlights_the_original(
    desktop: DesktopApp, roomy_server: ServerProcess, sign_in: Any, arun: Any, wait_for: Any
) -> None:
    alice_name, bob_name = unique_name("qj"), unique_name("qj")
    register(roomy_server.url, alice_name)
    register(roomy_server.url, bob_name)
    alice = sign_in(desktop, roomy_server.url, alice_name)
    group = arun(alice.bridge.create_group("Quotes", [bob_name])).id
    alice.bridge.send(group, "the original")
    wait_for(lambda: alice.bridge.outbox_length == 0)
    alice.open_group(group)
    wait_for(lambda: None not in row_data(alice, MessageRoles.ID))
    original = row_data(alice, MessageRoles.ID)[-1]
    seed_history(roomy_server, group, alice.bridge.user.id, HISTORY)
    bob = sign_in(desktop, roomy_server.url, bob_name)
    wait_for(lambda: bob.bridge.groups.row_of(group) is not None)
    # Bob has read it all (elsewhere): opening the group shows the newest page only, and no
    # move to a first unread loads older pages on its own.
    newest = bob.bridge.session.sync.registry.get(group)
    assert newest is not None
    wait_for(lambda: newest.last_seq > HISTORY)
    bob.bridge.mark_seen(group, newest.last_seq)
    wait_for(lambda: bob.bridge.groups.unread(group) == 0)
    bob.show()
    bob.open_group(group)
    view = bob.chat.view
    wait_for(lambda: view.model() is not None and view.model().rowCount() > 0, timeout=20)
    assert original not in row_data(bob, MessageRoles.ID)
    # What the reader sees when the original lights up (it is lit for a moment only: a
    # loaded machine may look later than that).
    lit: list[tuple[int | None, bool, int | None]] = []

    def on_highlight(message_id: int | None) -> None:
        model = view.model()
        shown = False
        if model is not None and message_id is not None:
            index = next(
                (
                    model.index(r, 0)
                    for r in range(model.rowCount())
                    if model.index(r, 0).data(MessageRoles.ID) == message_id
                ),
                None,
            )
            shown = index is not None and view.viewport().rect().intersects(view.visualRect(index))
        lit.append((message_id, shown, view.itemDelegate().highlighted_id))

    view.jumper.highlight_changed.connect(on_highlight)
    view.itemDelegate().quote_clicked.emit(original)
    wait_for(lambda: len(lit) >= 1, timeout=30)
    assert lit[0] == (original, True, original)
    wait_for(lambda: view.jumper.highlighted is None, timeout=10)
    assert lit[-1] == (None, False, None)
