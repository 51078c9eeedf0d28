"""`desktop-app --self-test`: an end-to-end check of this installation, with a report."""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TextIO

# Whole run, and any one wait inside it: a healthy run takes a few seconds.
TOTAL_TIMEOUT_S = 60.0
STEP_TIMEOUT_S = 20.0
POLL_INTERVAL_S = 0.02
# After both messages arrived, keep the loop running this long so a late duplicate would show.
SETTLE_S = 0.5
HOME_ENV = "DESKTOP_APP_HOME"
# Icons the window cannot do without: loading them proves the SVG plugins and resources/ are there.
REQUIRED_ICONS = ("app", "send", "pending", "failed")
# The theme loader falls back to no stylesheet when a file is missing, so check them here.
REQUIRED_THEMES = ("base", "light", "dark")


class SelfTestFailure(Exception):
    """A check of the self-test failed; the message says which and why."""


@dataclass
class Report:
    """Steps with their durations, printed as they finish."""

    out: TextIO
    steps: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        """Time one step and print it, or print it as failed and re-raise."""
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            self._line("FAIL", title, time.perf_counter() - start)
            raise
        elapsed = time.perf_counter() - start
        self.steps.append((title, elapsed))
        self._line("ok", title, elapsed)

    def _line(self, verdict: str, title: str, elapsed: float) -> None:
        print(f"  {verdict:<4} {title:<52} {elapsed * 1000:8.0f} ms", file=self.out, flush=True)


async def wait_for(
    check: Callable[[], bool], what: str | Callable[[], str], limit_s: float = STEP_TIMEOUT_S
) -> None:
    """Let the event loop run until `check()` is true, or fail saying what never happened."""
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise SelfTestFailure(f"timed out after {limit_s:.0f} s waiting until {described}")
        await asyncio.sleep(POLL_INTERVAL_S)


async def _maybe_await(value: Any) -> Any:
    """The server's start/stop may be plain or coroutine functions; accept both."""
    if inspect.isawaitable(value):
        return await value
    return value


def _rows(model: Any, role: int, value: object) -> list[int]:
    """Rows of a Qt list model whose `role` equals `value`."""
    return [r for r in range(model.rowCount()) if model.data(model.index(r, 0), role) == value]


def _has_group(groups: Any, group_id: int) -> bool:
    """Whether a group list model holds `group_id`."""
    return groups.row_of(group_id) is not None


def _state_of(model: Any, client_msg_id: str) -> str | None:
    """The delivery state ("pending"/"sent"/"failed") of one own message, None if absent."""
    from desktop_app.models.message_model import MessageRoles

    rows = _rows(model, MessageRoles.CLIENT_MSG_ID, client_msg_id)
    if not rows:
        return None
    state = model.data(model.index(rows[0], 0), MessageRoles.STATE)
    return str(state)


@dataclass
class _Peer:
    """One signed-in user: their REST client and session bridge."""

    name: str
    rest: Any
    bridge: Any


