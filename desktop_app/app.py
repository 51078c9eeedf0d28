"""Bootstrap of the desktop app: QApplication, the qasync loop, sessions and their windows."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QEvent, QEventLoop, QObject, QRect, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app import APP_NAME, __version__
from desktop_app.settings import Profile
from desktop_app.tasks import shutdown_tasks, spawn
from desktop_app.ui import emoji_font, gc_tuning, preferences, refcount_guard, theme
from desktop_app.ui.dialogs.sign_in import (
    SignedIn,
    SignInDialog,
    cached_user,
    remember_user,
    remembered_name,
)
from desktop_app.ui.icons import icon
from desktop_app.ui.notifications import Notifier, title_for, wanted
from desktop_app.ui.preferences import Preferences
from desktop_app.ui.theme import ThemeChoice

# Start-up order: the first window is built and painted before the event loop (qasync), the
# session stack (pydantic models, httpx, Socket.IO) and the cache are loaded; those come
# after the first paint. Hence the imports inside functions below.
if TYPE_CHECKING:
    from chat_protocol.models import Message
    from desktop_app.models.bridge import SessionBridge
    from desktop_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
T = TypeVar("T")

DESKTOP_FILE_NAME = "desktop-app"
# How long quitting waits for sessions (socket close, outbox flush) and the embedded server.
STOP_TIMEOUT_SECONDS = 3.0
# Python only sees Ctrl+C between Qt events; wake it this often.
SIGNAL_POLL_MS = 300
DEMO_USERS = ("alice", "bob")
# After the first windows painted, start-up objects are frozen out of full GC passes.
GC_SETTLE_MS = 1500
DEMO_WINDOW_HEIGHT = 720
# Longest wait for the first window's first paint before the rest of start-up goes on anyway
# (a window that is never exposed: minimised, another workspace).
FIRST_PAINT_WAIT_MS = 1500

SessionKey = tuple[str, str, str]  # profile name, server url, username


@dataclass(frozen=True)
class AppOptions:
    """What the command line asked for."""

    profile: str = "default"
    server_url: str | None = None
    demo: bool = False
    theme: ThemeChoice | None = None
    # Passed to every SessionBridge (reconnect delays, ping interval…); tests make them fast.
    session_options: dict[str, Any] = field(default_factory=dict)


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def make_qapplication(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, with name, icon and the .desktop name Wayland needs for the icon."""
    refcount_guard.install()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("desktop-app")
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    QGuiApplication.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(icon("app"))
    # Emoji are drawn with the font the app ships, never as boxes (a few ms: see emoji_font).
    emoji_font.install()
    # Windows close and open (sign out, new window, sign-in dialogs); we decide when to quit.
    app.setQuitOnLastWindowClosed(False)
    return app


