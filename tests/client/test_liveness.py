"""A server that hangs (SIGSTOP) with the socket still open: the status stops saying Live,
the client reconnects, and a message typed meanwhile is stored once when the server wakes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.models.bridge import SessionBridge
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.session.connection import PING_INTERVAL
from desktop_app.session.state import ConnectionStatus, ConnState
from desktop_app.session.timeline import PENDING, SENT
from tests.client.peer import Peer
from tests.support.server import ServerProcess

Auth = tuple[dict[str, Any], str]
# The bound is 10 s; the test allows more for a loaded machine, still far below the
# ~45 s the transport's own timeout took to notice before the fix.
NOTICE_WAIT = 20.0


def states(model: MessageModel) -> list[str]:
    return [model.data(model.index(r), MessageRoles.STATE) for r in range(model.rowCount())]


@pytest.fixture
def stoppable(fresh_server: ServerProcess) -> Iterator[Callable[[bool], None]]:
    """`pause(True)` SIGSTOPs the server, `pause(False)` SIGCONTs it; always resumed at the end."""
    proc = fresh_server.proc
    assert proc is not None
    stopped = False

    def pause(on: bool) -> None:
        nonlocal stopped
        os.kill(proc.pid, signal.SIGSTOP if on else signal.SIGCONT)
        stopped = on

    yield pause
    if stopped:
        os.kill(proc.pid, signal.SIGCONT)


def test_a_hung_server_is_not_responding_then_reconnected_and_the_pending_message_sent_once(
    fresh_server: ServerProcess,
    stoppable: Callable[[bool], None],
    register: Callable[..., Auth],
    make_bridge: Callable[..., SessionBridge],
    wait_for: Callable[..., None],
    qtbot: QtBot,
) -> None:
    server = fresh_server
    alice, bob = register(server.url), register(server.url)
    peer = Peer(server.url, bob)
    group = peer.create_group("Hang", [alice[0]["username"]])
    # The app's own ping period, not the tests' fast one: the bound is about real settings.
    bridge = make_bridge(server.url, alice, ping_interval=PING_INTERVAL)
    wait_for(lambda: bridge.status.state is ConnState.LIVE)
    bridge.set_active_group(group)
    model = bridge.message_model(group)
    seen: list[ConnectionStatus] = []
    bridge.status_changed.connect(seen.append)

    stoppable(True)
    hung_at = time.monotonic()
    bridge.send(group, "typed while the server hangs")
    assert states(model) == [PENDING]
    wait_for(lambda: bridge.status.state is not ConnState.LIVE, timeout=NOTICE_WAIT)
    noticed_after = time.monotonic() - hung_at
    # (A ping answered just before the stop may still refresh the round trip first.)
    down = next(i for i, s in enumerate(seen) if s.state is not ConnState.LIVE)
    assert seen[down].state is ConnState.NOT_RESPONDING, seen
    assert "ping" in (seen[down].last_error or "")
    # While it stays silent, nothing says Live again (the reconnect attempts hang too).
    wait_for(lambda: bridge.status.state is ConnState.RECONNECTING, timeout=NOTICE_WAIT)
    qtbot.wait(1000)
    assert all(s.state is not ConnState.LIVE for s in seen[down:])
    assert states(model) == [PENDING]

    stoppable(False)
    wait_for(lambda: bridge.status.state is ConnState.LIVE, timeout=60)
    wait_for(lambda: states(model) == [SENT], timeout=30)
    stored = [m["body"] for m in peer.all_messages(group)]
    assert stored == ["typed while the server hangs"]
    print(f"status left Live {noticed_after:.1f} s after SIGSTOP")