class _SelfTest:
    """The scenario: an embedded server, two users, one message each way."""

    def __init__(self, report: Report, home: Path) -> None:
        self.report = report
        self.home = home
        self.server: Any = None
        self.peers: list[_Peer] = []
        self.group_id = 0
        self.bodies: list[str] = []

    async def run(self) -> None:
        """Every step in order; raises SelfTestFailure on the first that fails."""
        with self.report.step("load the app's icons and resources"):
            self._check_resources()
        with self.report.step("choose the token store (system keyring, or the file)"):
            self._check_token_store()
        with self.report.step("start an embedded server (SQLite, free port)"):
            await self._start_server()
        alice = await self._sign_in("alice")
        bob = await self._sign_in("bob")
        with self.report.step("alice creates a group with bob"):
            await self._create_group(alice, bob)
        await self._exchange(alice, bob, "1/2")
        await self._exchange(bob, alice, "2/2")
        with self.report.step("no duplicates after settling"):
            await asyncio.sleep(SETTLE_S)
            self._check_counts()

    def _check_resources(self) -> None:
        from PySide6.QtGui import QIcon

        from desktop_app.ui.paths import resource_path

        for name in REQUIRED_ICONS:
            path = resource_path("icons", f"{name}.svg")
            if not path.is_file():
                raise SelfTestFailure(f"{path} is missing (resources/ not bundled)")
            # Drawn straight from the file, with no theme fallback, so a missing Qt SVG plugin shows.
            if QIcon(str(path)).pixmap(24, 24).isNull():
                raise SelfTestFailure(f"{path} cannot be drawn (Qt's SVG icon plugin is missing)")
        for name in REQUIRED_THEMES:
            path = resource_path("themes", f"{name}.qss")
            if not path.is_file() or not path.read_text(encoding="utf-8").strip():
                raise SelfTestFailure(f"{path} is missing or empty (themes not bundled)")

    def _check_token_store(self) -> None:
        # The keyring and its backends are found by entry point at run time: a bundle missing
        # them (or their metadata) would quietly keep every token in the file.
        from desktop_app import credentials

        try:
            import keyring.backends.SecretService  # noqa: F401
            from keyring.backends import chainer, fail  # noqa: F401
        except ImportError as exc:
            raise SelfTestFailure(f"the keyring library is not bundled ({exc})") from exc
        try:
            credentials.backend()
            where = credentials.KEYRING
        except credentials.KeyringUnavailable:
            where = credentials.FILE
        print(f"  token store: {credentials.describe(where)}", file=self.report.out, flush=True)

    async def _start_server(self) -> None:
        from chat_server.embedded import EmbeddedServer

        self.server = EmbeddedServer(data_dir=self.home / "server", port=0, demo=True)
        await _maybe_await(self.server.start())

    async def _sign_in(self, username: str) -> _Peer:
        from chat_server.embedded import DEMO_PASSWORD
        from desktop_app.models.bridge import SessionBridge
        from desktop_app.net.rest import RestClient
        from desktop_app.session.state import ConnState
        from desktop_app.settings import Profile

        with self.report.step(f"{username} signs in and goes live"):
            rest = RestClient(self.server.url)
            auth = await rest.login(username, DEMO_PASSWORD)
            profile = Profile.load(f"selftest-{username}")
            bridge = SessionBridge(self.server.url, auth.token, auth.user, profile)
            peer = _Peer(username, rest, bridge)
            self.peers.append(peer)
            await bridge.start()
            await wait_for(
                lambda: bridge.status.state == ConnState.LIVE,
                lambda: f"{username}'s connection is live (it is {bridge.status.state})",
            )
        return peer

    async def _create_group(self, owner: _Peer, member: _Peer) -> None:
        group = await owner.bridge.create_group(f"Self-test {uuid.uuid4().hex[:6]}", [member.name])
        self.group_id = group.id
        for peer in (owner, member):
            await wait_for(
                partial(_has_group, peer.bridge.groups, group.id),
                f"the new group is in {peer.name}'s group list",
            )

    async def _exchange(self, sender: _Peer, receiver: _Peer, label: str) -> None:
        from desktop_app.models.message_model import MessageRoles

        body = f"self-test {label} from {sender.name} {uuid.uuid4().hex[:8]}"
        mine = sender.bridge.message_model(self.group_id)
        theirs = receiver.bridge.message_model(self.group_id)
        with self.report.step(f"{sender.name} → {receiver.name}: shown pending at once"):
            cid = sender.bridge.send(self.group_id, body)
            state = _state_of(mine, cid)
            if state != "pending":
                raise SelfTestFailure(f"the local echo is {state!r}, expected 'pending'")
        with self.report.step(f"{sender.name} → {receiver.name}: delivered, echo becomes sent"):
            await wait_for(
                lambda: bool(_rows(theirs, MessageRoles.BODY, body)), f"{receiver.name} sees it"
            )
            await wait_for(lambda: _state_of(mine, cid) == "sent", f"{sender.name}'s echo is sent")
        self.bodies.append(body)

    def _check_counts(self) -> None:
        from desktop_app.models.message_model import MessageRoles

        for peer in self.peers:
            model = peer.bridge.message_model(self.group_id)
            for body in self.bodies:
                seen = len(_rows(model, MessageRoles.BODY, body))
                if seen != 1:
                    raise SelfTestFailure(f"{peer.name} shows {body!r} {seen} times, expected once")

    async def close(self) -> None:
        """Stop sessions and the server; errors here must not hide the verdict."""
        for peer in self.peers:
            for closing in (peer.bridge.stop, peer.rest.aclose):
                try:
                    await _maybe_await(closing())
                except Exception as exc:  # cleanup: report and go on
                    print(f"  (cleanup: {peer.name}: {exc!r})", file=self.report.out)
        if self.server is not None:
            try:
                await _maybe_await(self.server.stop())
            except Exception as exc:  # cleanup: report and go on
                print(f"  (cleanup: server: {exc!r})", file=self.report.out)


def _ensure_app() -> Any:
    """The running QApplication, or a new offscreen one (the self-test never needs a display)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    return (
        existing
        if existing is not None
        else QApplication([sys.argv[0] if sys.argv else "desktop-app"])
    )


def _run_in_qt_loop(app: Any, main: Callable[[], Awaitable[None]]) -> None:
    """Run `main` under a qasync loop on `app`, as the real app does, bounded by TOTAL_TIMEOUT_S."""
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(main(), TOTAL_TIMEOUT_S))
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def run_self_test(out: TextIO | None = None) -> int:
    """Run the self-test; print a report; 0 when everything passed, 1 (with the reason) otherwise."""
    out = out or sys.stdout
    report = Report(out)
    from desktop_app import __version__

    print(
        f"desktop-app {__version__} self-test (python {sys.version.split()[0]}, "
        f"{'frozen bundle' if getattr(sys, 'frozen', False) else 'source'})",
        file=out,
    )
    started = time.perf_counter()
    saved_home = os.environ.get(HOME_ENV)
    with tempfile.TemporaryDirectory(prefix="desktop-app-selftest-") as tmp:
        # Profiles, tokens and the outbox go to the temp dir, never the user's real ones.
        os.environ[HOME_ENV] = str(Path(tmp) / "home")
        test = _SelfTest(report, Path(tmp))
        verdict: str | None = None

        async def scenario() -> None:
            try:
                await test.run()
            finally:
                await test.close()

        try:
            _run_in_qt_loop(_ensure_app(), scenario)
        except SelfTestFailure as exc:
            verdict = str(exc)
        except TimeoutError:
            verdict = f"the whole self-test took longer than {TOTAL_TIMEOUT_S:.0f} s"
        except Exception as exc:  # any error is a failed self-test, with its reason
            verdict = f"{type(exc).__name__}: {exc}"
        finally:
            if saved_home is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = saved_home
    total = time.perf_counter() - started
    if verdict is not None:
        print(f"self-test FAILED after {total:.1f} s: {verdict}", file=out, flush=True)
        return 1
    print(f"self-test passed: {len(report.steps)} steps in {total:.1f} s", file=out, flush=True)
    return 0