class DesktopApp(QObject):
    """Keeps the sessions (one SessionBridge per signed-in user) and their windows."""

    def __init__(self, qapp: QApplication, options: AppOptions) -> None:
        super().__init__(qapp)
        self.qapp = qapp
        self.options = options
        self.windows: list[MainWindow] = []
        self.sessions: dict[SessionKey, SessionBridge] = {}
        self._dialogs: list[SignInDialog] = []
        self._done: asyncio.Future[int] | None = None
        self._quitting = False
        self._holds = 0
        self._first_window: QWidget | None = None
        # A remembered user's first window, painted before its session exists (see
        # `open_first_window`); `finish_first_window` gives it the session.
        self._unattached: tuple[MainWindow, Profile] | None = None
        # Sessions made before the event loop exists start when it runs (after the first paint).
        self._unstarted: list[SessionBridge] = []
        self.server: Any = None
        self._demo_home: str | None = None
        # The demo never touches the user's real profiles (its own live in a temp dir).
        # Settings (theme, notifications, text size, start in tray) come from the profile.
        self._prefs = (
            Preferences() if options.demo else Preferences.from_ui(Profile.load(options.profile).ui)
        )
        choice = options.theme or self._prefs.theme
        self._prefs = replace(self._prefs, theme=choice)
        self.theme = theme.install(qapp, choice)
        preferences.system_font()  # remembered before a size of the user's replaces it
        if self._prefs.font_size != preferences.SYSTEM_FONT_SIZE:
            preferences.apply_font_size(self._prefs.font_size)
        self.notifier = Notifier(self)
        self.notifier.enabled = self._prefs.notifications
        # "Start in tray": the first windows stay hidden until the tray's Show.
        self._hide_at_start = self._prefs.start_in_tray and self.notifier.tray is not None
        self.notifier.show_requested.connect(self._raise_some_window)
        self.notifier.quit_requested.connect(self.quit)

    # --- running -----------------------------------------------------------------------------

    async def run(self) -> int:
        """Open the first windows, then wait until the app quits."""
        self._done = asyncio.get_running_loop().create_future()
        try:
            for bridge in self._unstarted:
                spawn(bridge.start(), name=f"session-start-{bridge.user.username}")
            self._unstarted.clear()
            if self.options.demo:
                await self.start_demo()
            elif self._first_window is None:
                await self.open_profile(self.options.profile, self.options.server_url)
            self._hide_at_start = False  # windows opened from now on are shown
            # Start-up objects (modules, widgets) leave the collector's full passes.
            QTimer.singleShot(GC_SETTLE_MS, gc_tuning.settle)
        except Exception as exc:
            log.exception("starting failed")
            print(f"desktop-app: {exc}", file=sys.stderr)
            await self.shutdown()
            return 1
        return await self._done

    def open_first_window(self) -> QWidget | None:
        """Before the event loop: open what needs no network (the sign-in dialog of a profile
        without a token, or the first frame of a remembered user's window); None when `run`
        must. Call `finish_first_window` once it painted."""
        if self.options.demo:
            return None
        profile = _load_profile(self.options.profile, self.options.server_url)
        window: QWidget | None = None
        if not profile.token or not profile.server_url:
            window = self.ask_sign_in(profile)
        else:
            known = remembered_name(profile)
            if known is not None and known[1] == profile.username:
                from desktop_app.ui.main_window import MainWindow

                shell = MainWindow(None, profile, self, identity=(profile.server_url, *known))
                self._unattached = (shell, profile)
                shell.show()
                window = shell
        self._first_window = window
        return window

    def finish_first_window(self) -> None:
        """After the first paint: the session stack loads and the remembered user's window
        gets its session (its cache and socket start with the event loop, in `run`)."""
        if self._unattached is None:
            return
        window, profile = self._unattached
        self._unattached = None
        known = cached_user(profile)
        if known is None or profile.token is None or profile.server_url is None:
            # The remembered record does not validate: `run` resumes the profile as usual.
            window.close()
            window.deleteLater()
            self._first_window = None
            return
        bridge = self.session_for(profile, SignedIn(profile.server_url, profile.token, known))
        window.attach(bridge)
        self.windows.append(window)

    async def open_profile(
        self, name: str, server_url: str | None = None, place: QRect | None = None
    ) -> MainWindow | None:
        """Resume a profile's saved session, or ask to sign in."""
        profile = _load_profile(name, server_url)
        signed = await self._resume(profile)
        if signed is not None:
            return self.open_window(profile, signed, place)
        self.ask_sign_in(profile)
        return None

    async def _resume(self, profile: Profile) -> SignedIn | None:
        """The saved session, if any. With a remembered user the window opens at once (even
        offline, with the outbox kept); the socket's connect then checks the token, and a
        refused one brings the sign-in dialog back (SessionBridge.auth_failed)."""
        if not profile.token or not profile.server_url:
            return None
        known = cached_user(profile)
        if known is not None and known.username == profile.username:
            return SignedIn(profile.server_url, profile.token, known)
        from desktop_app.net.rest import AuthError, RestClient, ServerUnreachable

        rest = RestClient(profile.server_url, profile.token)
        try:
            user = await rest.me()
        except AuthError:
            profile.token = None
            profile.save()
            return None
        except ServerUnreachable:
            return None
        finally:
            await rest.aclose()
        return SignedIn(profile.server_url, profile.token, user)

    def ask_sign_in(
        self,
        profile: Profile,
        note: str | None = None,
        on_signed_in: Callable[[SignedIn], object] | None = None,
    ) -> SignInDialog:
        """Show the sign-in dialog for `profile`; by default a success opens a window."""
        dialog = SignInDialog(profile, server_url=profile.server_url)
        if note:
            dialog.form_error.setText(note)
            dialog.form_error.show()
        self._dialogs.append(dialog)

        def done(_result: int) -> None:
            self._dialogs.remove(dialog)
            dialog.deleteLater()
            self._quit_if_idle()

        if on_signed_in is None:
            dialog.signed_in.connect(lambda signed: self.open_window(profile, signed))
        else:
            dialog.signed_in.connect(on_signed_in)
        dialog.finished.connect(done)
        dialog.show()
        return dialog

    # --- sessions and windows ------------------------------------------------------------------

    def session_for(self, profile: Profile, signed: SignedIn) -> SessionBridge:
        key = (profile.name, signed.server_url, signed.user.username)
        bridge = self.sessions.get(key)
        if bridge is None:
            from desktop_app.models.bridge import SessionBridge

            bridge = SessionBridge(
                signed.server_url,
                signed.token,
                signed.user,
                profile,
                **self.options.session_options,
            )
            self.sessions[key] = bridge
            bridge.auth_failed.connect(lambda: self._on_auth_failed(key))
            bridge.groups.total_unread_changed.connect(lambda _n: self._update_unread())
            if asyncio._get_running_loop() is None:
                self._unstarted.append(bridge)  # before the loop (first window): see `run`
            else:
                spawn(bridge.start(), name=f"session-start-{signed.user.username}")
        return bridge

    def open_window(
        self, profile: Profile, signed: SignedIn, place: QRect | None = None
    ) -> MainWindow:
        from desktop_app.ui.main_window import MainWindow

        bridge = self.session_for(profile, signed)
        window = MainWindow(bridge, profile, self)
        self.windows.append(window)
        if place is not None:
            window.setGeometry(place)
        if not self._hide_at_start:
            window.show()
        return window

    def new_window(self, window: MainWindow) -> None:
        """File → New Window: the same user, sharing the session."""
        from desktop_app.ui.main_window import MainWindow

        other = MainWindow(window.bridge, window.profile, self)
        self.windows.append(other)
        other.move(window.pos().x() + 40, window.pos().y() + 40)
        other.show()

    def new_window_other_user(self, window: MainWindow) -> None:
        """File → New Window as Another User: a profile of its own, so tokens never mix."""
        n = 2
        while any(key[0] == f"{window.profile.name}-{n}" for key in self.sessions):
            n += 1
        profile = Profile.load(f"{window.profile.name}-{n}")
        if not profile.server_url:
            profile.server_url = window.bridge.server_url
        spawn(self.open_profile(profile.name, profile.server_url), name="open-profile")

    def window_closed(self, window: MainWindow) -> None:
        if window in self.windows:
            self.windows.remove(window)
        bridge = window.bridge
        # While quitting, `shutdown` stops every session itself and waits for it.
        if not any(w.bridge is bridge for w in self.windows) and not self._quitting:
            for key, b in list(self.sessions.items()):
                if b is bridge:
                    del self.sessions[key]
            spawn(bridge.stop(), name="session-stop")
        self._quit_if_idle()

    def _quit_if_idle(self) -> None:
        if not self.windows and not self._dialogs and not self._holds and not self._quitting:
            self.quit()

    def sign_out(self, window: MainWindow) -> None:
        bridge = window.bridge
        profile = window.profile
        self._close_windows_of(bridge)
        spawn(self._sign_out(bridge, profile), name="sign-out")

    async def _sign_out(self, bridge: SessionBridge, profile: Profile) -> None:
        try:
            await bridge.sign_out()
        finally:
            profile.token = None
            profile.save()
            self.ask_sign_in(profile)

    def _on_auth_failed(self, key: SessionKey) -> None:
        """The server refused the token: the windows stay (status "Signed out", outbox
        kept) and signing in again continues the same session."""
        bridge = self.sessions.get(key)
        if bridge is None:
            return
        profile = bridge.profile
        profile.token = None
        profile.save()

        def resumed(signed: SignedIn) -> None:
            same = (signed.server_url, signed.user.username) == (key[1], key[2])
            if same and bridge.session.serves(signed.instance_id, signed.user.id):
                spawn(bridge.set_token(signed.token), name="session-new-token")
                return
            # Someone else signed in on this profile, or the server is another one now
            # (reset or replaced): the old session's windows go, and the new session hands
            # back the old one's unsent messages instead of sending them.
            self._close_windows_of(bridge)
            if self.sessions.get(key) is bridge:  # no window held it: stop it here
                del self.sessions[key]
                spawn(bridge.stop(), name="session-stop")
            self.open_window(profile, signed)

        note = (
            "Your session has ended (the server refused the saved sign-in). Sign in again "
            "to continue; unsent messages are kept."
        )
        if bridge.session.other_server is not None:
            note = (
                "This address now answers as another server (its data was reset or "
                "replaced). Sign in there to continue; unsent messages are handed back to "
                "you, not sent."
            )
        self.ask_sign_in(
            profile,
            note,
            on_signed_in=resumed,
        )

    def _close_windows_of(self, bridge: SessionBridge) -> None:
        # Keep the app alive while the windows close and the sign-in dialog comes up.
        self._holds += 1
        try:
            for w in [w for w in self.windows if w.bridge is bridge]:
                w.close()
        finally:
            self._holds -= 1

    def _raise_some_window(self) -> None:
        if self.windows:
            w = self.windows[-1]
            w.showNormal()
            w.raise_()
            w.activateWindow()

    # --- theme and notifications ----------------------------------------------------------------

    def theme_choice(self) -> ThemeChoice:
        return self.theme.choice

    def preferences(self) -> Preferences:
        return self._prefs

    def has_tray(self) -> bool:
        return self.notifier.tray is not None

    def set_preferences(self, prefs: Preferences) -> None:
        """Apply what the Settings window chose and save it in every open window's profile."""
        old, self._prefs = self._prefs, prefs
        self.notifier.enabled = prefs.notifications
        if prefs.font_size != old.font_size:
            preferences.apply_font_size(prefs.font_size)
        if prefs.theme is not self.theme.choice:
            self.set_theme(prefs.theme)  # saves the profiles too
        for profile in {id(w.profile): w.profile for w in self.windows}.values():
            prefs.store(profile)

    def set_theme(self, choice: ThemeChoice) -> None:
        self._prefs = replace(self._prefs, theme=choice)
        self.theme.set_choice(choice)
        for w in self.windows:
            w.profile.ui["theme"] = choice.value
            w.profile.save()
            w.show_theme_choice(choice)
            w.update()

    def notify_message(self, window: MainWindow, group_id: int, message: Message) -> None:
        sharing = [w for w in self.windows if w.bridge is window.bridge]
        if any(w.is_showing(group_id) for w in sharing):
            return
        me = window.bridge.user.id
        if not wanted(window.bridge.groups.is_muted(group_id), message.mentions, me):
            return
        row = window.bridge.groups.row_of(group_id)
        group = ""
        if row is not None:
            group = str(window.bridge.groups.index(row, 0).data())
        title = title_for(message.sender.display_name, group, me in message.mentions)
        key = (f"{window.bridge.server_url}|{window.bridge.user.username}", message.id)
        self.notifier.notify(key, title, message.body, window)

    def _update_unread(self) -> None:
        self.notifier.set_unread(sum(b.groups.total_unread() for b in self.sessions.values()))

    # --- demo --------------------------------------------------------------------------------------

    async def start_demo(self) -> None:
        """Embedded server with demo data; alice and bob side by side, each with their own profile."""
        from chat_server.embedded import DEMO_PASSWORD, EmbeddedServer

        self._demo_home = tempfile.mkdtemp(prefix="desktop-app-demo-")
        os.environ["DESKTOP_APP_HOME"] = self._demo_home
        self.server = EmbeddedServer(data_dir=None, port=0, demo=True)
        await _maybe_await(self.server.start())
        url = str(self.server.url).rstrip("/")
        places = demo_places(len(DEMO_USERS))
        for username, place in zip(DEMO_USERS, places, strict=True):
            profile = Profile.load(f"demo-{username}")
            signed = await sign_in_with_password(url, username, DEMO_PASSWORD)
            remember_user(profile, signed)
            profile.ui.setdefault("theme", self.theme.choice.value)
            self.open_window(profile, signed, place)

    # --- quitting ----------------------------------------------------------------------------------

    def quit(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        spawn(self._quit(), name="quit")

    async def _quit(self) -> None:
        await self.shutdown()
        if self._done is not None and not self._done.done():
            self._done.set_result(0)

    async def shutdown(self) -> None:
        """Close windows, stop sessions and the embedded server, wait for background tasks."""
        self._quitting = True
        # Taken before the windows close: closing a session's last window forgets the session
        # and spawns its stop, which `shutdown_tasks` below would cancel before it ever ran.
        bridges = list(self.sessions.values())
        self.sessions.clear()
        # Newest first: windows of one profile share its saved layout, and the first window
        # (the one the user set up) should be the one to write it last.
        for w in list(reversed(self.windows)):
            w.close()
        for dialog in list(self._dialogs):
            dialog.close()
        for bridge in bridges:
            try:
                await asyncio.wait_for(bridge.stop(), STOP_TIMEOUT_SECONDS)
            except Exception:
                log.exception("stopping a session failed")
        if self.server is not None:
            try:
                await asyncio.wait_for(_maybe_await(self.server.stop()), STOP_TIMEOUT_SECONDS)
            except Exception:
                log.exception("stopping the embedded server failed")
            self.server = None
        self.notifier.close()
        await shutdown_tasks(STOP_TIMEOUT_SECONDS)
        if self._demo_home is not None:
            # The demo's profiles (tokens, outboxes) lived only for this run.
            shutil.rmtree(self._demo_home, ignore_errors=True)
            self._demo_home = None


def _load_profile(name: str, server_url: str | None) -> Profile:
    """The profile `name`; a --server other than its own drops the saved token."""
    profile = Profile.load(name)
    if server_url and server_url.rstrip("/") != (profile.server_url or ""):
        profile.server_url = server_url.rstrip("/")
        profile.token = None  # a token belongs to the server that issued it
        profile.save()
    return profile


def wait_for_first_paint(window: QWidget, timeout_ms: int = FIRST_PAINT_WAIT_MS) -> bool:
    """Run Qt's events until `window` has painted once (or `timeout_ms` passed)."""
    loop = QEventLoop()

    class FirstPaint(QObject):
        painted = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if watched is window and event.type() == QEvent.Type.Paint and not self.painted:
                self.painted = True
                # Quit once this paint is done (the filter runs before it).
                QTimer.singleShot(0, loop.quit)
            return False

    spy = FirstPaint()
    window.installEventFilter(spy)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    window.removeEventFilter(spy)
    return spy.painted


async def sign_in_with_password(url: str, username: str, password: str) -> SignedIn:
    from desktop_app.net.rest import RestClient

    rest = RestClient(url)
    try:
        response = await rest.login(username, password)
    finally:
        await rest.aclose()
    return SignedIn(url, response.token, response.user, response.instance_id)


def demo_places(count: int) -> list[QRect]:
    """Side-by-side rectangles on the primary screen's free area."""
    screen = QGuiApplication.primaryScreen()
    area = screen.availableGeometry() if screen is not None else QRect(0, 0, 1600, 900)
    width = area.width() // count
    height = min(area.height(), DEMO_WINDOW_HEIGHT)
    top = area.top() + (area.height() - height) // 2
    return [QRect(area.left() + i * width, top, width, height) for i in range(count)]


def _install_sigint(app: DesktopApp) -> QTimer:
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    timer = QTimer(app, interval=SIGNAL_POLL_MS)
    timer.timeout.connect(lambda: None)  # lets the interpreter run its signal handlers
    timer.start()
    return timer


def run_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on a qasync loop over the existing QApplication.

    Not `qasync.run`: on Python 3.11 it installs a global event-loop *policy*, so any thread
    that calls `asyncio.run` (the embedded server's does) would get a Qt loop too and fail.
    """
    import qasync

    qapp = QApplication.instance()
    assert qapp is not None, "make_qapplication() first"
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coro)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def run_app(options: AppOptions, argv: list[str] | None = None) -> int:
    """Run the desktop app until it quits; returns the process exit code."""
    qapp = make_qapplication(argv)
    app = DesktopApp(qapp, options)
    first = app.open_first_window()
    if first is not None and first.isVisible():
        wait_for_first_paint(first)
        app.finish_first_window()

    async def main() -> int:
        _install_sigint(app)
        return await app.run()

    return run_loop(main())
